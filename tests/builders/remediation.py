"""A remediation offered for the moto ECS service of `ecs_service`: its target, the action, the sessions it
runs with, and what a test reads back (the grace period, the audit trail)."""

from __future__ import annotations

from typing import Any

import boto3

from bot.remediation.executor import Remediator
from bot.store import Store
from tests.builders.ecs_service import CLUSTER, REGION, SERVICE, Ecs

TARGET = {"account": "123456789012", "region": REGION, "cluster": CLUSTER, "service": SERVICE}


def sessions(user: str, account: str | None, region: str | None, policy: dict[str, Any]) -> boto3.Session:
    return boto3.Session(region_name=region or REGION)


def grace_action(seconds: int = 190) -> dict[str, Any]:
    return {
        "kind": "raise_grace_period",
        "params": {"cluster": CLUSTER, "service": SERVICE, "seconds": seconds},
        "risk": "low",
    }


def offer(r: Remediator, action: dict[str, Any] | None = None) -> str:
    return r.offer(action or grace_action(), {"target": TARGET, "channel": "C1", "command": "prod/web"})


def grace(ecs: Ecs) -> int:
    return int(ecs.described().get("healthCheckGracePeriodSeconds") or 0)


def events(store: Store) -> list[str]:
    return [r["event"] for r in reversed(store.audit_log())]
