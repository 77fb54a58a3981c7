"""After a change: follow the service's deployment and say in the thread when it is steady, failed, or
still going when the time is up (the step that tells the user whether the fix took)."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from bot.remediation.reporting import aws_message
from diagnosis.actions import ServiceParams


def follow_deployment(
    ecs: Any,
    where: ServiceParams,
    notify: Callable[[str], None],
    timeout_seconds: float,
    interval_seconds: float,
) -> None:
    """Poll the service (read-only `ecs`) every `interval_seconds`; `notify` says once how it ended."""
    cluster, service = where.cluster, where.service
    deadline = time.monotonic() + timeout_seconds
    while True:
        try:
            found = ecs.describe_services(cluster=cluster, services=[service]).get("services", [])
        except (ClientError, BotoCoreError) as exc:
            notify(f"I could not follow the deployment of {service}: {aws_message(exc)}")
            return
        state = deployment_state(found[0] if found else {})
        if state == "MISSING":
            notify(f"I stopped following {service}: the service no longer exists")
            return
        if state != "IN_PROGRESS":
            notify(f"Deployment of {service}: {state.lower().replace('_', ' ')}")
            return
        if time.monotonic() >= deadline:
            notify(
                f"Deployment of {service} is still in progress after {timeout_seconds / 60:.0f} min; "
                f"I stopped following it"
            )
            return
        time.sleep(interval_seconds)


def deployment_state(service: dict[str, Any]) -> str:
    """COMPLETED, FAILED or IN_PROGRESS, from the primary deployment (or the counts, where no rollout state);
    MISSING when the service is gone."""
    if not service or service.get("status") == "INACTIVE":
        return "MISSING"
    deployments = service.get("deployments") or []
    primary = next(
        (d for d in deployments if d.get("status") == "PRIMARY"), deployments[0] if deployments else {}
    )
    state = str(primary.get("rolloutState") or "")
    if state in ("COMPLETED", "FAILED"):
        return state
    if len(deployments) <= 1 and service.get("runningCount", 0) >= service.get("desiredCount", 0):
        return "COMPLETED"
    return "IN_PROGRESS"
