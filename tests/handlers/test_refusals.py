"""The guardrails' reasons as the clicker reads them: every code has its sentence, names the rule and the
change it is about, and what came from the settings or AWS is escaped before it meets mrkdwn."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from bot.guardrails.reasons import Reason, Why
from bot.remediation.approvals import (
    AlreadyAsked,
    AlreadyDecided,
    ApprovalExpired,
    ApprovalGone,
    UnreadableApproval,
)
from bot.remediation.executor import Applied, Expired, Refused, Replayed, UnreadableButton
from bot.remediation.follow import Followed
from bot.remediation.kinds import PlanError
from bot.remediation.why_not import NoCredentials, OtherFamily, ServiceGone
from handlers.refusals import followed_says, guardrail_says, outcome_says, refusal
from tests.builders.remediation import grace_plan


@pytest.mark.parametrize("why", list(Why))
def test_every_reason_has_its_own_sentence_naming_what_it_is_about(why: Why) -> None:
    said = guardrail_says(Reason(why, "prod-two", "rollback", "prod/web"))
    others = {guardrail_says(Reason(w, "prod-two", "rollback", "prod/web")) for w in Why if w is not why}
    assert said not in others
    if why not in (Why.NO_RULE, Why.OWN_REQUEST):  # the rule that decided is named
        assert "prod-two" in said
    if why in (Why.NO_RULE, Why.DENIED, Why.NEEDS_APPROVAL, Why.ALLOWED):  # the change asked for
        assert "rollback on prod/web" in said


def test_a_refusal_is_escaped_and_names_who_may_as_mentions() -> None:
    refused = Refused(Reason(Why.DENIED, "a&b", "rollback", "prod/<!channel>"), ("U9", "S0OPS"))
    assert refusal(refused) == (
        "🚫 guardrail rule a&amp;b denies rollback on prod/&lt;!channel&gt;; allowed: <@U9>, <!subteam^S0OPS>"
    )
    assert refusal(Refused(Reason(Why.NO_RULE, "default", "rollback", "prod/web"), ())).endswith(
        "allowed: nobody: no rule of ECS_WHY_GUARDRAILS (or ECS_WHY_OPERATORS) names anyone for it"
    )


@pytest.mark.parametrize(
    ("gone", "said"),
    [
        (Expired(), "this button has expired or was already used; re-run the diagnosis for fresh buttons"),
        (Replayed(), "this change was already applied; nothing was done twice"),
        (
            UnreadableButton("the stored fix button's action cannot be read (action: <kind> unknown)"),
            "the stored fix button's action cannot be read (action: &lt;kind&gt; unknown); nothing was done. "
            "Re-run the diagnosis for fresh buttons",
        ),
        (
            ApprovalExpired(datetime(2026, 12, 1, 14, 2, tzinfo=UTC).timestamp()),
            "this approval request expired at 14:02 UTC; nothing was changed. "
            "Ask for the change again to get a new request",
        ),
        (AlreadyAsked(), "an approval request for this change is already waiting in the thread"),
        (
            AlreadyDecided("rejected", "U0BOB"),
            "this request was already rejected by U0BOB; nothing was done twice",
        ),
        (ApprovalGone(), "this approval request is unknown or long gone; ask for the change again"),
        (
            UnreadableApproval("the stored approval request cannot be read"),
            "the stored approval request cannot be read; nothing was changed. Ask for the change again",
        ),
    ],
    ids=lambda v: type(v).__name__ if isinstance(v, Exception) else "",
)
def test_what_is_gone_is_said_with_what_to_do_instead(gone: Expired, said: str) -> None:
    """bot raises the kind and its fields (tests/test_architecture.py); what the store said is escaped."""
    assert refusal(gone) == f"🚫 {said}"


def test_a_change_that_cannot_be_planned_is_said_from_its_code_escaped() -> None:
    """bot raises the code and its fields (tests/test_architecture.py); the one wording is
    bot/why_not_says.py (tests/bot/test_why_not_says.py), escaped here for mrkdwn."""
    refused = PlanError(OtherFamily(service="web", target="other:1", family="<!here>"))
    assert refusal(refused) == "🚫 other:1 is not a revision of &lt;!here&gt;, the family web runs"


@pytest.mark.parametrize(
    ("applied", "said"),
    [
        (
            Applied(True, plan=grace_plan()),
            "Raise the health check grace period to 190 s: healthCheckGracePeriodSeconds 60 s → 190 s",
        ),
        (
            Applied(False, error="AccessDeniedException: not allowed"),
            "the change failed: AccessDeniedException: not allowed; nothing else was changed",
        ),
        (
            Applied(False, duplicate=True),
            "this change was already applied (or is being applied); nothing was done twice",
        ),
        (
            Applied(False, why_not=ServiceGone(cluster="prod", service="web")),
            "the change was not made: service prod/web no longer exists",
        ),
        (None, "nothing was done"),
    ],
)
def test_what_a_confirmed_change_did_is_said_in_one_sentence(applied: Applied | None, said: str) -> None:
    assert outcome_says(applied) == said


@pytest.mark.parametrize(
    ("followed", "said"),
    [
        (Followed("web-api", "COMPLETED"), "Deployment of web-api: completed"),
        (Followed("web-api", "FAILED"), "Deployment of web-api: failed"),
        (Followed("web-api", "MISSING"), "I stopped following web-api: the service no longer exists"),
        (
            Followed("web-api", "STILL_GOING", minutes=15),
            "Deployment of web-api is still in progress after 15 min; I stopped following it",
        ),
        (
            Followed("web-api", "UNFOLLOWED", error="ClusterNotFoundException: no such cluster"),
            "I could not follow the deployment of web-api: ClusterNotFoundException: no such cluster",
        ),
        (
            Followed("web-api", "UNFOLLOWED", why_not=NoCredentials(problem="unknown account 'staging'")),
            "I could not follow the deployment of web-api: no credentials for this change: "
            "unknown account 'staging'",
        ),
    ],
)
def test_how_a_followed_deployment_ended_is_one_sentence(followed: Followed, said: str) -> None:
    assert followed_says(followed) == said
