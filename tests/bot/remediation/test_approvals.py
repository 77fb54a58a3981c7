"""Guardrails at click, confirm and approval, and mode approve end to end in the executor: a second,
different person approves once, before it expires, and the change is applied once. Against moto
in-process and a real Store on redis-server."""

from __future__ import annotations

import json
import threading
from typing import Any

import pytest

from bot.authz import GroupCache, Operators
from bot.guardrails.policy import Policy
from bot.guardrails.reasons import Reason, Why
from bot.guardrails.rules import Rule
from bot.remediation.approvals import AlreadyAsked, AlreadyDecided, ApprovalExpired, Approvals
from bot.remediation.executor import Refused, Remediator
from bot.remediation.why_not import ChangedSinceApproval, GraceAlreadyLong
from bot.store import Store
from bot.store.records import ApprovalRequest
from tests.builders.ecs_service import CLUSTER, SERVICE, Ecs
from tests.builders.remediation import TARGET, events, grace, offer, sessions

ASKER, APPROVER, OUTSIDER = "U0ASKER", "U0APPROVER", "U0OUTSIDER"
TWO_PERSON = {"name": "prod-two", "mode": "approve", "clusters": [CLUSTER], "users": [ASKER, APPROVER]}


def guarded(store: Store, *rules: dict[str, Any]) -> tuple[Remediator, Approvals]:
    groups = GroupCache(lambda g: set())
    policy = Policy([Rule(**r) for r in rules], groups)
    remediator = Remediator(store, Operators([], groups), sessions, ttl_seconds=60, policy=policy)
    return remediator, Approvals(store, remediator, ttl_seconds=600)


def asked(store: Store, *rules: dict[str, Any]) -> tuple[Remediator, Approvals, ApprovalRequest]:
    """ASKER clicked, saw the modal and submitted it under an approve rule: the request is stored."""
    remediator, approvals = guarded(store, *rules)
    key = offer(remediator)
    remediator.plan(ASKER, key)
    result = remediator.apply(ASKER, key)
    assert result.needs_approval and not result.ok
    return remediator, approvals, approvals.request(ASKER, key, result, "C1", "1.2")


def test_deny_is_refused_at_click_and_at_confirm_with_the_rule(store: Store, ecs: Ecs) -> None:
    remediator, _ = guarded(
        store,
        {"name": "everyone", "mode": "allow", "users": ["*"]},
        {"name": "freeze", "mode": "deny", "services": [SERVICE], "users": ["*"]},
    )
    key = offer(remediator)
    with pytest.raises(Refused) as refused:
        remediator.plan(ASKER, key)
    assert refused.value.reason == Reason(Why.DENIED, "freeze", "raise_grace_period", "prod/web")
    with pytest.raises(Refused):
        remediator.apply(ASKER, key)
    assert grace(ecs) == 10
    refused = [r for r in store.audit_log() if r["event"] == "refused"]
    assert [(r["stage"], r["rule"], r["mode"]) for r in refused] == [
        ("confirm", "freeze", "deny"),
        ("click", "freeze", "deny"),
    ]


def test_allow_names_its_rule_in_every_record(store: Store, ecs: Ecs) -> None:
    remediator, _ = guarded(
        store, {"name": "web-team", "mode": "allow", "services": ["we?"], "users": [ASKER]}
    )
    key = offer(remediator)
    authorised, _plan = remediator.plan(ASKER, key)
    assert authorised.decision.rule == "web-team"
    assert remediator.apply(ASKER, key).ok
    assert grace(ecs) == 190
    shown, applied = reversed(store.audit_log())
    assert (shown["event"], shown["rule"]) == ("confirmation_shown", "web-team")
    assert (applied["event"], applied["rule"], applied["mode"]) == ("applied", "web-team", "allow")
    assert applied["aws_request_id"], "the AWS request ID CloudTrail knows the change by"


def test_tags_on_the_service_are_read_when_a_rule_needs_them(store: Store, ecs: Ecs) -> None:
    arn = ecs.described()["serviceArn"]
    ecs.client.tag_resource(resourceArn=arn, tags=[{"key": "ecs-why:managed", "value": "true"}])
    remediator, _ = guarded(
        store, {"name": "managed", "mode": "allow", "tags": {"ecs-why:managed": "true"}, "users": ["*"]}
    )
    assert remediator.plan(ASKER, offer(remediator))[0].decision.rule == "managed"
    ecs.client.untag_resource(resourceArn=arn, tagKeys=["ecs-why:managed"])
    with pytest.raises(Refused) as refused:
        remediator.plan(ASKER, offer(remediator))
    assert refused.value.reason.why is Why.NO_RULE


