"""Live checks: pure readings of collected evidence that confirm, refute or refine a candidate cause.

The registry maps each category to the checks that speak about it (the collectors fetch exactly what
these read); `run_checks` runs those of the candidate categories.
"""

from __future__ import annotations

from collections.abc import Callable

from diagnosis.checks import (
    artifacts,
    capacity,
    deploy,
    health,
    logs,
    network,
    placement,
    platform,
    resources,
    secrets,
    taskdef,
    volumes,
)
from diagnosis.checks.evidence import CheckResult, LiveEvidence

Check = Callable[[LiveEvidence, str], list[CheckResult]]

_EXIT = (logs.check_logs, deploy.check_revisions)
_TD = taskdef.check_task_definition
CHECKS: dict[str, tuple[Check, ...]] = {
    "oom": (resources.check_memory, _TD, *_EXIT),
    "app_error": (*_EXIT, _TD, platform.check_image_platform),
    "command_not_found": (*_EXIT, _TD),
    "segfault": (*_EXIT, _TD),
    "clean_exit": (*_EXIT, _TD),
    "sigkill_stop_timeout": (logs.check_logs, _TD),
    "container_start_failure": (*_EXIT, _TD),
    "image_platform_mismatch": (platform.check_image_platform, _TD, deploy.check_revisions),
    "invalid_task_definition_or_parameter": (deploy.check_revisions, _TD),
    "container_health_check": (*_EXIT, _TD),
    "other": (logs.check_logs,),
    "elb_health_check": (health.check_load_balancer, _TD),
    "image_pull_network": (network.check_network,),
    "image_pull_auth": (artifacts.check_images, artifacts.check_role, network.check_network),
    "image_not_found": (artifacts.check_images, deploy.check_revisions),
    "secrets_retrieval": (
        artifacts.check_secrets,
        secrets.check_secret_access,
        artifacts.check_role,
        network.check_network,
    ),
    "log_driver_init": (artifacts.check_log_group, artifacts.check_role, network.check_network),
    "eni_or_subnet": (network.check_network,),
    "volume_mount": (volumes.check_volumes, network.check_network),
    "user_stopped": (artifacts.check_trail,),
    "placement_insufficient_resources": (placement.check_container_instances, _TD),
    "placement_constraint_or_no_instances": (placement.check_container_instances,),
    "fargate_capacity_or_quota": (capacity.check_capacity,),
    "spot_interruption": (capacity.check_capacity,),
}


def run_checks(evidence: LiveEvidence, candidates: list[str]) -> list[CheckResult]:
    results: list[CheckResult] = []
    for category in dict.fromkeys(candidates):
        for check in CHECKS.get(category, ()):
            results.extend(check(evidence, category))
    return results


__all__ = ["CHECKS", "CheckResult", "LiveEvidence", "run_checks"]
