"""handlers/approvals.py, called as Bolt calls it: Approve / Reject take the clicker's verdict once, say in
the thread what it did, show the outcome in place of the request's buttons and follow an applied change;
a verdict that cannot be taken is said only to the clicker, changing nothing."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from unittest.mock import MagicMock

import pytest

from bot.guardrails.reasons import Reason, Why
from bot.remediation.approvals import AlreadyDecided, ApprovalExpired, Decided
from bot.remediation.executor import Applied, Refused
from bot.store import StoreUnavailable
from handlers import approvals
from handlers.refusals import STORE_DOWN
from tests.builders.listener_mocks import client, services
from tests.builders.remediation import approval, grace_plan

REQUEST = approval(
    id="a1",
    title="Raise the grace period of prod/web-api to 190 s",
    requested_by="U2",
    channel="C1",
    thread_ts="1700000000.000100",
    message_channel="C1",
    message_ts="1700000000.000200",
)


def click(action_id: str, user: str = "U1") -> dict[str, Any]:
    return {"body": {"user": {"id": user}}, "action": {"action_id": action_id, "value": "a1"}}


def deciding(decided: Decided | None = None, error: Exception | None = None) -> MagicMock:
    svc = services()
    svc.approvals.decide.side_effect = error
    svc.approvals.decide.return_value = decided
    svc.store.get_approval.return_value = REQUEST
    return svc


def test_an_approval_applies_says_so_in_the_thread_marks_the_request_and_follows(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    followed: list[tuple[Any, ...]] = []
    monkeypatch.setattr(approvals, "follow_in_thread", lambda *args: followed.append(args))
    applied = Applied(ok=True, plan=grace_plan())
    svc, slack, respond = deciding(Decided("approved", "U1", REQUEST, applied)), client(), MagicMock()
    approvals.approve(svc, **click("ecs_why_approve"), client=slack, respond=respond)
    svc.approvals.decide.assert_called_once_with("U1", "a1", "approved")
    said = slack.chat_postMessage.call_args.kwargs
    assert said["thread_ts"] == "1700000000.000100"
    assert said["text"] == (
        "🛠️ <@U2> applied, approved by <@U1>: Raise the health check grace period to 190 s: "
        "healthCheckGracePeriodSeconds 60 s → 190 s"
    )
    marked = slack.chat_update.call_args.kwargs
    assert marked["ts"] == "1700000000.000200" and "actions" not in str(marked["blocks"])
    assert [f[3:] for f in followed] == [("U2", "C1", "1700000000.000100")]
    respond.assert_not_called()


def test_a_rejection_changes_nothing_and_says_who() -> None:
    svc, slack = deciding(Decided("rejected", "U1", REQUEST)), client()
    approvals.reject(svc, **click("ecs_why_reject"), client=slack, respond=MagicMock())
    svc.approvals.decide.assert_called_once_with("U1", "a1", "rejected")
    assert slack.chat_postMessage.call_args.kwargs["text"] == (
        "🙅 <@U1> rejected the change <@U2> asked for; nothing was changed."
    )
    slack.chat_update.assert_called_once()


def test_an_expired_request_is_marked_and_said_to_the_clicker() -> None:
    expired = ApprovalExpired(datetime(2026, 12, 1, 10, 0, tzinfo=UTC).timestamp())
    svc, slack, respond = deciding(error=expired), client(), MagicMock()
    approvals.approve(svc, **click("ecs_why_approve"), client=slack, respond=respond)
    assert respond.call_args.kwargs["text"] == (
        "⌛ this approval request expired at 10:00 UTC; nothing was changed. "
        "Ask for the change again to get a new request"
    )
    assert "⌛ this approval request expired at 10:00 UTC" in str(
        slack.chat_update.call_args.kwargs["blocks"]
    )
    slack.chat_postMessage.assert_not_called()


@pytest.mark.parametrize(
    ("error", "said"),
    [
        (
            Refused(Reason(Why.OWN_REQUEST, "prod-two"), ("U9", "S0OPS")),
            "🚫 you asked for this change: a second, different person must approve it; "
            "allowed: <@U9>, <!subteam^S0OPS>",
        ),
        (
            AlreadyDecided("approved", "U9"),
            "🚫 this request was already approved by U9; nothing was done twice",
        ),
        (StoreUnavailable("down"), STORE_DOWN),
    ],
)
def test_a_verdict_that_cannot_be_taken_is_said_only_to_the_clicker(error: Exception, said: str) -> None:
    svc, slack, respond = deciding(error=error), client(), MagicMock()
    approvals.approve(svc, **click("ecs_why_approve"), client=slack, respond=respond)
    respond.assert_called_once_with(response_type="ephemeral", replace_original=False, text=said)
    slack.chat_postMessage.assert_not_called()
    slack.chat_update.assert_not_called()


def test_without_approvals_set_up_the_buttons_say_so() -> None:
    svc, respond = services(), MagicMock()
    svc.approvals = None
    approvals.approve(svc, **click("ecs_why_approve"), client=client(), respond=respond)
    assert respond.call_args.kwargs["text"] == "🚫 Approvals are not set up here."
