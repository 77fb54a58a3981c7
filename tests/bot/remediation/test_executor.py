"""The executor: authorise (click and confirm), apply once, audit every outcome, follow the deployment.
Against moto in-process and a real Store on redis-server."""

from __future__ import annotations

import threading
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError

from bot.authz import Operators
from bot.guardrails.reasons import Reason, Why
from bot.remediation.executor import (
    Applied,
    Expired,
    Refused,
    Remediator,
    Replayed,
    UnreadableButton,
)
from bot.remediation.why_not import GraceAlreadyLong
from bot.store import Store
from diagnosis.actions import parse
from tests.builders.ecs_service import CLUSTER, REGION, SERVICE, Ecs
from tests.builders.remediation import TARGET, events, grace, grace_action, offer, sessions, stored_as

OPERATOR, STRANGER = "U0OP", "U0NO"


def remediator(store: Store, operators: list[str] | None = None) -> Remediator:
    return Remediator(store, Operators(operators or [OPERATOR], lambda g: set()), sessions, ttl_seconds=60)


def test_offer_stores_the_action_and_the_button_carries_a_short_key(store: Store) -> None:
    r = remediator(store)
    key = offer(r)
    assert len(key) <= 20 and "190" not in key
    stored = store.get_pending(key)
    assert stored is not None and stored.action == parse(grace_action())


def test_plan_at_click_shows_before_and_after(store: Store, ecs: Ecs) -> None:
    r = remediator(store)
    key = offer(r)
    authorised, plan = r.plan(OPERATOR, key)
    assert authorised.pending.target.to_json() == TARGET
    assert plan.changes == [("healthCheckGracePeriodSeconds", "10 s", "190 s")]
    assert grace(ecs) == 10


def test_refused_user_at_click_and_at_confirm(store: Store, ecs: Ecs) -> None:
    r = remediator(store)
    key = offer(r)
    with pytest.raises(Refused) as refused:
        r.plan(STRANGER, key)
    assert refused.value.allowed == (OPERATOR,) and refused.value.reason.why is Why.NO_RULE
    with pytest.raises(Refused):
        r.apply(STRANGER, key)
    assert grace(ecs) == 10, "nothing changed"
    refused = [x for x in store.audit_log() if x["event"] == "refused"]
    assert sorted(x["stage"] for x in refused) == ["click", "confirm"]
    assert all(x["user"] == STRANGER and x["kind"] == "raise_grace_period" for x in refused)
    assert store.get_pending(key) is not None, "the operator can still use the button"


def test_empty_operators_refuses_everybody(store: Store, ecs: Ecs) -> None:
    r = Remediator(store, Operators([], lambda g: set()), sessions)
    key = offer(r)
    with pytest.raises(Refused) as refused:
        r.apply(OPERATOR, key)
    assert refused.value.allowed == (), "nobody may"
    assert grace(ecs) == 10


def test_unknown_key_is_expired(store: Store) -> None:
    with pytest.raises(Expired):
        remediator(store).plan(OPERATOR, "nope")


def test_an_expired_button_is_audited_at_click_and_at_confirm(store: Store, ecs: Ecs) -> None:
    r = remediator(store)
    key = offer(r)
    store.redis.delete(store.key("pending", key))  # what the TTL does
    with pytest.raises(Expired) as clicked:
        r.plan(OPERATOR, key)
    assert not isinstance(clicked.value, Replayed)
    with pytest.raises(Expired):
        r.apply(OPERATOR, key)
    expired = [x for x in reversed(store.audit_log()) if x["event"] == "expired"]
    assert [(x["stage"], x["user"], x["key"]) for x in expired] == [
        ("click", OPERATOR, key),
        ("confirm", OPERATOR, key),
    ]
    assert grace(ecs) == 10


def test_a_replayed_confirmation_is_audited_and_changes_nothing(store: Store, ecs: Ecs) -> None:
    r = remediator(store)
    key = offer(r)
    r.plan(OPERATOR, key)
    assert r.apply(OPERATOR, key).ok
    ecs.service().health_check_grace_period_seconds = 10
    with pytest.raises(Replayed):
        r.apply(OPERATOR, key)
    assert grace(ecs) == 10
    assert events(store) == ["confirmation_shown", "applied", "replayed"]
    replayed = store.audit_log()[0]
    assert replayed["stage"] == "confirm" and replayed["user"] == OPERATOR and replayed["key"] == key


def test_the_refusal_names_who_may(store: Store) -> None:
    r = Remediator(store, Operators(["U0OP", "S0GROUP"], lambda g: set()), sessions, ttl_seconds=60)
    with pytest.raises(Refused) as refused:
        r.plan(STRANGER, offer(r))
    assert refused.value.allowed == ("U0OP", "S0GROUP")
    assert refused.value.reason == Reason(Why.NO_RULE, "default", "raise_grace_period", "prod/web")


def test_apply_changes_ecs_and_audits(store: Store, ecs: Ecs) -> None:
    r = remediator(store)
    key = offer(r)
    result = r.apply(OPERATOR, key)
    assert result.ok and not result.duplicate
    assert result.plan is not None
    assert result.plan.changes == [("healthCheckGracePeriodSeconds", "10 s", "190 s")]
    assert grace(ecs) == 190
    applied = [x for x in store.audit_log() if x["event"] == "applied"]
    assert len(applied) == 1
    assert applied[0]["user"] == OPERATOR and applied[0]["target"] == TARGET
    assert applied[0]["changes"] == [["healthCheckGracePeriodSeconds", "10 s", "190 s"]]
    assert "update-service" in applied[0]["cli"]


