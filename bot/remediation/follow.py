"""After a change: follow the service's deployment and say in the thread when it is steady, failed, or
still going when the time is up (the step that tells the user whether the fix took)."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

from botocore.exceptions import BotoCoreError, ClientError

from bot.remediation.reporting import aws_message
from bot.remediation.why_not import WhyNot
from diagnosis.actions import ServiceParams


@dataclass(frozen=True)
class Followed:
    """How the deployment a change started ended, as far as it was followed (handlers word it): COMPLETED,
    FAILED, MISSING (the service is gone), STILL_GOING after `minutes`, or UNFOLLOWED (why not: AWS's
    `error`, or `why_not` when it could not be read at all, e.g. no credentials)."""

    service: str
    state: Literal["COMPLETED", "FAILED", "MISSING", "STILL_GOING", "UNFOLLOWED"]
    error: str = ""
    minutes: int = 0
    why_not: WhyNot | None = None


def follow_deployment(
    ecs: Any,
    where: ServiceParams,
    notify: Callable[[Followed], None],
    timeout_seconds: float,
    interval_seconds: float,
) -> None:
    """Poll the service (read-only `ecs`) every `interval_seconds`; `notify` is told once how it ended."""
    cluster, service = where.cluster, where.service
    deadline = time.monotonic() + timeout_seconds
    while True:
        try:
            found = ecs.describe_services(cluster=cluster, services=[service]).get("services", [])
        except (ClientError, BotoCoreError) as exc:
            notify(Followed(service, "UNFOLLOWED", error=aws_message(exc)))
            return
        state = deployment_state(found[0] if found else {})
        if state != "IN_PROGRESS":
            notify(Followed(service, state))
            return
        if time.monotonic() >= deadline:
            notify(Followed(service, "STILL_GOING", minutes=round(timeout_seconds / 60)))
            return
        time.sleep(interval_seconds)


def deployment_state(service: dict[str, Any]) -> Literal["COMPLETED", "FAILED", "IN_PROGRESS", "MISSING"]:
    """COMPLETED, FAILED or IN_PROGRESS, from the primary deployment (or the counts, where no rollout state);
    MISSING when the service is gone."""
    if not service or service.get("status") == "INACTIVE":
        return "MISSING"
    deployments = service.get("deployments") or []
    primary = next(
        (d for d in deployments if d.get("status") == "PRIMARY"), deployments[0] if deployments else {}
    )
    state = str(primary.get("rolloutState") or "")
    if state == "COMPLETED":
        return "COMPLETED"
    if state == "FAILED":
        return "FAILED"
    if len(deployments) <= 1 and service.get("runningCount", 0) >= service.get("desiredCount", 0):
        return "COMPLETED"
    return "IN_PROGRESS"
