"""The `/ecs-why` slash command: ack at once (ephemeral), then do the work in a lazy listener."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, App, BoltContext, Respond
from slack_sdk import WebClient

from bot import metrics
from bot.jobs import answered_by_ack
from bot.services import Services
from handlers.audit import audit_and_respond
from handlers.bind import bind
from handlers.check import check_and_publish
from handlers.exec_check import exec_check_and_publish
from handlers.grammar import USAGE, Command, CommandError, check_command, read_command
from handlers.render.text import escape
from handlers.run import diagnose_and_publish, diagnosing
from handlers.subscriptions import run_subscription_command
from handlers.summary import post_summary

COMMAND = "/ecs-why"
COMMANDS = metrics.REQUESTS.labels("command")


def read(services: Services, text: str) -> Command:
    """The typed command, checked whole (target, flags, --since): a typo is one ephemeral error."""
    parsed = read_command(text)
    check_command(parsed, {a.alias for a in services.settings.accounts})
    return parsed


def ack_command(services: Services, ack: Ack, command: dict[str, Any], context: BoltContext) -> None:
    """A typo's error and the usage are the whole answer (no job is queued); the rest is `run_command`."""
    COMMANDS.inc()
    try:
        parsed = read(services, command.get("text", ""))
    except CommandError as exc:
        answered_by_ack(context)
        ack(text=f"⚠️ {escape(str(exc))}\n\n{USAGE}")
        return
    if parsed.verb == "help":
        answered_by_ack(context)
        ack(text=USAGE)
    else:
        ack()  # a diagnosis says "diagnosing…" in the channel: the message that becomes the answer


def run_command(services: Services, command: dict[str, Any], client: WebClient, respond: Respond) -> None:
    try:
        parsed = read(services, command.get("text", ""))
    except CommandError:
        return  # answered by the ack (a job queued by an older version that did not say so)
    channel, user = command["channel_id"], command["user_id"]
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


def register(app: App, services: Services) -> None:
    app.command(COMMAND)(ack=bind(ack_command, services), lazy=[bind(run_command, services)])