def test_apply_twice_changes_once(store: Store, ecs: Ecs) -> None:
    r = remediator(store)
    key = offer(r)
    assert r.apply(OPERATOR, key).ok
    ecs.service().health_check_grace_period_seconds = 10  # a second change would be visible
    try:
        second = r.apply(OPERATOR, key)
    except Expired:
        second = Applied(False, duplicate=True)  # the pending action was taken by the first
    assert not second.ok and second.duplicate
    assert grace(ecs) == 10, "no second change"
    assert events(store).count("applied") == 1
    assert events(store).count("replayed") == 1, "the second confirmation is audited"


def test_concurrent_confirms_change_once(store: Store, ecs: Ecs) -> None:
    """Two replicas (or a double submit) confirming the same key at once: one applies, one is a duplicate."""
    r = remediator(store)
    key = offer(r)
    calls: list[dict[str, Any]] = []
    barrier = threading.Barrier(4)
    results: list[Any] = []

    def counting_sessions(
        user: str, account: str | None, region: str | None, policy: dict[str, Any]
    ) -> boto3.Session:
        session = boto3.Session(region_name=REGION)
        session.events.register("before-call.ecs.UpdateService", lambda params, **kw: calls.append(params))
        return session

    r.sessions = counting_sessions

    def confirm() -> None:
        barrier.wait()
        try:
            results.append(r.apply(OPERATOR, key))
        except Expired as exc:
            results.append(exc)

    threads = [threading.Thread(target=confirm) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert len(calls) == 1, "update_service called once"
    assert sum(1 for x in results if isinstance(x, Applied) and x.ok) == 1
    assert events(store).count("applied") == 1


def test_a_failed_aws_call_releases_the_claim_and_a_retry_succeeds(store: Store, ecs: Ecs) -> None:
    r = remediator(store)
    key = offer(r)
    failing = {"on": True}

    def flaky_sessions(
        user: str, account: str | None, region: str | None, policy: dict[str, Any]
    ) -> boto3.Session:
        session = boto3.Session(region_name=REGION)

        def deny(**kwargs: Any) -> None:
            if failing["on"]:
                raise ClientError(
                    {"Error": {"Code": "AccessDeniedException", "Message": "not allowed"}}, "UpdateService"
                )

        session.events.register("before-call.ecs.UpdateService", deny)
        return session

    r.sessions = flaky_sessions
    result = r.apply(OPERATOR, key)
    assert not result.ok and not result.duplicate
    assert "AccessDeniedException: not allowed" in result.error
    assert grace(ecs) == 10
    failed = [x for x in store.audit_log() if x["event"] == "failed"]
    assert len(failed) == 1 and "AccessDenied" in failed[0]["error"] and failed[0]["user"] == OPERATOR
    assert store.get_pending(key) is not None, "the button still works"

    failing["on"] = False
    retry = r.apply(OPERATOR, key)
    assert retry.ok
    assert grace(ecs) == 190
    assert events(store) == ["failed", "applied"]


def test_a_plan_error_at_confirm_releases_and_audits(store: Store, ecs: Ecs) -> None:
    r = remediator(store)
    key = offer(r, grace_action(5))  # lower than the current 10 s
    result = r.apply(OPERATOR, key)
    assert not result.ok and result.why_not == GraceAlreadyLong(service=SERVICE, before=10, asked=5)
    assert not result.error, "no sentence: the reason is the code and its fields"
    (failed,) = store.audit_log()
    assert failed["event"] == "failed" and "error" not in failed
    assert failed["why_not"] == {"code": "grace_already_long", "service": SERVICE, "before": 10, "asked": 5}
    assert failed["kind"] == "raise_grace_period" and failed["rule"] == "ECS_WHY_OPERATORS"
    ecs.service().health_check_grace_period_seconds = 1
    assert r.apply(OPERATOR, key).ok, "the claim was released: a retry can apply it"


@pytest.mark.parametrize(
    ("action", "problem"),
    [
        ({"kind": "raise_grace_period", "params": {"cluster": CLUSTER, "service": SERVICE}}, "seconds"),
        ({"kind": "delete_everything", "params": {}}, "delete_everything"),
    ],
)
def test_a_stored_action_this_version_cannot_read_is_refused_clearly(
    store: Store, ecs: Ecs, action: dict[str, Any], problem: str
) -> None:
    """Written by hand, or by a version with other kinds: refused at click and confirm as unreadable (not
    as expired), with what is wrong, and nothing is changed."""
    r = remediator(store)
    key = stored_as(store, {"action": action, "target": TARGET})
    for step in (lambda: r.plan(OPERATOR, key), lambda: r.apply(OPERATOR, key)):
        with pytest.raises(UnreadableButton) as refused:
            step()
        assert "cannot be read" in refused.value.problem and problem in refused.value.problem
    assert grace(ecs) == 10
    assert events(store) == ["unreadable", "unreadable"]
