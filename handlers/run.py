"""One code path for "diagnose this" — typed, clicked (re-run, a picked candidate), asked in a thread or
found by the shortcut: run the diagnosis, and say what went wrong in words when it cannot run.

A typed command first posts "🔎 Diagnosing…" in the channel; that one message becomes the answer (or the
error) in place, so nothing is left behind."""

from __future__ import annotations

import logging
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.aws_session import SessionError
from bot.services import Services
from bot.store import StoreUnavailable
from diagnosis.collect.target import AmbiguousTarget, TargetError
from handlers.grammar import Command
from handlers.render.diagnosis import Message
from handlers.render.text import escape
from handlers.replies import CannotPost, Respond, drop_placeholder, post, publish, update

log = logging.getLogger(__name__)
PICK = "ecs_why_pick"


def diagnosing(
    client: WebClient, command: Command, channel: str, user: str, thread_ts: str | None = None
) -> str | None:
    """Post the "diagnosing…" message; its ts, or None where the bot cannot post (then the answer goes
    through the response URL as before)."""
    text = f"🔎 Diagnosing {escape(command.target)} for <@{user}>…"
    message = Message(text=text, blocks=[{"type": "context", "elements": [{"type": "mrkdwn", "text": text}]}])
    try:
        return post(client, channel, message, thread_ts)
    except (CannotPost, SlackApiError) as exc:
        log.info("cannot post the diagnosing message in %s: %s", channel, exc)
        return None


def diagnose_and_publish(
    client: WebClient,
    services: Services,
    command: Command,
    channel: str,
    user: str,
    respond: Respond,
    thread_ts: str | None = None,
    quiet_unknown: bool = False,
    placeholder: str | None = None,
    skip_empty: bool = False,
) -> bool:
    """True when a diagnosis was published. User errors go back ephemeral, with what to type instead, or
    replace the `placeholder` message ("diagnosing…") in place. With `skip_empty`, a diagnosis that found
    nothing is not published (the caller has a better answer, e.g. what the message itself says)."""

    def fail(text: str, blocks: list[dict[str, Any]] | None = None) -> bool:
        if placeholder:
            shown = blocks or [{"type": "section", "text": {"type": "mrkdwn", "text": text}}]
            try:
                update(client, channel, placeholder, Message(text=text, blocks=shown))
                return False
            except SlackApiError as exc:
                log.warning("could not turn the diagnosing message into the error: %s", exc)
                drop_placeholder(client, channel, placeholder)
        respond(
            response_type="ephemeral",
            replace_original=False,
            text=text,
            **({"blocks": blocks} if blocks else {}),
        )
        return False

    try:
        diagnosis = services.diagnoser.run(command)
    except AmbiguousTarget as exc:
        return fail(str(exc), ambiguous_blocks(str(exc), exc.candidates, command))
    except (TargetError, SessionError, ValueError) as exc:
        if quiet_unknown:
            return False
        return fail(f"⚠️ {escape(str(exc))}")
    except StoreUnavailable as exc:  # an outage, not a bug: one line, no traceback
        log.warning("diagnosis of %s failed: %s", command.target, exc)
        return fail(
            f"⚠️ I could not finish diagnosing {escape(command.target)}: my state store (Redis) is "
            "unreachable. Try again in a minute."
        )
    except Exception as exc:
        log.exception("diagnosis of %s failed", command.target)
        return fail(
            f"⚠️ I could not finish diagnosing {escape(command.target)}: {escape(type(exc).__name__)}. "
            "Try again, or run `ecs-why diagnose` in a terminal for details."
        )
    if skip_empty and not diagnosis.findings:
        return False
    publish(client, services, diagnosis, command, channel, user, respond, thread_ts, placeholder)
    return True


def ambiguous_blocks(text: str, candidates: list[str], command: Command) -> list[dict[str, Any]]:
    options = [
        {
            "text": {"type": "plain_text", "text": c[:75]},
            "value": Command("diagnose", c, None, command.region, command.account, command.since).text()[
                :150
            ],
        }
        for c in candidates[:100]
    ]
    return [
        {
            "type": "section",
            "text": {"type": "mrkdwn", "text": f"🤔 {escape(text)}"},
            "accessory": {
                "type": "static_select",
                "action_id": PICK,
                "placeholder": {"type": "plain_text", "text": "Which one?"},
                "options": options,
            },
        },
    ]
