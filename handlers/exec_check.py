"""`/ecs-why exec-check SERVICE`: run the ECS Exec readiness checks, post the verdict with the
`execute-command` line and, when the service has ECS Exec off, the "Enable ECS Exec" button (the same
confirm modal, authorisation and audit as every fix); say what went wrong in words when it cannot run."""

from __future__ import annotations

import logging

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.aws_session import SessionError
from bot.checker import run_exec_check
from bot.commands import Command
from bot.services import Services
from diagnosis.collect.target import TargetError
from diagnosis.exec_check import ExecReport
from diagnosis.models import Action
from handlers.render import exec_check as render
from handlers.render.diagnosis import Message
from handlers.render.text import escape
from handlers.replies import CannotPost, Respond, post, update

log = logging.getLogger(__name__)


def exec_check_and_publish(
    client: WebClient, services: Services, command: Command, channel: str, user: str, respond: Respond
) -> bool:
    """True when a report was published."""
    placeholder = _checking(client, command, channel, user)

    def fail(text: str) -> bool:
        if placeholder:
            try:
                update(client, channel, placeholder, Message(text=text, blocks=[_section(text)]))
                return False
            except SlackApiError as exc:
                log.warning("could not turn the checking message into the error: %s", exc)
        respond(response_type="ephemeral", replace_original=False, text=text)
        return False

    try:
        report = run_exec_check(services.diagnoser, command)
    except (TargetError, SessionError, ValueError) as exc:
        return fail(f"⚠️ {escape(str(exc))}")
    except Exception as exc:
        log.exception("exec-check of %s failed", command.target)
        return fail(
            f"⚠️ I could not finish checking ECS Exec on {escape(command.target)}: {escape(type(exc).__name__)}. "
            "Try again, or run `ecs-why exec-check` in a terminal for details."
        )
    top = render.headline(report, command.text(), fixes_for(services, report, command, channel, user))
    try:
        if placeholder:
            update(client, channel, placeholder, top)
            ts = placeholder
        else:
            ts = post(client, channel, top)
    except CannotPost:
        respond(response_type="in_channel", text=top.text, blocks=top.blocks)
        return True
    for message in render.thread(report):
        post(client, channel, message, ts)
    return True


def fixes_for(
    services: Services, report: ExecReport, command: Command, channel: str, user: str
) -> list[tuple[Action, str]]:
    """The "Enable ECS Exec" pending action when the service has it off; the button carries only its key."""
    if report.action is None:
        return []
    target = report.target
    key = services.remediator.offer(
        report.action.model_dump(),
        {
            "target": {
                "account": target.account,
                "account_alias": command.account,
                "region": target.region,
                "cluster": target.cluster,
                "service": target.service,
            },
            "channel": channel,
            "offered_to": user,
            "command": command.text(),
            "category": "ecs_exec",
        },
    )
    return [(report.action, key)]


def _checking(client: WebClient, command: Command, channel: str, user: str) -> str | None:
    text = f"🔎 Checking ECS Exec on {escape(command.target)} for <@{user}>…"
    try:
        return post(client, channel, Message(text=text, blocks=[_context(text)]))
    except (CannotPost, SlackApiError) as exc:
        log.info("cannot post the checking message in %s: %s", channel, exc)
        return None


def _section(text: str) -> dict[str, object]:
    return {"type": "section", "text": {"type": "mrkdwn", "text": text}}


def _context(text: str) -> dict[str, object]:
    return {"type": "context", "elements": [{"type": "mrkdwn", "text": text}]}
