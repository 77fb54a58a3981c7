"""Message shortcut "Why did this stop?": explains what the message says (stop reasons and service events in
its text, blocks and attachments, pasted ECS JSON) and diagnoses the ARNs and cluster/service names in it,
answering in that message's thread.

When a named task is one ECS has forgotten (stopped tasks live about an hour), the answer is what the
message itself says, with stored history, instead of "nothing found"."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from slack_bolt import Ack, App, Respond
from slack_sdk import WebClient

from bot import metrics
from bot.diagnoser import with_history
from bot.services import Services
from diagnosis.engine import diagnose
from diagnosis.intake import Intake
from diagnosis.live import parse_since
from diagnosis.models import Diagnosis, Gap, Target
from handlers.bind import bind
from handlers.extract import find_in_message
from handlers.grammar import Command
from handlers.replies import publish
from handlers.run import diagnose_and_publish

CALLBACK = "why_did_this_stop"


def ack_shortcut(ack: Ack) -> None:
    metrics.REQUESTS.labels("shortcut").inc()
    ack()


def answer(services: Services, shortcut: dict[str, Any], client: WebClient, respond: Respond) -> None:
    """What the message says, and the diagnoses of what it names, in its thread; or why there is none."""
    message = shortcut.get("message", {})
    channel = shortcut["channel"]["id"]
    user = shortcut["user"]["id"]
    thread_ts = message.get("thread_ts") or message.get("ts")
    if not answer_message(services, message, client, respond, channel, user, thread_ts):
        respond(
            response_type="ephemeral",
            text="I found nothing to diagnose in that message: no stop reason or service event, no task "
            "or service ARN, no cluster/service name I could find, no ECS JSON. Try `/ecs-why SERVICE`.",
        )


def answer_message(
    services: Services,
    message: dict[str, Any],
    client: WebClient,
    respond: Respond,
    channel: str,
    user: str,
    thread_ts: str | None,
    subject: str = "this message",
) -> bool:
    """Explain what a message (or a pasted text) says and diagnose what it names; False when nothing was
    answered. `subject`: what the answer calls the text where it names no service or task."""
    found = find_in_message(message)
    explained = explain(found.explained, found.commands, services) if found.explained else None
    answered = 0
    for command in found.commands:
        if diagnose_and_publish(
            client,
            services,
            command,
            channel,
            user,
            respond,
            thread_ts,
            # what the message says answers it when ECS does not know (or no longer knows) the name
            quiet_unknown=explained is not None
            or ("/" in command.target and not command.target.startswith("arn:")),
            skip_empty=explained is not None,  # ECS forgot the task: the message says more
        ):
            answered += 1
    if explained is not None and not answered:
        publish(
            client,
            services,
            explained,
            Command("diagnose", explained.target.label()),
            channel,
            user,
            respond,
            thread_ts,
            pasted=subject,
        )
        answered += 1
    return answered > 0


def register(app: App, services: Services) -> None:
    app.shortcut(CALLBACK)(ack=ack_shortcut, lazy=[bind(answer, services)])


def explain(intake: Intake, commands: list[Command], services: Services) -> Diagnosis | None:
    """The diagnosis of what the message says (None when it names no cause), its target completed from the
    names in the message, with the stored history of that service."""
    diagnosis = diagnose(intake.observations, gaps=intake.gaps)
    if not diagnosis.findings:
        return None
    target = _completed(diagnosis.target, commands)
    arns = [c.target for c in commands if ":task/" in c.target]
    gaps = list(diagnosis.gaps)
    if arns:
        gaps.append(
            Gap(
                what="live task details",
                reason="explained from the message: ECS no longer knows the task (it forgets stopped tasks "
                "after about an hour), or it could not be read",
            )
        )
    diagnosis = replace(diagnosis, target=target, gaps=gaps)
    return with_history(diagnosis, services.store, parse_since(services.settings.since_default))


def _completed(target: Target, commands: list[Command]) -> Target:
    """Cluster and service from the message's ARNs and `cluster/service` names, when the reasons lack them."""
    update: dict[str, str] = {}
    for command in commands:
        resource = command.target.split(":", 5)[-1] if command.target.startswith("arn:") else ""
        parts = resource.split("/") if resource else command.target.split("/")
        if resource.startswith("service/") and len(parts) == 3:
            update.setdefault("cluster", parts[1])
            update.setdefault("service", parts[2])
        elif resource.startswith("task/") and len(parts) == 3:
            update.setdefault("cluster", parts[1])
        elif not resource and len(parts) == 2:
            update.setdefault("cluster", parts[0])
            update.setdefault("service", parts[1])
    missing = {k: v for k, v in update.items() if not getattr(target, k)}
    return replace(target, **missing) if missing else target
