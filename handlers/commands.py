"""The `/ecs-why` slash command: ack at once (ephemeral), then do the work in a lazy listener."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, App, Respond
from slack_sdk import WebClient

from bot import metrics
from bot.commands import USAGE, CommandError, parse_command
from bot.services import Services
from handlers.render.text import escape
from handlers.run import diagnose_and_publish
from handlers.subscriptions import run_subscription_command

COMMAND = "/ecs-why"


def register(app: App, services: Services) -> None:
    def ack_command(ack: Ack, command: dict[str, Any]) -> None:
        metrics.REQUESTS.labels("command").inc()
        with metrics.ACK_SECONDS.time():
            try:
                parsed = parse_command(command.get("text", ""))
            except CommandError as exc:
                ack(text=f"⚠️ {escape(str(exc))}\n\n{USAGE}")
                return
            if parsed.verb == "help":
                ack(text=USAGE)
            elif parsed.verb == "diagnose":
                ack(text=f"🔎 Diagnosing {escape(parsed.target)}… the answer will be posted here.")
            else:
                ack()

    def run_command(command: dict[str, Any], client: WebClient, respond: Respond) -> None:
        try:
            parsed = parse_command(command.get("text", ""))
        except CommandError:
            return  # already answered by the ack
        channel, user = command["channel_id"], command["user_id"]
        if parsed.verb == "diagnose":
            diagnose_and_publish(client, services, parsed, channel, user, respond)
        elif parsed.verb != "help":
            run_subscription_command(client, services, parsed, channel, user, respond)

    app.command(COMMAND)(ack=ack_command, lazy=[run_command])
