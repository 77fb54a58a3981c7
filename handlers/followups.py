"""Follow-ups: a mention of the bot in a diagnosis (or alert) thread, or a DM, answered in the same
thread about the same target — `logs`, `events`, `diff`, `history 7d`, `tasks`, `rerun`, `why oom`,
`help`. The thread's target was stored when the diagnosis was posted; a DM names it in the message."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from slack_bolt import Ack, App
from slack_sdk import WebClient

from bot import metrics
from bot.aws_session import SessionError
from bot.lookup import history_report, observe, resolve_service
from bot.services import Services
from bot.store import StoreUnavailable
from diagnosis.collect.target import TargetError
from handlers.bind import bind
from handlers.extract import find_in_message
from handlers.followup_asks import MENTION, FollowUp, read_followup
from handlers.grammar import Command, CommandError, parse_command
from handlers.render.diagnosis import Message, log_message
from handlers.render.followups import diff_message, events_message, help_message, tasks_message, why_message
from handlers.render.text import escape
from handlers.replies import post, publish
from handlers.run import diagnose_and_publish
from handlers.shortcuts import explain
from handlers.subscriptions import history_text

log = logging.getLogger(__name__)
NO_TARGET = (
    "I do not know which service this is about. Ask in the thread of a diagnosis or an alert, or name "
    "it: `logs prod/web-api`."
)


def _text(text: str) -> Message:
    return Message(text=text, blocks=[{"type": "section", "text": {"type": "mrkdwn", "text": text}}])


def answer(services: Services, client: WebClient, event: dict[str, Any]) -> None:
    """One follow-up, answered in the thread it was asked in (a DM: in the DM, threaded if it was)."""
    if event.get("bot_id") or event.get("subtype"):
        return  # our own posts, edits, joins: never answered
    channel, user = str(event.get("channel", "")), str(event.get("user", ""))
    root = event.get("thread_ts")
    direct = event.get("channel_type") == "im"
    reply_ts = root or (None if direct else event.get("ts"))
    asked = read_followup(event)

    def say(message: Message) -> None:
        post(client, channel, message, reply_ts)

    def respond(**kwargs: Any) -> None:  # what diagnose_and_publish uses to tell the user
        say(Message(text=str(kwargs.get("text", "")), blocks=kwargs.get("blocks") or []))

    if asked.ask in ("unknown", "rerun") and _explain_pasted(
        services, client, event, channel, user, reply_ts
    ):
        return None  # a pasted stop reason or event is answered by what it says, like the shortcut
    if asked.ask == "help":
        return say(help_message())
    if asked.ask == "unknown":
        return say(help_message(asked.argument))
    try:
        command = asked.target or _thread_target(services, channel, root)
    except StoreUnavailable:
        return say(
            _text("⚠️ My state store (Redis) is unreachable, so I cannot tell what this thread is about.")
        )
    if command is None:
        return say(_text(NO_TARGET))
    metrics.REQUESTS.labels(f"followup_{asked.ask}").inc()
    if asked.ask == "rerun":
        diagnose_and_publish(client, services, command, channel, user, respond, reply_ts)
        return None
    try:
        say(_answer(services, asked, command))
    except (TargetError, SessionError, ValueError) as exc:
        say(_text(f"⚠️ {escape(str(exc))}"))
    except StoreUnavailable:
        say(_text("⚠️ My state store (Redis) is unreachable: stored history cannot be read now."))
    except Exception as exc:
        log.exception("follow-up %s on %s failed", asked.ask, command.target)
        say(
            _text(
                f"⚠️ I could not answer `{asked.ask}` about {escape(command.target)}: {escape(type(exc).__name__)}."
            )
        )
    return None


def _explain_pasted(
    services: Services,
    client: WebClient,
    event: dict[str, Any],
    channel: str,
    user: str,
    reply_ts: str | None,
) -> bool:
    """Explain the stop reasons and service events the message itself holds (True when it held one)."""
    found = find_in_message({**event, "text": MENTION.sub(" ", str(event.get("text") or ""))})
    diagnosis = explain(found.explained, found.commands, services) if found.explained else None
    if diagnosis is None:
        return False
    command = Command("diagnose", diagnosis.target.label())
    publish(client, services, diagnosis, command, channel, user, None, reply_ts)
    return True


def _thread_target(services: Services, channel: str, root: str | None) -> Command | None:
    text = services.store.thread_command(channel, root) if root else None
    if not text:
        return None
    try:
        return parse_command(text)
    except CommandError:
        return None


def _answer(services: Services, asked: FollowUp, command: Command) -> Message:
    label = command.target
    answers: dict[str, Callable[[], Message]] = {
        "logs": lambda: log_message(services.diagnoser.run(command, log_lines=200)),
        "diff": lambda: diff_message(services.diagnoser.run(command)),
        "why": lambda: why_message(asked.argument, services.diagnoser.run(command)),
        "events": lambda: events_message(label, observe(services.settings, command)),
        "tasks": lambda: tasks_message(label, observe(services.settings, command)),
        "history": lambda: _history(services, command, asked.argument or "7d"),
    }
    return answers[asked.ask]()


def _history(services: Services, command: Command, since: str) -> Message:
    target = resolve_service(services.settings, command)
    name = f"{target['cluster']}/{target['service']}"
    return _text(history_text(name, history_report(services.store, target, since)))


def ack_event(ack: Ack) -> None:
    metrics.REQUESTS.labels("event").inc()
    ack()


def on_mention(services: Services, event: dict[str, Any], client: WebClient) -> None:
    answer(services, client, event)


def on_message(services: Services, event: dict[str, Any], client: WebClient) -> None:
    if event.get("channel_type") == "im":  # channel messages reach us only as mentions
        answer(services, client, event)


def register(app: App, services: Services) -> None:
    app.event("app_mention")(ack=ack_event, lazy=[bind(on_mention, services)])
    app.event("message")(ack=ack_event, lazy=[bind(on_message, services)])
