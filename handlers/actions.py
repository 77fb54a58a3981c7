"""Buttons. A click is a command: re-run and "more log lines" run the same path as `/ecs-why`; a fix
button opens the confirmation modal for its pending action (authorised at click and again at confirm)."""

from __future__ import annotations

import logging
import re
from typing import Any

from slack_bolt import Ack, App, Respond
from slack_sdk import WebClient

from bot import metrics
from bot.remediation.executor import Expired, Refused
from bot.remediation.kinds import PlanError
from bot.remediation.reporting import aws_message
from bot.services import Services
from bot.store import StoreUnavailable
from handlers.bind import bind
from handlers.exec_check import exec_check_and_publish
from handlers.grammar import CommandError, parse_command
from handlers.refusals import refused, tell_store_down
from handlers.render.diagnosis import FIX, MORE_LOGS, RERUN, log_message
from handlers.render.modal import confirm_view
from handlers.render.text import escape, who
from handlers.replies import post
from handlers.run import PICK, diagnose_and_publish

log = logging.getLogger(__name__)


def _where(body: dict[str, Any]) -> tuple[str, str, str | None]:
    container = body.get("container") or {}
    message = body.get("message") or {}
    channel = (body.get("channel") or {}).get("id") or container.get("channel_id", "")
    thread_ts = (
        message.get("thread_ts")
        or container.get("thread_ts")
        or message.get("ts")
        or container.get("message_ts")
    )
    return channel, body["user"]["id"], thread_ts


def ack_click(ack: Ack) -> None:
    """The ack of every button: at once, counted; the work is in a lazy listener."""
    metrics.REQUESTS.labels("action").inc()
    ack()


def rerun(
    services: Services, body: dict[str, Any], action: dict[str, Any], client: WebClient, respond: Respond
) -> None:
    """Re-run (in the diagnosis thread) or a candidate picked from the menu: the clicked command, again."""
    channel, user, thread_ts = _where(body)
    value = action.get("value") or (action.get("selected_option") or {}).get("value", "")
    try:
        command = parse_command(value)
    except CommandError as exc:
        respond(response_type="ephemeral", replace_original=False, text=f"⚠️ {escape(str(exc))}")
        return
    if command.verb == "exec-check":  # its Re-run posts a fresh report, with a fresh button
        exec_check_and_publish(client, services, command, channel, user, respond)
        return
    in_thread = thread_ts if action.get("action_id") == RERUN else None
    diagnose_and_publish(client, services, command, channel, user, respond, in_thread)


def more_logs(
    services: Services, body: dict[str, Any], action: dict[str, Any], client: WebClient, respond: Respond
) -> None:
    """200 log lines of the diagnosed service, in the thread."""
    channel, _user, thread_ts = _where(body)
    try:
        diagnosis = services.diagnoser.run(parse_command(action.get("value", "")), log_lines=200)
    except Exception as exc:
        respond(response_type="ephemeral", replace_original=False, text=f"⚠️ {escape(str(exc))}")
        return
    post(client, channel, log_message(diagnosis), thread_ts)


def open_fix(
    services: Services, body: dict[str, Any], action: dict[str, Any], client: WebClient, respond: Respond
) -> None:
    """The confirmation modal of the button's pending action, planned for the clicker (or why not)."""
    channel, user, thread_ts = _where(body)
    key = action.get("value", "")
    try:
        authorised, plan = services.remediator.plan(user, key)
    except (Refused, Expired, PlanError) as exc:
        respond(response_type="ephemeral", replace_original=False, text=refused(exc))
        return
    except StoreUnavailable:
        tell_store_down(respond)
        return
    except Exception as exc:  # AWS refused the reads that plan it (AccessDenied, throttling, the network)
        log.warning("a fix could not be planned: %s", aws_message(exc))
        text = f"⚠️ I could not prepare this fix: {escape(aws_message(exc))}; nothing was changed."
        respond(response_type="ephemeral", replace_original=False, text=text)
        return
    risk, decision = authorised.pending.action.risk, authorised.decision
    approvers = who(decision.approvers)
    client.views_open(
        trigger_id=body["trigger_id"],
        view=confirm_view(
            plan, key, channel, thread_ts, risk, decision, approvers, services.remediator.code_only
        ),
    )


def register(app: App, services: Services) -> None:
    app.action(RERUN)(ack=ack_click, lazy=[bind(rerun, services)])
    app.action(PICK)(ack=ack_click, lazy=[bind(rerun, services)])
    app.action(MORE_LOGS)(ack=ack_click, lazy=[bind(more_logs, services)])
    app.action(re.compile(f"^{FIX}:\\d+$"))(ack=ack_click, lazy=[bind(open_fix, services)])
