"""Posting a check's report (`check`, `exec-check`): a "checking…" message that becomes the verdict with
its fix buttons, then the details in its thread. One flow for both, with the diagnosis's failure handling:
the check fails in words; with the state store down the verdict comes without buttons and says so; where
Slack refuses a post the asking user is told, with the answer."""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from typing import TypeVar

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.aws_session import SessionError
from bot.store import StoreUnavailable
from diagnosis.collect.target import TargetError
from diagnosis.models import Action
from handlers.grammar import Command
from handlers.render.diagnosis import Message
from handlers.render.text import escape
from handlers.replies import NO_FIXES, CannotPost, Respond, post, tell_failed, update

log = logging.getLogger(__name__)
Report = TypeVar("Report")
Fixes = list[tuple[Action, str]]


def publish_check(
    client: WebClient,
    command: Command,
    channel: str,
    user: str,
    respond: Respond,
    *,
    what: str,
    run: Callable[[], Report],
    fixes: Callable[[Report], Fixes],
    headline: Callable[[Report, Fixes], Message],
    thread: Callable[[Report], Sequence[Message]],
    terminal: str,
) -> bool:
    """`what`: "checking ECS Exec on" …; `terminal`: the CLI command that shows details. True when published."""
    placeholder = _checking(
        client, f"🔎 {what[0].upper()}{what[1:]} {escape(command.target)} for <@{user}>…", channel
    )

    def fail(text: str) -> bool:
        if placeholder:
            try:
                update(client, channel, placeholder, Message(text=text, blocks=[_block("section", text)]))
                return False
            except (SlackApiError, OSError) as exc:
                log.warning("could not turn the checking message into the error: %s", exc)
        respond(response_type="ephemeral", replace_original=False, text=text)
        return False

    try:
        report = run()
    except (TargetError, SessionError, ValueError) as exc:
        return fail(f"⚠️ {escape(str(exc))}")
    except Exception as exc:
        log.exception("%s %s failed", what, command.target)
        return fail(
            f"⚠️ I could not finish {what} {escape(command.target)}: {escape(type(exc).__name__)}. "
            f"Try again, or run `{terminal}` in a terminal for details."
        )
    try:
        offered, note = fixes(report), None
    except StoreUnavailable:
        log.warning("fix buttons left out: the state store (Redis) is unreachable")
        offered, note = [], NO_FIXES
    top = headline(report, offered)
    if note is not None:
        top = Message(text=top.text, blocks=[*top.blocks, _block("context", note)])
    try:
        if placeholder:
            update(client, channel, placeholder, top)
            ts = placeholder
        else:
            ts = post(client, channel, top)
    except CannotPost:
        respond(response_type="in_channel", text=top.text, blocks=top.blocks)
        return True
    except (SlackApiError, OSError) as error:
        tell_failed(respond, error, "my answer could not be posted here", top)
        return False
    try:
        for message in thread(report):
            post(client, channel, message, ts)
    except (SlackApiError, OSError) as error:
        tell_failed(respond, error, "the details could not be posted in the thread", None)
    return True


def _checking(client: WebClient, text: str, channel: str) -> str | None:
    try:
        return post(client, channel, Message(text=text, blocks=[_block("context", text)]))
    except (CannotPost, SlackApiError, OSError) as exc:
        log.info("cannot post the checking message in %s: %s", channel, exc)
        return None


def _block(kind: str, text: str) -> dict[str, object]:
    mrkdwn = {"type": "mrkdwn", "text": text}
    return (
        {"type": "section", "text": mrkdwn}
        if kind == "section"
        else {"type": "context", "elements": [mrkdwn]}
    )
