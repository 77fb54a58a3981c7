"""handlers/views.py, called as Bolt calls it: the confirmed fix is applied once and said in the thread
(then followed), a change under approval posts its request instead, and what is refused, a duplicate or
the state store down is said only to the user, changing nothing."""

from __future__ import annotations

import json
from typing import Any
from unittest.mock import MagicMock

import pytest

from bot.guardrails.policy import Decision
from bot.guardrails.reasons import Reason, Why
from bot.remediation.executor import Applied, Refused, Replayed
from bot.store import StoreUnavailable
from handlers import views
from handlers.refusals import STORE_DOWN
from handlers.render.diagnosis import Message
from tests.builders.listener_mocks import client, services, slack_error
from tests.builders.remediation import approval, grace_plan, pending

THREAD = "1700000000.000100"
PENDING = pending()


def submit() -> dict[str, Any]:
    meta = {"channel": "C1", "thread_ts": THREAD, "key": "key0"}
    return {"body": {"user": {"id": "U1"}}, "view": {"private_metadata": json.dumps(meta)}}


def applying(result: Applied | None = None, error: Exception | None = None) -> MagicMock:
    svc = services()
    svc.remediator.apply.side_effect = error
    svc.remediator.apply.return_value = result
    return svc


def test_an_applied_fix_is_said_in_the_thread_and_followed(monkeypatch: pytest.MonkeyPatch) -> None:
    followed: list[tuple[Any, ...]] = []
    monkeypatch.setattr(views, "follow_in_thread", lambda *args: followed.append(args))
    svc, slack = applying(Applied(ok=True, plan=grace_plan("Raise <ok>"), pending=PENDING)), client()
    views.apply(svc, **submit(), client=slack)
    svc.remediator.apply.assert_called_once_with("U1", "key0")
    said = slack.chat_postMessage.call_args.kwargs
    assert said["channel"] == "C1" and said["thread_ts"] == THREAD
    assert said["text"] == "🛠️ <@U1> applied: Raise &lt;ok&gt;: healthCheckGracePeriodSeconds 60 s → 190 s"
    assert [f[2:] for f in followed] == [(PENDING, "U1", "C1", THREAD)]


def test_a_failed_fix_is_said_in_the_thread_and_not_followed(monkeypatch: pytest.MonkeyPatch) -> None:
    followed: list[Any] = []
    monkeypatch.setattr(views, "follow_in_thread", lambda *args: followed.append(args))
    svc, slack = applying(Applied(ok=False, error="AccessDenied", pending=PENDING)), client()
    views.apply(svc, **submit(), client=slack)
    assert (
        slack.chat_postMessage.call_args.kwargs["text"]
        == "❌ <@U1> tried: the change failed: AccessDenied; nothing else was changed"
    )
    assert followed == []


@pytest.mark.parametrize(
    ("result", "error", "said"),
    [
        (
            None,
            Refused(Reason(Why.NO_RULE, "default", "rollback", "prod/web-api"), ("U9",)),
            "🚫 you are not allowed to run rollback on prod/web-api: no guardrail rule lets you; allowed: <@U9>",
        ),
        (None, Replayed(), "🚫 this change was already applied; nothing was done twice"),
        (None, StoreUnavailable("down"), STORE_DOWN),
        (
            Applied(ok=True, duplicate=True),
            None,
            "ℹ️ this change was already applied (or is being applied); nothing was done twice",
        ),
    ],
)
def test_what_changes_nothing_is_said_only_to_the_user(
    result: Applied | None, error: Exception | None, said: str
) -> None:
    svc, slack = applying(result, error), client()
    views.apply(svc, **submit(), client=slack)
    slack.chat_postEphemeral.assert_called_once_with(channel="C1", user="U1", text=said)
    slack.chat_postMessage.assert_not_called()


def test_where_the_bot_cannot_say_it_in_the_channel_the_user_gets_a_direct_message() -> None:
    svc, slack = applying(error=StoreUnavailable("down")), client()
    slack.chat_postEphemeral.side_effect = slack_error("channel_not_found", "chat.postEphemeral")
    views.apply(svc, **submit(), client=slack)
    assert slack.chat_postMessage.call_args.kwargs == {"channel": "U1", "text": STORE_DOWN}


def test_a_change_under_approval_posts_its_request_in_the_thread(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(views, "approval_request", lambda request, approvers: Message("asks", []))
    svc, slack = applying(Applied(ok=False, needs_approval=True)), client()
    svc.approvals.request.return_value = approval(id="a1", approvers=("U9",))
    views.apply(svc, **submit(), client=slack)
    result = svc.remediator.apply.return_value
    svc.approvals.request.assert_called_once_with("U1", "key0", result, "C1", THREAD)
    posted = slack.chat_postMessage.call_args.kwargs
    assert posted["thread_ts"] == THREAD and posted["text"] == "asks"
    svc.store.update_approval.assert_called_once_with(
        "a1", message_channel="C1", message_ts="1700000000.000001"
    )


def test_without_approvals_set_up_a_change_under_approval_is_refused() -> None:
    decision = Decision(
        "approve", "prod-two", Reason(Why.NEEDS_APPROVAL, "prod-two", "rollback", "prod/web"), ("U9",)
    )
    svc, slack = (
        applying(Applied(ok=False, decision=decision, needs_approval=True)),
        client(),
    )
    svc.approvals = None
    views.apply(svc, **submit(), client=slack)
    slack.chat_postEphemeral.assert_called_once_with(
        channel="C1",
        user="U1",
        text="🚫 guardrail rule prod-two lets you ask for rollback on prod/web; a second, different person "
        "must approve it, and approvals are not set up here.",
    )