def test_approve_mode_changes_nothing_until_a_second_person_approves(store: Store, ecs: Ecs) -> None:
    _, approvals, request = asked(store, TWO_PERSON)
    assert grace(ecs) == 10, "asking changes nothing"
    assert request.requested_by == ASKER and request.rule == "prod-two"
    assert request.changes == (("healthCheckGracePeriodSeconds", "10 s", "190 s"),)
    assert request.approvers == (ASKER, APPROVER)

    decided = approvals.decide(APPROVER, request.id, "approved")
    assert decided.applied is not None and decided.applied.ok
    assert grace(ecs) == 190
    applied = next(r for r in store.audit_log() if r["event"] == "applied")
    assert (applied["user"], applied["approved_by"], applied["rule"]) == (ASKER, APPROVER, "prod-two")
    assert applied["aws_request_id"] and applied["target"] == TARGET
    assert events(store)[-3:] == ["approval_requested", "applied", "approved"]


def test_the_requester_cannot_approve_their_own_change(store: Store, ecs: Ecs) -> None:
    _, approvals, request = asked(store, TWO_PERSON)
    with pytest.raises(Refused) as refused:
        approvals.decide(ASKER, request.id, "approved")
    assert refused.value.reason.why is Why.OWN_REQUEST
    assert APPROVER in refused.value.allowed
    assert grace(ecs) == 10
    record = store.audit_log()[0]
    assert (record["event"], record["user"], record["why"]) == ("refused", ASKER, "self-approval")
    assert approvals.decide(APPROVER, request.id, "approved").applied.ok, "the request still stands"


def test_someone_the_rule_does_not_name_cannot_approve(store: Store, ecs: Ecs) -> None:
    _, approvals, request = asked(store, TWO_PERSON)
    with pytest.raises(Refused) as refused:
        approvals.decide(OUTSIDER, request.id, "approved")
    assert refused.value.reason == Reason(Why.NOT_AN_APPROVER, "prod-two", "raise_grace_period", "prod/web")
    assert grace(ecs) == 10
    assert approvals.decide(APPROVER, request.id, "approved").applied.ok, "refusal released the verdict"


def test_every_record_about_the_change_names_its_kind_parameters_and_service(store: Store, ecs: Ecs) -> None:
    """Shown, refused at approval, applied: one set of fields says which change on which service, so a
    reader of the audit log (or `jq`) finds them all by the same keys."""
    _, approvals, request = asked(store, TWO_PERSON)
    with pytest.raises(Refused):
        approvals.decide(OUTSIDER, request.id, "approved")
    approvals.decide(APPROVER, request.id, "approved")
    by_event = {(r["event"], r.get("stage")): r for r in store.audit_log()}
    about = {("confirmation_shown", "click"), ("refused", "approval"), ("applied", None)}
    assert about <= set(by_event)
    change = {"kind", "params", "target"}
    assert len({json.dumps({k: by_event[e][k] for k in change}, sort_keys=True) for e in about}) == 1
    assert by_event[("refused", "approval")]["params"] == {
        "cluster": CLUSTER,
        "service": SERVICE,
        "seconds": 190,
    }
    assert by_event[("confirmation_shown", "click")]["target"]["service"] == SERVICE


def test_an_approval_after_expiry_is_refused_and_says_when(store: Store, ecs: Ecs) -> None:
    now = [1_800_000_000.0]
    clocked = Store(store.redis, store.prefix, clock=lambda: now[0])
    _, approvals, request = asked(clocked, TWO_PERSON)
    now[0] += 601
    with pytest.raises(ApprovalExpired) as expired:
        approvals.decide(APPROVER, request.id, "approved")
    assert expired.value.expires_at == request.expires_at < now[0], "when it ended, for the clicker to read"
    assert grace(ecs) == 10
    assert store.audit_log()[0]["event"] == "approval_expired"


