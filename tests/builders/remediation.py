"""A remediation offered for the moto ECS service of `ecs_service`: its target, the action, the sessions it
runs with, and what a test reads back (the grace period, the audit trail)."""

from __future__ import annotations

from typing import Any

import boto3

from bot.remediation.executor import Remediator
from bot.remediation.kinds.base import Plan
from bot.store import Store
from bot.store.base import dumps
from bot.store.records import ApprovalRequest, FixTarget, PendingAction
from diagnosis.actions import parse
from tests.builders.ecs_service import CLUSTER, REGION, SERVICE, Ecs

TARGET = {
    "account": "123456789012",
    "account_alias": None,
    "region": REGION,
    "cluster": CLUSTER,
    "service": SERVICE,
}


def sessions(user: str, account: str | None, region: str | None, policy: dict[str, Any]) -> boto3.Session:
    return boto3.Session(region_name=region or REGION)


def grace_action(seconds: int = 190) -> dict[str, Any]:
    return {
        "kind": "raise_grace_period",
        "params": {"cluster": CLUSTER, "service": SERVICE, "seconds": seconds},
        "risk": "low",
    }


def pending(action: dict[str, Any] | None = None, target: dict[str, Any] | None = None) -> PendingAction:
    """The pending action a diagnosis of prod/web offers in channel C1 (the grace period by default)."""
    return PendingAction(
        action=parse(action or grace_action()),
        target=FixTarget(**(target or TARGET)),
        channel="C1",
        command="prod/web",
    )


def approval(**fields: Any) -> ApprovalRequest:
    """An approval request of `pending()`'s grace period change, asked by U0ASKER; `fields` replace its own."""
    asked = pending()
    request = ApprovalRequest(
        id="a0",
        key="key0",
        action=asked.action,
        requested_by="U0ASKER",
        kind=asked.action.kind,
        title="Raise the health check grace period to 190 s",
        changes=(("healthCheckGracePeriodSeconds", "10 s", "190 s"),),
        cli="aws ecs update-service --health-check-grace-period-seconds 190",
        target=asked.target,
        channel="C1",
        rule="prod-two",
        approvers=("U0APPROVER",),
        expires_at=1_800_000_000.0,
    )
    return request.model_copy(update=fields)


def offer(r: Remediator, action: dict[str, Any] | None = None) -> str:
    return r.offer(pending(action))


def stored_as(store: Store, record: dict[str, Any], ttl: int = 600) -> str:
    """A pending action stored as it is given (as an older version, or a hand, wrote it); its key."""
    key = "written-before"
    store.redis.set(store.key("pending", key), dumps(record), ex=ttl)
    return key


def grace(ecs: Ecs) -> int:
    return int(ecs.described().get("healthCheckGracePeriodSeconds") or 0)


def events(store: Store) -> list[str]:
    return [r["event"] for r in reversed(store.audit_log())]


def grace_plan(title: str = "Raise the health check grace period to 190 s") -> Plan:
    """A planned grace-period change, as a confirmed click's outcome carries it."""
    return Plan(
        kind="raise_grace_period",
        title=title,
        changes=[("healthCheckGracePeriodSeconds", "60 s", "190 s")],
        cli="aws ecs update-service --health-check-grace-period-seconds 190",
        operation="update_service",
    )
