"""`/ecs-why exec-check SERVICE`: run the ECS Exec readiness checks, post the verdict with the
`execute-command` line and, when the service has ECS Exec off, the "Enable ECS Exec" button (the same
confirm modal, authorisation and audit as every fix); say what went wrong in words when it cannot run."""

from __future__ import annotations

from slack_sdk import WebClient

from bot.checker import run_exec_check
from bot.services import Services
from diagnosis.exec_check import ExecReport
from diagnosis.models import Action
from handlers.grammar import Command
from handlers.publish_check import publish_check
from handlers.render import exec_check as render
from handlers.replies import Respond, offer


def exec_check_and_publish(
    client: WebClient, services: Services, command: Command, channel: str, user: str, respond: Respond
) -> bool:
    """True when a report was published."""
    return publish_check(
        client,
        command,
        channel,
        user,
        respond,
        what="checking ECS Exec on",
        run=lambda: run_exec_check(services.diagnoser, command),
        fixes=lambda report: fixes_for(services, report, command, channel, user),
        headline=lambda report, fixes: render.headline(report, command.text(), fixes),
        thread=render.thread,
        terminal="ecs-why exec-check",
    )


def fixes_for(
    services: Services, report: ExecReport, command: Command, channel: str, user: str
) -> list[tuple[Action, str]]:
    """The "Enable ECS Exec" pending action when the service has it off; the button carries only its key."""
    if report.action is None:
        return []
    key = offer(services, report.action, report.target, command, channel, user, "ecs_exec")
    return [(report.action, key)]
