"""Live checks: pure readings of collected evidence that confirm, refute or refine a candidate cause.

One record per check (`LiveCheck` in `evidence.py`): its name, what it proves, the categories it speaks
about, the evidence it needs (`needs.py`) and the pure function that runs it. Everything else is derived
from `ALL`: which checks a category has (`checks_for`, what `explain` and `diagnose` advertise), what the
collector fetches (`diagnosis.collect.wave` plans its rounds from the union of the candidates' needs), the
IAM actions a check needs (its needs' actions; a test holds them to deploy/iam/read-only-policy.json).

To add a check:
1. Write `def check_x(evidence: LiveEvidence, category: str) -> list[CheckResult]` in a module of this
   package (pure: no AWS call); every result it returns is named `"x"`.
2. Declare `X = LiveCheck("x", "what it proves", (categories…), (needs…), check_x)` next to it and add it
   to `ALL` below.
3. If it reads evidence nobody collects yet: add a field to `LiveEvidence`, a `Need` in `needs.py`, and a
   `Source` for that need in `diagnosis/collect/sources.py` (plan the calls, absorb the results).
4. Add a case to `TRIGGERS` in tests/diagnosis/checks/test_declarations.py (evidence that makes it speak):
   the registry test fails for a declared check that can never produce a result.
"""

from __future__ import annotations

from diagnosis.checks import (
    artifacts,
    capacity,
    deploy,
    exec,
    exec_iam,
    health,
    logs,
    network,
    placement,
    platform,
    resources,
    role,
    secrets,
    taskdef,
    volumes,
)
from diagnosis.checks.evidence import CheckResult, LiveCheck, LiveEvidence
from diagnosis.checks.exec import ExecCheck
from diagnosis.checks.needs import Need

ALL: tuple[LiveCheck, ...] = (
    logs.LOG_TAIL,
    deploy.REVISION_DIFF,
    resources.MEMORY_UTILIZATION,
    health.TARGET_GROUP,
    network.NETWORK_PATH,
    network.SUBNET_IPS,
    artifacts.ECR_IMAGE,
    artifacts.SECRET_EXISTS,
    artifacts.LOG_GROUP,
    role.EXECUTION_ROLE,
    artifacts.CLOUDTRAIL_STOPTASK,
    taskdef.TASK_DEFINITION,
    platform.IMAGE_PLATFORM,
    secrets.SECRET_ACCESS,
    volumes.EFS_VOLUME,
    placement.CONTAINER_INSTANCES,
    capacity.CAPACITY_PROVIDERS,
)
# ECS Exec readiness (`exec-check`), in the order they are shown: not about a stop cause, so not in ALL.
EXEC: tuple[ExecCheck, ...] = (
    exec.SERVICE,
    exec.TASKS,
    exec_iam.TASK_ROLE,
    exec.NETWORK,
    exec.PLATFORM,
    exec.AGENT_STATUS,
    exec.ROOT_FILESYSTEM,
    exec_iam.KMS,
    exec_iam.LOGGING,
)
BY_NAME: dict[str, LiveCheck] = {check.name: check for check in ALL}
CHECKS: dict[str, tuple[LiveCheck, ...]] = {}
for _check in ALL:
    for _category in _check.categories:
        CHECKS[_category] = (*CHECKS.get(_category, ()), _check)


def checks_for(category: str) -> tuple[LiveCheck, ...]:
    """The checks that speak about a category, in declaration order."""
    return CHECKS.get(category, ())


def needs_of(categories: list[str]) -> dict[str, set[str]]:
    """Need name → the candidate categories whose checks need it (what the collector fetches, for whom)."""
    wanted: dict[str, set[str]] = {}
    for category in categories:
        for check in checks_for(category):
            for need in check.needs:
                wanted.setdefault(need.name, set()).add(category)
    return wanted


def run_checks(evidence: LiveEvidence, candidates: list[str]) -> list[CheckResult]:
    results: list[CheckResult] = []
    for category in dict.fromkeys(candidates):
        for check in checks_for(category):
            results.extend(check.run(evidence, category))
    return results


__all__ = [
    "ALL",
    "BY_NAME",
    "CHECKS",
    "EXEC",
    "CheckResult",
    "LiveCheck",
    "LiveEvidence",
    "Need",
    "checks_for",
    "needs_of",
    "run_checks",
]
