"""A rolling upgrade loses no click: a fix button and an approval request stored by the version before the
typed records still read, apply exactly once (whichever replica, before or after a restart, gets the
clicks), and what this version stores is, byte for byte, what a replica still on the old one reads.

The JSON below is what the previous version (54b5c83, dict records) stored, captured by running it.
Against moto in-process and a real redis-server."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator

import pytest
import redis

from bot.authz import GroupCache, Operators
from bot.guardrails.policy import Policy
from bot.guardrails.rules import Rule
from bot.remediation.approvals import AlreadyDecided, ApprovalExpired, Approvals, UnreadableApproval
from bot.remediation.executor import Expired, Remediator, Replayed
from bot.store import Store
from bot.store.records import ApprovalRequest, FixTarget, PendingAction
from diagnosis.actions import GraceParams, RaiseGracePeriod, RollbackParams
from handlers.refusals import gone_says
from tests.builders.ecs_service import CLUSTER, SERVICE, Ecs
from tests.builders.remediation import events, grace, sessions

OPERATOR, ASKER, APPROVER = "U0OP", "U0ASKER", "U0APPROVER"
NOW = 1_800_000_000.0  # the old approval request below was stored at this time, for 600 s

OLD_BUTTON = (
    '{"action":{"kind":"raise_grace_period","label":"Raise the health check grace period to 190 s",'
    '"params":{"cluster":"prod","seconds":190,"service":"web"},"risk":"low"},"category":"elb_health_check",'
    '"channel":"C1","command":"prod/web","offered_to":"U0OP","target":{"account":"123456789012",'
    '"account_alias":null,"cluster":"prod","region":"us-east-1","service":"web"}}'
)
OLD_ROLLBACK_BUTTON = (
    '{"action":{"kind":"rollback","label":"Roll back to web:6","params":{"cluster":"prod",'
    '"from_task_definition":"web:7","service":"web"},"risk":"medium"},"category":"elb_health_check",'
    '"channel":"C1","command":"prod/web","offered_to":"U0OP","target":{"account":"123456789012",'
    '"account_alias":null,"cluster":"prod","region":"us-east-1","service":"web"}}'
)
OLD_APPROVAL = (
    '{"action":{"kind":"raise_grace_period","label":"Raise the health check grace period to 190 s",'
    '"params":{"cluster":"prod","seconds":190,"service":"web"},"risk":"low"},'
    '"approvers":["U0ASKER","U0APPROVER"],"changes":[["healthCheckGracePeriodSeconds","10 s","190 s"]],'
    '"channel":"C1","cli":"aws ecs update-service --cluster prod --service web '
    '--health-check-grace-period-seconds 190","expires_at":1800000600.0,"id":"-cTD7l-okXFv","key":"KEY",'
    '"kind":"raise_grace_period","message_channel":"C1","message_ts":"1.3","mode":"approve",'
    '"requested_by":"U0ASKER","rule":"prod-two","target":{"account":"123456789012","account_alias":null,'
    '"cluster":"prod","region":"us-east-1","service":"web"},"thread_ts":"1.2",'
    '"title":"Raise the health check grace period to 190 s"}'
)
NewStore = Callable[..., Store]
TWO_PERSON = {"name": "prod-two", "mode": "approve", "clusters": [CLUSTER], "users": [ASKER, APPROVER]}


@pytest.fixture
def replica(redis_url: str) -> Iterator[NewStore]:
    """`replica()`: a new process's Store on the same Redis (its own connection), flushed once."""
    clients: list[redis.Redis] = []

    def new(clock: float = NOW) -> Store:
        client = redis.Redis.from_url(redis_url, decode_responses=True)
        clients.append(client)
        return Store(client, clock=lambda: clock)

    new().redis.flushdb()
    yield new
    for client in clients:
        client.close()


def remediator(store: Store) -> Remediator:
    return Remediator(store, Operators([OPERATOR], lambda g: set()), sessions, ttl_seconds=900)


def old_button(store: Store, text: str = OLD_BUTTON, key: str = "OLDKEY") -> str:
    store.redis.set(store.key("pending", key), text, ex=900)
    return key


def test_a_button_stored_before_the_upgrade_applies_once_across_restarts(replica: NewStore, ecs: Ecs) -> None:
    """Clicked on an old replica, the modal shown by a new one, confirmed after a restart, confirmed again
    after another: one change, and the second confirm is told it was already applied."""
    key = old_button(replica())
    _, plan = remediator(replica()).plan(OPERATOR, key)
    assert plan.changes == [("healthCheckGracePeriodSeconds", "10 s", "190 s")]
    result = remediator(replica()).apply(OPERATOR, key)
    assert result.ok and result.plan is not None
    assert result.plan.changes == [("healthCheckGracePeriodSeconds", "10 s", "190 s")]
    assert grace(ecs) == 190
    ecs.service().health_check_grace_period_seconds = 10  # a second change would show
    with pytest.raises(Replayed) as replayed:
        remediator(replica()).apply(OPERATOR, key)
    assert gone_says(replayed.value) == "this change was already applied; nothing was done twice"
    assert grace(ecs) == 10
    store = replica()
    assert events(store) == ["confirmation_shown", "applied", "replayed"]
    applied = next(r for r in store.audit_log() if r["event"] == "applied")
    assert applied["params"] == {"cluster": CLUSTER, "seconds": 190, "service": SERVICE}
    assert applied["target"]["account"] == "123456789012"


