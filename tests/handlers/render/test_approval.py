"""What the requester and the approver see: the modal names the deciding rule (and, in mode approve, who
may approve); the approval request shows before → after, the rule, the expiry and two buttons; values
from AWS are never Slack markup."""

from __future__ import annotations

import json

from bot.guardrails.policy import Decision
from bot.guardrails.reasons import Reason, Why
from bot.remediation.kinds import Plan
from bot.store.records import ApprovalRequest
from handlers.render.approval import APPROVE, REJECT, approval_outcome, approval_request
from handlers.render.modal import confirm_view
from tests.builders.hostile_text import PAYLOAD
from tests.builders.remediation import grace_action
from tests.builders.slack_messages import check_limits, texts

PLAN = Plan(
    "raise_grace_period",
    "Raise the health check grace period of web",
    [("healthCheckGracePeriodSeconds", "10 s", "190 s")],
    "aws ecs update-service --cluster prod --service web --health-check-grace-period-seconds 190",
    "update_service",
)


def shown(view_or_blocks: object) -> str:
    return json.dumps(view_or_blocks, ensure_ascii=False)


def test_the_modal_names_the_rule_that_allowed_it() -> None:
    view = confirm_view(
        PLAN, "k", "C1", "1.2", "low", Decision("allow", "web-team", Reason(Why.ALLOWED, "web-team"))
    )
    assert view["submit"]["text"] == "Apply"
    assert "Allowed by guardrail rule `web-team`" in shown(view)


def test_in_approve_mode_the_modal_says_who_may_approve_and_asks_instead_of_applying() -> None:
    decision = Decision("approve", "prod-two", Reason(Why.NEEDS_APPROVAL, "prod-two"), ("S0SRE",))
    view = confirm_view(PLAN, "k", "C1", "1.2", "low", decision, "<!subteam^S0SRE>")
    text = shown(view)
    assert view["submit"]["text"] == "Request approval"
    assert "`prod-two`" in text and "Who may approve: <!subteam^S0SRE>" in text
    assert "10 s → *190 s*" in text


def request(**extra: object) -> ApprovalRequest:
    return ApprovalRequest.model_validate(
        {
            "id": "abc123",
            "key": "k",
            "action": grace_action(),
            "requested_by": "U0ASKER",
            "kind": PLAN.kind,
            "title": PLAN.title,
            "changes": [list(c) for c in PLAN.changes],
            "cli": PLAN.cli,
            "target": {"cluster": "prod", "service": "web"},
            "rule": "prod-two",
            "mode": "approve",
            "approvers": ["U0APPROVER"],
            "expires_at": 1_800_000_000.0,
            **extra,
        }
    )


def test_the_approval_request_shows_before_after_rule_expiry_and_buttons() -> None:
    message = approval_request(request(), "<@U0APPROVER>")
    check_limits({"text": message.text, "blocks": message.blocks})
    text = shown(message.blocks)
    assert "<@U0ASKER> asks for *Raise the health check grace period of web* (prod/web)" in text
    assert "*healthCheckGracePeriodSeconds*: 10 s → *190 s*" in text
    assert "aws ecs update-service" in text
    assert "`prod-two`" in text and "Who may approve: <@U0APPROVER>" in text
    assert "Expires 2027-01-15 08:00 UTC" in text
    buttons = message.blocks[-1]["elements"]
    assert [(b["action_id"], b["value"]) for b in buttons] == [(APPROVE, "abc123"), (REJECT, "abc123")]


def test_values_from_aws_in_the_request_are_plain_text() -> None:
    evil = request(
        title=f"Roll back {PAYLOAD}",
        changes=[["taskDefinition", "web:7 <!here>", "web:6 <!channel>"]],
        target={"cluster": "prod", "service": PAYLOAD},
    )
    for message in (approval_request(evil, "<@U0APPROVER>"), approval_outcome(evil, "done")):
        for block in message.blocks:
            for text in texts(block):
                for mention in ("<!channel>", "<!here>", "<!everyone>", "<#C123", "<http"):
                    assert mention not in text, text
        assert "<!here>" not in message.text


def test_a_decided_request_has_no_buttons_left() -> None:
    message = approval_outcome(request(), "🛠️ applied, approved by <@U0APPROVER>")
    assert not [b for b in message.blocks if b["type"] == "actions"]
    assert "approved by <@U0APPROVER>" in shown(message.blocks)