def test_two_approvals_at_once_change_ecs_once(store: Store, ecs: Ecs) -> None:
    rule = TWO_PERSON | {"users": [ASKER, APPROVER, OUTSIDER]}
    _, approvals, request = asked(store, rule)
    outcomes: list[str] = []

    def click(user: str) -> None:
        try:
            approvals.decide(user, request.id, "approved")
            outcomes.append("applied")
        except AlreadyDecided:
            outcomes.append("already")

    threads = [threading.Thread(target=click, args=(u,)) for u in (APPROVER, OUTSIDER)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(outcomes) == ["already", "applied"]
    assert [r["event"] for r in store.audit_log()].count("applied") == 1
    with pytest.raises(AlreadyDecided) as decided:
        approvals.decide(APPROVER, request.id, "approved")
    assert decided.value.verdict == "approved" and decided.value.by in (APPROVER, OUTSIDER)


def test_a_rejected_request_changes_nothing_and_cannot_be_approved_later(store: Store, ecs: Ecs) -> None:
    _, approvals, request = asked(store, TWO_PERSON)
    assert approvals.decide(APPROVER, request.id, "rejected").verdict == "rejected"
    with pytest.raises(AlreadyDecided) as decided:
        approvals.decide(APPROVER, request.id, "approved")
    assert (decided.value.verdict, decided.value.by) == ("rejected", APPROVER)
    assert grace(ecs) == 10
    assert "rejected" in events(store)


def test_a_rule_that_now_denies_wins_at_approval(store: Store, ecs: Ecs) -> None:
    remediator, approvals, request = asked(store, TWO_PERSON)
    remediator.policy = Policy(
        [Rule(**TWO_PERSON), Rule(name="freeze", mode="deny", users=["*"])], GroupCache(lambda g: set())
    )
    with pytest.raises(Refused) as refused:
        approvals.decide(APPROVER, request.id, "approved")
    assert (refused.value.reason.why, refused.value.reason.rule) == (Why.DENIED, "freeze")
    assert grace(ecs) == 10


def test_the_request_outlives_the_buttons_lifetime(store: Store, ecs: Ecs) -> None:
    """Buttons last ECS_WHY_PENDING_ACTION_TTL_SECONDS; an approval request keeps its action longer."""
    _, _, request = asked(store, TWO_PERSON)
    assert store.redis.ttl(store.key("pending", request.key)) > 600
    assert request.target.cluster == CLUSTER


def test_one_request_per_change_however_often_it_is_submitted(store: Store, ecs: Ecs) -> None:
    remediator, approvals, request = asked(store, TWO_PERSON)
    again = remediator.apply(ASKER, request.key)
    with pytest.raises(AlreadyAsked):
        approvals.request(ASKER, request.key, again, "C1", "1.2")
    assert events(store).count("approval_requested") == 1
    assert request.action.kind == "raise_grace_period", "the request keeps the action it will apply"


def test_a_change_that_fails_leaves_the_request_open_to_approve_again(store: Store, ecs: Ecs) -> None:
    _, approvals, request = asked(store, TWO_PERSON)
    ecs.service().health_check_grace_period_seconds = 300  # the change cannot be made as planned now
    failed = approvals.decide(APPROVER, request.id, "approved")
    assert failed.applied is not None and not failed.applied.ok
    ecs.service().health_check_grace_period_seconds = 10
    retried = approvals.decide(APPROVER, request.id, "approved")
    assert retried.applied is not None and retried.applied.ok
    assert grace(ecs) == 190
    assert [r["event"] for r in store.audit_log()].count("applied") == 1


def test_an_approval_applies_nothing_when_the_change_would_now_end_elsewhere(store: Store, ecs: Ecs) -> None:
    """The approver saw 10 s → 190 s; if the offer would now end at another value, nothing is changed."""
    _, approvals, request = asked(store, TWO_PERSON)
    request = request.model_copy(update={"changes": (("healthCheckGracePeriodSeconds", "10 s", "250 s"),)})
    approval = store.put_approval(request, 600)  # what the approver saw: a request ending at 250 s
    decided = approvals.decide(APPROVER, approval.id, "approved")
    assert decided.applied is not None and not decided.applied.ok
    assert decided.applied.why_not == ChangedSinceApproval(
        service="web", now=(("healthCheckGracePeriodSeconds", "190 s"),)
    )
    assert grace(ecs) == 10


def test_a_change_that_cannot_be_planned_asks_nobody_for_approval(store: Store, ecs: Ecs) -> None:
    """Under an approve rule, a plan refused at confirm is no request: said as its code, and audited."""
    remediator, _ = guarded(store, TWO_PERSON)
    key = offer(remediator)
    ecs.service().health_check_grace_period_seconds = 300
    result = remediator.apply(ASKER, key)
    assert not result.ok and not result.needs_approval
    assert result.why_not == GraceAlreadyLong(service=SERVICE, before=300, asked=190)
    (failed,) = store.audit_log()
    assert failed["event"] == "failed" and failed["rule"] == "prod-two" and failed["user"] == ASKER
    assert failed["why_not"]["code"] == "grace_already_long"


def test_an_approval_still_applies_when_only_the_before_moved(store: Store, ecs: Ecs) -> None:
    _, approvals, request = asked(store, TWO_PERSON)
    ecs.service().health_check_grace_period_seconds = 60  # someone raised it a little meanwhile
    decided = approvals.decide(APPROVER, request.id, "approved")
    assert decided.applied is not None and decided.applied.ok
    assert grace(ecs) == 190


def test_after_a_rejection_the_requester_may_ask_again_and_get_a_new_request(store: Store, ecs: Ecs) -> None:
    remediator, approvals, request = asked(store, TWO_PERSON)
    approvals.decide(APPROVER, request.id, "rejected")
    again = remediator.apply(ASKER, request.key)
    assert again.needs_approval
    second = approvals.request(ASKER, request.key, again, "C1", "1.2")
    assert second.id != request.id
    assert approvals.decide(APPROVER, second.id, "approved").applied.ok  # type: ignore[union-attr]
    assert grace(ecs) == 190