def test_an_expired_button_is_refused_clearly_and_changes_nothing(replica: NewStore, ecs: Ecs) -> None:
    store = replica()
    key = old_button(store)
    store.redis.delete(store.key("pending", key))  # its TTL ran out
    with pytest.raises(Expired) as refused:
        remediator(replica()).apply(OPERATOR, key)
    assert not isinstance(refused.value, Replayed)
    assert gone_says(refused.value) == (
        "this button has expired or was already used; re-run the diagnosis for fresh buttons"
    )
    assert grace(ecs) == 10


def test_an_old_rollback_button_reads_as_its_typed_params(replica: NewStore) -> None:
    """The revision to go back to was left out when unknown; it reads as None (asked at click)."""
    store = replica()
    stored = store.get_pending(old_button(store, OLD_ROLLBACK_BUTTON))
    assert stored is not None
    assert stored.action.params == RollbackParams(
        cluster=CLUSTER, service=SERVICE, from_task_definition="web:7"
    )
    assert stored.target.region == "us-east-1" and stored.offered_to == OPERATOR


def test_what_this_version_stores_is_what_an_old_replica_reads(replica: NewStore) -> None:
    store = replica()
    offered = PendingAction(
        action=RaiseGracePeriod.offer(GraceParams(cluster=CLUSTER, service=SERVICE, seconds=190)),
        target=FixTarget(
            account="123456789012", account_alias=None, region="us-east-1", cluster=CLUSTER, service=SERVICE
        ),
        channel="C1",
        offered_to=OPERATOR,
        command="prod/web",
        category="elb_health_check",
    )
    key = store.put_pending(offered, 900)
    assert store.redis.get(store.key("pending", key)) == OLD_BUTTON

    old = ApprovalRequest.model_validate_json(OLD_APPROVAL)
    asked = old.model_copy(update={"id": "", "expires_at": 0.0, "message_channel": None, "message_ts": None})
    approval = store.put_approval(asked, 600)
    store.update_approval(approval.id, message_channel="C1", message_ts="1.3")
    written = store.redis.get(store.key("approval", approval.id))
    assert written == OLD_APPROVAL.replace('"id":"-cTD7l-okXFv"', f'"id":"{approval.id}"')


def approvals(store: Store) -> Approvals:
    groups = GroupCache(lambda g: set())
    policy = Policy([Rule.model_validate(TWO_PERSON)], groups)
    r = Remediator(store, Operators([], groups), sessions, ttl_seconds=900, policy=policy)
    return Approvals(store, r, ttl_seconds=600)


def test_an_approval_asked_before_the_upgrade_applies_once_when_approved_after(
    replica: NewStore, ecs: Ecs
) -> None:
    store = replica()
    old_button(store, key="KEY")
    store.redis.set(store.key("approval", "-cTD7l-okXFv"), OLD_APPROVAL, ex=3600)
    decided = approvals(replica()).decide(APPROVER, "-cTD7l-okXFv", "approved")
    assert decided.applied is not None and decided.applied.ok
    assert decided.request.requested_by == ASKER and decided.request.message_ts == "1.3"
    assert grace(ecs) == 190
    with pytest.raises(AlreadyDecided) as decided:
        approvals(replica()).decide(APPROVER, "-cTD7l-okXFv", "approved")
    assert (decided.value.verdict, decided.value.by) == ("approved", APPROVER)
    assert events(replica()).count("applied") == 1


def test_an_approval_asked_before_the_upgrade_is_refused_once_expired(replica: NewStore, ecs: Ecs) -> None:
    store = replica()
    old_button(store, key="KEY")
    store.redis.set(store.key("approval", "-cTD7l-okXFv"), OLD_APPROVAL, ex=3600)
    later = replica(clock=NOW + 601)
    with pytest.raises(ApprovalExpired) as expired:
        approvals(later).decide(APPROVER, "-cTD7l-okXFv", "approved")
    assert re.match(
        r"this approval request expired at \d\d:\d\d UTC; nothing was changed", gone_says(expired.value)
    )
    assert grace(ecs) == 10


def test_an_approval_request_this_version_cannot_read_is_refused_as_such(replica: NewStore, ecs: Ecs) -> None:
    """One a newer version stored with a kind this one lacks (a rollback of the upgrade): not applied, not
    called expired or unknown, and the kind named."""
    store = replica()
    old_button(store, key="KEY")
    newer = OLD_APPROVAL.replace('"kind":"raise_grace_period","label"', '"kind":"scale_out","label"')
    store.redis.set(store.key("approval", "-cTD7l-okXFv"), newer, ex=3600)
    with pytest.raises(UnreadableApproval) as unreadable:
        approvals(replica()).decide(APPROVER, "-cTD7l-okXFv", "approved")
    assert re.search(
        r"cannot be read .*no such kind 'scale_out'.*nothing was changed", gone_says(unreadable.value)
    )
    assert grace(ecs) == 10
