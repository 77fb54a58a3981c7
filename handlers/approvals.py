"""Approve / Reject on an approval request (guardrail mode approve). The clicker is checked (not the
requester, an approver of the rule, the rule as it is now), the verdict is taken once across replicas,
and the request message shows the outcome in place of its buttons."""

from __future__ import annotations

import contextlib
from typing import Any

from slack_bolt import App, Respond
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot import metrics
from bot.remediation.approvals import AlreadyDecided, ApprovalExpired, Decided, Verdict
from bot.remediation.executor import Expired, Refused
from bot.remediation.kinds import PlanError
from bot.services import Services
from bot.store import StoreUnavailable
from bot.store.records import Unreadable
from handlers.actions import ack_click
from handlers.bind import bind
from handlers.refusals import gone_says, outcome_says, refused, tell_store_down
from handlers.render.approval import APPROVE, REJECT, approval_outcome
from handlers.render.text import escape
from handlers.replies import update
from handlers.views import follow_in_thread, say


def decide(
    services: Services,
    verdict: Verdict,
    body: dict[str, Any],
    action: dict[str, Any],
    client: WebClient,
    respond: Respond,
) -> None:
    """Take the clicker's verdict on the request (once), then say what it did."""
    user, approval_id = body["user"]["id"], str(action.get("value", ""))
    if services.approvals is None:
        respond(response_type="ephemeral", replace_original=False, text="🚫 Approvals are not set up here.")
        return
    try:
        decided = services.approvals.decide(user, approval_id, verdict)
    except ApprovalExpired as exc:
        _mark(client, services, approval_id, f"⌛ {escape(gone_says(exc))}")
        respond(response_type="ephemeral", replace_original=False, text=f"⌛ {escape(gone_says(exc))}")
        return
    except (Refused, AlreadyDecided, Expired, PlanError) as exc:
        respond(response_type="ephemeral", replace_original=False, text=refused(exc))
        return
    except StoreUnavailable:
        tell_store_down(respond)
        return
    _announce(client, services, decided)


def approve(
    services: Services, body: dict[str, Any], action: dict[str, Any], client: WebClient, respond: Respond
) -> None:
    decide(services, "approved", body, action, client, respond)


def reject(
    services: Services, body: dict[str, Any], action: dict[str, Any], client: WebClient, respond: Respond
) -> None:
    decide(services, "rejected", body, action, client, respond)


def register(app: App, services: Services) -> None:
    app.action(APPROVE)(ack=ack_click, lazy=[bind(approve, services)])
    app.action(REJECT)(ack=ack_click, lazy=[bind(reject, services)])


def _announce(client: WebClient, services: Services, decided: Decided) -> None:
    """Say in the thread what the verdict did, mark the request, and follow the deployment it started."""
    request, by = decided.request, decided.by
    channel, thread_ts, requester = request.channel, request.thread_ts, request.requested_by
    applied = decided.applied
    if decided.verdict == "rejected":
        metrics.ACTIONS.labels(request.kind, "rejected").inc()
        text = f"🙅 <@{by}> rejected the change <@{requester}> asked for; nothing was changed."
    elif applied is not None and applied.ok:
        metrics.ACTIONS.labels(request.kind, "applied").inc()
        text = f"🛠️ <@{requester}> applied, approved by <@{by}>: {escape(outcome_says(applied))}"
    elif applied is not None and applied.duplicate:
        text = f"ℹ️ {escape(outcome_says(applied))}"
    else:
        metrics.ACTIONS.labels(request.kind, "failed").inc()
        text = f"❌ <@{requester}> tried, approved by <@{by}>: {escape(outcome_says(applied))}"
    if decided.verdict == "rejected" or (applied is not None and (applied.ok or applied.duplicate)):
        _mark(client, services, request.id, text)  # a failed change leaves the buttons: retry
    say(client, channel, thread_ts, text, by)
    if applied is not None and applied.ok:
        follow_in_thread(client, services, request.pending, requester, channel, thread_ts)


def _mark(client: WebClient, services: Services, approval_id: str, outcome: str) -> None:
    """Replace the request's buttons with its outcome; a request whose message is unknown is left as is."""
    try:
        request = services.store.get_approval(approval_id)
    except (StoreUnavailable, Unreadable):
        return
    if request is None or not request.message_ts:
        return
    with contextlib.suppress(SlackApiError):  # the thread says what happened all the same
        update(client, request.message_channel or "", request.message_ts, approval_outcome(request, outcome))
