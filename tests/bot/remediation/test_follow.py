"""Following the deployment a change started: steady, failed, gone or still going when the time is up, said
once. Against moto in-process and a real Store on redis-server."""

from __future__ import annotations

import threading
from dataclasses import replace

import boto3
import pytest

from bot.authz import Operators
from bot.aws_session import SessionError
from bot.remediation.executor import Remediator
from bot.remediation.follow import Followed, deployment_state
from bot.remediation.why_not import NoCredentials
from bot.store import Store
from bot.store.records import PendingAction
from tests.builders.ecs_service import SERVICE, Ecs
from tests.builders.remediation import offer, sessions

OPERATOR = "U0OP"


def remediator(store: Store) -> Remediator:
    return Remediator(store, Operators([OPERATOR], lambda g: set()), sessions, ttl_seconds=60)


def follow(r: Remediator, key: str | PendingAction, timeout: float = 0.2) -> list[Followed]:
    """What the thread is told, as the typed outcomes handlers word (handlers/refusals.followed_says)."""
    said: list[Followed] = []
    pending = store_pending(r, key) if isinstance(key, str) else key
    r.follow(pending, OPERATOR, said.append, timeout_seconds=timeout, interval_seconds=0.02)
    return said


def store_pending(r: Remediator, key: str) -> PendingAction:
    pending = r.store.get_pending(key)
    assert pending is not None
    return pending


def moved(pending: PendingAction, **where: str) -> PendingAction:
    """The same pending action, on another cluster or service."""
    params = replace(pending.action.params, **where)
    return pending.model_copy(update={"action": replace(pending.action, params=params)})


@pytest.mark.parametrize("rollout", ["COMPLETED", "FAILED"])
def test_follow_reports_the_outcome(store: Store, ecs: Ecs, rollout: str) -> None:
    r = remediator(store)
    key = offer(r)
    ecs.service().deployments = [ecs.deployment(2, "PRIMARY", rollout, 1)]
    assert follow(r, key) == [Followed(SERVICE, rollout)]


def test_follow_gives_up_after_the_timeout(store: Store, ecs: Ecs) -> None:
    r = remediator(store)
    key = offer(r)
    ecs.service().deployments = [
        ecs.deployment(2, "PRIMARY", "IN_PROGRESS", 1),
        ecs.deployment(1, "ACTIVE", "COMPLETED", 60),
    ]
    assert follow(r, key, timeout=0.1) == [Followed(SERVICE, "STILL_GOING", minutes=0)]


def test_follow_sees_a_deployment_finish(store: Store, ecs: Ecs) -> None:
    r = remediator(store)
    key = offer(r)
    ecs.service().deployments = [ecs.deployment(2, "PRIMARY", "IN_PROGRESS", 1)]
    ecs.service().deployments[0]["runningCount"] = 0
    timer = threading.Timer(0.1, lambda: ecs.service().deployments[0].update(rolloutState="COMPLETED"))
    timer.start()
    said = follow(r, key, timeout=5)
    timer.join()
    assert said == [Followed(SERVICE, "COMPLETED")]


def test_follow_reports_an_aws_error(store: Store, ecs: Ecs) -> None:
    r = remediator(store)
    key = offer(r)
    pending = moved(store_pending(r, key), cluster="no-such-cluster")
    (said,) = follow(r, pending, timeout=0.1)
    assert said.service == SERVICE and said.state == "UNFOLLOWED" and "ClusterNotFound" in said.error


def test_follow_without_credentials_says_why_as_a_code(store: Store, ecs: Ecs) -> None:
    """The change is made, but the session to follow it cannot be: the thread is told why, not a traceback."""

    def no_session(*args: object) -> boto3.Session:
        raise SessionError("unknown account 'staging'")

    r = remediator(store)
    key = offer(r)
    r.sessions = no_session
    assert follow(r, key, timeout=0.1) == [
        Followed(SERVICE, "UNFOLLOWED", why_not=NoCredentials(problem="unknown account 'staging'"))
    ]


def test_deployment_state() -> None:
    assert deployment_state({"deployments": [{"status": "PRIMARY", "rolloutState": "FAILED"}]}) == "FAILED"
    assert deployment_state(
        {"deployments": [{"status": "PRIMARY"}], "runningCount": 2, "desiredCount": 2}
    ) == ("COMPLETED")
    assert deployment_state({"deployments": [{"status": "PRIMARY"}, {"status": "ACTIVE"}]}) == "IN_PROGRESS"


def test_follow_does_not_call_a_missing_service_completed(store: Store, ecs: Ecs) -> None:
    r = remediator(store)
    key = offer(r)
    pending = moved(store_pending(r, key), service="gone")
    assert follow(r, pending, timeout=0.1) == [Followed("gone", "MISSING")]
