"""`/ecs-why check SERVICE`: run the prevention check, post the errors (with fix buttons where the bot can
apply one) in the channel and the warnings in the thread; say what went wrong in words when it cannot run."""

from __future__ import annotations

from slack_sdk import WebClient

from bot.checker import run_check
from bot.services import Services
from diagnosis.models import Action
from diagnosis.prevent.model import CheckReport
from handlers.grammar import Command
from handlers.publish_check import publish_check
from handlers.render import check as render
from handlers.replies import Respond, offer


def check_and_publish(
    client: WebClient, services: Services, command: Command, channel: str, user: str, respond: Respond
) -> bool:
    """True when a report was published."""
    return publish_check(
        client,
        command,
        channel,
        user,
        respond,
        what="checking",
        run=lambda: run_check(services.diagnoser, command),
        fixes=lambda report: fixes_for(services, report, command, channel, user),
        headline=lambda report, fixes: render.headline(report, command.text(), fixes),
        thread=render.thread,
        terminal="ecs-why check",
    )


def fixes_for(
    services: Services, report: CheckReport, command: Command, channel: str, user: str
) -> list[tuple[Action, str]]:
    """Pending actions for the results the bot can fix itself (errors first); buttons carry only keys."""
    target = report.target
    offered: list[tuple[Action, str]] = []
    seen: set[str] = set()
    for result in report.results:
        if result.action is None or result.action.kind in seen or target is None:
            continue
        seen.add(result.action.kind)
        category = result.prevents[0] if result.prevents else result.rule
        key = offer(services, result.action, target, command, channel, user, category)
        offered.append((result.action, key))
    return offered
