"""handlers/actions.py, called as Bolt calls it: a click is a command (re-run in the thread, a picked
candidate in the channel, more log lines); a fix button opens its confirmation modal, or says only to the
clicker why not (refused, expired, the state store down), changing nothing."""

from __future__ import annotations

from typing import Any
from unittest.mock import MagicMock

import pytest
from botocore.exceptions import ClientError

from bot.guardrails.policy import Decision
from bot.guardrails.reasons import Reason, Why
from bot.remediation.executor import Authorised, Expired, Refused
from bot.remediation.kinds import PlanError
from bot.remediation.why_not import NoSteadyRevision
from bot.store import StoreUnavailable
from handlers import actions
from handlers.grammar import Command
from handlers.refusals import STORE_DOWN
from tests.builders.listener_mocks import client, services
from tests.builders.remediation import grace_action, pending

THREAD = "1700000000.000100"


def click(action_id: str, value: str, **action: Any) -> dict[str, Any]:
    return {
        "body": {
            "user": {"id": "U1"},
            "channel": {"id": "C1"},
            "message": {"ts": "1700000000.000500", "thread_ts": THREAD},
            "trigger_id": "t-1",
        },
        "action": {"action_id": action_id, "value": value, **action},
    }


def posts(slack: MagicMock) -> list[dict[str, Any]]:
    return [c.kwargs for c in slack.chat_postMessage.call_args_list]


def test_rerun_diagnoses_again_in_the_thread() -> None:
    svc, slack, respond = services(), client(), MagicMock()
    actions.rerun(svc, **click("ecs_why_rerun", "web-api --cluster prod"), client=slack, respond=respond)
    svc.diagnoser.run.assert_called_once_with(Command("diagnose", "web-api", "prod"))
    assert posts(slack) and all(p["thread_ts"] == THREAD for p in posts(slack))
    respond.assert_not_called()


def test_a_picked_candidate_is_a_new_diagnosis_in_the_channel() -> None:
    svc, slack = services(), client()
    pick = click("ecs_why_pick", "", selected_option={"value": "staging/web --region eu-west-1"})
    pick["action"].pop("value")
    actions.rerun(svc, **pick, client=slack, respond=MagicMock())
    svc.diagnoser.run.assert_called_once_with(Command("diagnose", "staging/web", region="eu-west-1"))
    assert "thread_ts" not in posts(slack)[0]


def test_the_rerun_of_an_exec_check_posts_a_fresh_report(monkeypatch: pytest.MonkeyPatch) -> None:
    ran: list[Command] = []
    monkeypatch.setattr(actions, "exec_check_and_publish", lambda c, s, command, *a: ran.append(command))
    svc = services()
    actions.rerun(svc, **click("ecs_why_rerun", "exec-check web-api"), client=client(), respond=MagicMock())
    assert ran == [Command("exec-check", "web-api")]
    svc.diagnoser.run.assert_not_called()


def test_a_forged_rerun_value_is_an_ephemeral_error() -> None:
    svc, slack, respond = services(), client(), MagicMock()
    actions.rerun(svc, **click("ecs_why_rerun", "web --clutser prod"), client=slack, respond=respond)
    kwargs = respond.call_args.kwargs
    assert kwargs["response_type"] == "ephemeral" and "unknown option --clutser" in kwargs["text"]
    svc.diagnoser.run.assert_not_called()
    slack.chat_postMessage.assert_not_called()


def test_more_logs_go_in_the_thread_and_a_failure_only_to_the_clicker() -> None:
    svc, slack = services(), client()
    actions.more_logs(svc, **click("ecs_why_more_logs", "prod/web-api"), client=slack, respond=MagicMock())
    svc.diagnoser.run.assert_called_once_with(Command("diagnose", "prod/web-api"), log_lines=200)
    assert posts(slack)[0]["thread_ts"] == THREAD and posts(slack)[0]["text"] == "Log lines"
    failing, respond = services(error=RuntimeError("<boom>")), MagicMock()
    actions.more_logs(failing, **click("ecs_why_more_logs", "prod/web-api"), client=slack, respond=respond)
    assert respond.call_args.kwargs["text"] == "⚠️ &lt;boom&gt;"


def test_a_fix_button_opens_its_confirmation_modal(monkeypatch: pytest.MonkeyPatch) -> None:
    shown: list[tuple[Any, ...]] = []
    monkeypatch.setattr(actions, "confirm_view", lambda *args: shown.append(args) or {"type": "modal"})
    svc, slack = services(), client()
    decision = Decision("approve", "prod-two", Reason(Why.NEEDS_APPROVAL, "prod-two"), approvers=("U9",))
    medium = pending({**grace_action(), "risk": "medium"})
    svc.remediator.plan.return_value = (Authorised(medium, decision), "PLAN")
    svc.remediator.code_only = False
    actions.open_fix(svc, **click("ecs_why_fix:0", "key0"), client=slack, respond=MagicMock())
    svc.remediator.plan.assert_called_once_with("U1", "key0")
    assert shown == [("PLAN", "key0", "C1", THREAD, "medium", decision, "<@U9>", False)]
    slack.views_open.assert_called_once_with(trigger_id="t-1", view={"type": "modal"})


@pytest.mark.parametrize(
    ("error", "said"),
    [
        (
            Refused(Reason(Why.DENIED, "freeze", "rollback", "prod/<web>"), ("U9",)),
            "🚫 guardrail rule freeze denies rollback on prod/&lt;web&gt;; allowed: <@U9>",
        ),
        (Expired(), "🚫 this button has expired or was already used; re-run the diagnosis for fresh buttons"),
        (
            PlanError(NoSteadyRevision(service="<web>")),
            "🚫 &lt;web&gt; has no earlier revision that was steady to roll back to",
        ),
        (StoreUnavailable("down"), STORE_DOWN),
    ],
)
def test_a_fix_that_cannot_be_planned_opens_nothing_and_says_why(error: Exception, said: str) -> None:
    svc, slack, respond = services(), client(), MagicMock()
    svc.remediator.plan.side_effect = error
    actions.open_fix(svc, **click("ecs_why_fix:0", "key0"), client=slack, respond=respond)
    respond.assert_called_once_with(response_type="ephemeral", replace_original=False, text=said)
    slack.views_open.assert_not_called()


def test_a_fix_whose_reads_aws_refuses_opens_nothing_and_says_why_to_the_clicker() -> None:
    """Any other error of planning (AccessDenied, throttling) was raised into Bolt: the clicker got nothing."""
    error = ClientError({"Error": {"Code": "AccessDeniedException", "Message": "no <access>"}}, "DescribeServices")
    svc, slack, respond = services(), client(), MagicMock()
    svc.remediator.plan.side_effect = error
    actions.open_fix(svc, **click("ecs_why_fix:0", "key0"), client=slack, respond=respond)
    respond.assert_called_once_with(
        response_type="ephemeral",
        replace_original=False,
        text="⚠️ I could not prepare this fix: AccessDeniedException: no &lt;access&gt;; nothing was changed.",
    )
    slack.views_open.assert_not_called()
