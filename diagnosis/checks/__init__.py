"""Live checks: pure readings of collected evidence that confirm, refute or refine a candidate cause.

The registry maps each category to the checks that speak about it (the collectors fetch exactly what
these read); `run_checks` runs those of the candidate categories.
"""

from __future__ import annotations

from collections.abc import Callable

from diagnosis.checks import artifacts, deploy, health, logs, network, resources
from diagnosis.checks.evidence import CheckResult, LiveEvidence

Check = Callable[[LiveEvidence, str], list[CheckResult]]

_EXIT = (logs.check_logs, deploy.check_revisions)
CHECKS: dict[str, tuple[Check, ...]] = {
    "oom": (resources.check_memory, *_EXIT),
    "app_error": _EXIT,
    "command_not_found": _EXIT,
    "segfault": _EXIT,
    "clean_exit": _EXIT,
    "sigkill_stop_timeout": (logs.check_logs,),
    "container_start_failure": _EXIT,
    "image_platform_mismatch": (deploy.check_revisions,),
    "invalid_task_definition_or_parameter": (deploy.check_revisions,),
    "container_health_check": _EXIT,
    "other": (logs.check_logs,),
    "elb_health_check": (health.check_load_balancer,),
    "image_pull_network": (network.check_network,),
    "image_pull_auth": (artifacts.check_images, artifacts.check_role, network.check_network),
    "image_not_found": (artifacts.check_images, deploy.check_revisions),
    "secrets_retrieval": (artifacts.check_secrets, artifacts.check_role, network.check_network),
    "log_driver_init": (artifacts.check_log_group, artifacts.check_role, network.check_network),
    "eni_or_subnet": (network.check_network,),
    "volume_mount": (network.check_network,),
    "user_stopped": (artifacts.check_trail,),
}


def run_checks(evidence: LiveEvidence, candidates: list[str]) -> list[CheckResult]:
    results: list[CheckResult] = []
    for category in dict.fromkeys(candidates):
        for check in CHECKS.get(category, ()):
            results.extend(check(evidence, category))
    return results


__all__ = ["CHECKS", "CheckResult", "LiveEvidence", "run_checks"]
