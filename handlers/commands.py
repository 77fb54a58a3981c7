"""The `/ecs-why` slash command: ack at once (ephemeral), then do the work in a lazy listener."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, App, BoltContext, Respond
from slack_sdk import WebClient

from bot import metrics
from bot.jobs import answered_by_ack
from bot.services import Services
from diagnosis.intake import InputError, read_input
from handlers.audit import audit_and_respond
from handlers.bind import bind
from handlers.check import check_and_publish
from handlers.exec_check import exec_check_and_publish
from handlers.grammar import USAGE, Command, CommandError, check_command, read_command
from handlers.render.text import cut, escape
from handlers.run import diagnose_and_publish, diagnosing
from handlers.shortcuts import answer_message
from handlers.subscriptions import run_subscription_command
from handlers.summary import post_summary
from handlers.unslack import unslack

COMMAND = "/ecs-why"
COMMANDS = metrics.REQUESTS.labels("command")
# A slash command's text is seen only by who typed it; the explanation is posted for the channel, as any
# /ecs-why answer is (docs/slack-messages.md): the user is told so at once, and how to keep it private.
PASTED_IN_CHANNEL = (
    "📋 Explaining the text you pasted: the answer is posted in this channel, for everyone here (the text "
    "itself is not shown; secrets in the evidence are redacted). To keep it to yourself, use `/ecs-why` "
    "in your direct messages with me, or `ecs-why explain -` in a terminal."
)
MAX_ERROR = 300  # characters of an error that echoes what was typed (a pasted log is not repeated whole)


def read(services: Services, text: str) -> Command:
    """The typed command, checked whole (target, flags, --since): a typo is one ephemeral error."""
    parsed = read_command(text)
    check_command(parsed, {a.alias for a in services.settings.accounts})
    return parsed


def pasted(text: str) -> bool:
    """The command's text is a stop reason, service event or alert pasted whole (the intake reads ECS in
    it), not a target: it is explained as the message shortcut explains a message."""
    try:
        read_input(unslack(text))
    except InputError:
        return False
    return True


def ack_command(services: Services, ack: Ack, command: dict[str, Any], context: BoltContext) -> None:
    """A typo's error and the usage are the whole answer (no job is queued); the rest is `run_command`."""
    COMMANDS.inc()
    try:
        parsed = read(services, command.get("text", ""))
    except CommandError as exc:
        if pasted(command.get("text", "")):
            ack(text=PASTED_IN_CHANNEL)  # explained by `run_command`, in the channel
            return
        answered_by_ack(context)
        ack(text=f"⚠️ {escape(cut(str(exc), MAX_ERROR))}\n\n{USAGE}")
        return
    if parsed.verb == "help":
        answered_by_ack(context)
        ack(text=USAGE)
    else:
        ack()  # a diagnosis says "diagnosing…" in the channel: the message that becomes the answer


def run_command(services: Services, command: dict[str, Any], client: WebClient, respond: Respond) -> None:
    channel, user = command["channel_id"], command["user_id"]
    try:
        parsed = read(services, command.get("text", ""))
    except CommandError:
        if pasted(command.get("text", "")):
            explain_pasted(services, command.get("text", ""), client, respond, channel, user)
        return  # otherwise answered by the ack
    if parsed.verb == "diagnose":
        placeholder = diagnosing(client, parsed, channel, user)
        if placeholder is None:  # not in this conversation: the answer comes through the response URL
            respond(response_type="ephemeral", text=f"🔎 Diagnosing {escape(parsed.target)}…")
        diagnose_and_publish(client, services, parsed, channel, user, respond, placeholder=placeholder)
    elif parsed.verb == "check":
        check_and_publish(client, services, parsed, channel, user, respond)
    elif parsed.verb == "audit":
        audit_and_respond(services, parsed, respond)
    elif parsed.verb == "exec-check":
        exec_check_and_publish(client, services, parsed, channel, user, respond)
    elif parsed.verb == "summary":
        post_summary(client, services, parsed, channel, respond)
    elif parsed.verb != "help":
        run_subscription_command(client, services, parsed, channel, user, respond)


def explain_pasted(
    services: Services, text: str, client: WebClient, respond: Respond, channel: str, user: str
) -> None:
    """`/ecs-why <a pasted stop reason>`: what it says, explained in the channel (and what it names, diagnosed)."""
    if not answer_message(services, {"text": text}, client, respond, channel, user, None, "the pasted text"):
        respond(
            response_type="ephemeral",
            text="⚠️ That reads as ECS text but names no stop cause I know. `/ecs-why` takes one target "
            "(`/ecs-why web-api`); to explain a pasted reason or alert, post it and use the message "
            "shortcut *Why did this stop?* on it, or run `ecs-why explain` in a terminal.",
        )


def register(app: App, services: Services) -> None:
    app.command(COMMAND)(ack=bind(ack_command, services), lazy=[bind(run_command, services)])
