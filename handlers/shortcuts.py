"""Message shortcut "Why did this stop?": finds ARNs, cluster/service names and pasted ECS JSON in the
message (and its attachments), and answers each in that message's thread."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, App, Respond
from slack_sdk import WebClient

from bot import metrics
from bot.commands import Command
from bot.extract import find_targets
from bot.services import Services
from diagnosis.engine import diagnose
from diagnosis.parse import InputError, parse_document
from handlers.replies import publish
from handlers.run import diagnose_and_publish

CALLBACK = "why_did_this_stop"


def message_text(message: dict[str, Any]) -> str:
    parts = [str(message.get("text", ""))]
    for attachment in message.get("attachments") or []:
        parts += [str(attachment.get(k, "")) for k in ("title", "pretext", "text", "fallback")]
        parts += [f"{f.get('title', '')} {f.get('value', '')}" for f in attachment.get("fields") or []]
    return "\n".join(p for p in parts if p)


def register(app: App, services: Services) -> None:
    def ack_shortcut(ack: Ack) -> None:
        metrics.REQUESTS.labels("shortcut").inc()
        ack()

    def answer(shortcut: dict[str, Any], client: WebClient, respond: Respond) -> None:
        message = shortcut.get("message", {})
        channel = shortcut["channel"]["id"]
        user = shortcut["user"]["id"]
        thread_ts = message.get("thread_ts") or message.get("ts")
        found = find_targets(message_text(message))
        answered = 0
        for document in found.documents:
            try:
                diagnosis = diagnose(parse_document(document))
            except InputError:
                continue
            publish(
                client,
                services,
                diagnosis,
                Command("diagnose", diagnosis.target.label()),
                channel,
                user,
                respond,
                thread_ts,
            )
            answered += 1
        for command in found.commands:
            if diagnose_and_publish(
                client,
                services,
                command,
                channel,
                user,
                respond,
                thread_ts,
                quiet_unknown="/" in command.target and not command.target.startswith("arn:"),
            ):
                answered += 1
        if not answered:
            respond(
                response_type="ephemeral",
                text="I found nothing to diagnose in that message: no task or service "
                "ARN, no cluster/service name I could find, no ECS event JSON. Try `/ecs-why SERVICE`.",
            )

    app.shortcut(CALLBACK)(ack=ack_shortcut, lazy=[answer])
