"""One code path for "diagnose this" — typed, clicked (re-run, a picked candidate) or found by the shortcut:
run the diagnosis, and say what went wrong in words when it cannot run."""

from __future__ import annotations

import logging
from typing import Any

from slack_sdk import WebClient

from bot.aws_session import SessionError
from bot.commands import Command
from bot.services import Services
from diagnosis.collect.target import AmbiguousTarget, TargetError
from handlers.render.text import escape
from handlers.replies import Respond, publish

log = logging.getLogger(__name__)
PICK = "ecs_why_pick"


def diagnose_and_publish(
    client: WebClient,
    services: Services,
    command: Command,
    channel: str,
    user: str,
    respond: Respond,
    thread_ts: str | None = None,
    quiet_unknown: bool = False,
) -> bool:
    """True when a diagnosis was published. User errors go back ephemeral, with what to type instead."""
    try:
        diagnosis = services.diagnoser.run(command)
    except AmbiguousTarget as exc:
        respond(
            response_type="ephemeral",
            replace_original=False,
            text=str(exc),
            blocks=ambiguous_blocks(str(exc), exc.candidates, command),
        )
        return False
    except (TargetError, SessionError, ValueError) as exc:
        if not quiet_unknown:
            respond(response_type="ephemeral", replace_original=False, text=f"⚠️ {escape(str(exc))}")
        return False
    except Exception as exc:
        log.exception("diagnosis of %s failed", command.target)
        respond(
            response_type="ephemeral",
            replace_original=False,
            text=f"⚠️ I could not finish diagnosing {escape(command.target)}: {escape(type(exc).__name__)}. "
            "Try again, or run `ecs-why diagnose` in a terminal for details.",
        )
        return False
    publish(client, services, diagnosis, command, channel, user, respond, thread_ts)
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
