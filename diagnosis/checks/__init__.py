"""Live checks: pure readings of collected evidence that confirm, refute or refine a candidate cause.

This module is the registry: one `LiveCheck` per check, with its name, what it proves, the categories it
speaks about, the evidence it needs (`needs.py`) and where its pure function lives. Everything else is
derived from `ALL`: which checks a category has (`checks_for`, what `explain` and `diagnose` advertise), what
the collector fetches (`diagnosis.collect.cause_evidence` plans its rounds from the union of the candidates'
needs), the IAM actions a check needs (its needs' actions; a test holds them to
deploy/iam/read-only-policy.json).
The registry is plain data and names each function by its module: `explain` lists a cause's checks without
loading them (tests/bot/test_cli_imports.py), and the first run of a check imports its module.

To add a check:
1. Write `def check_x(evidence: LiveEvidence, category: str) -> list[CheckResult]` in a module of this
   package (pure: no AWS call); every result it returns is named `"x"`.
2. Declare `X = LiveCheck("x", "what it proves", (categories…), (needs…), "module.check_x")` below and add
   it to `ALL`.
3. If it reads evidence nobody collects yet: add a field to `LiveEvidence`, a `Need` in `needs.py`, and a
   `Source` for that need in `diagnosis/collect/sources.py` (plan the calls, absorb the results).
4. Add a case to `TRIGGERS` in tests/diagnosis/checks/test_declarations.py (evidence that makes it speak):
   the registry test fails for a declared check that can never produce a result.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from importlib import import_module
from typing import TYPE_CHECKING, cast

from diagnosis.checks import needs
from diagnosis.checks.needs import Need

if TYPE_CHECKING:
    from diagnosis.checks.evidence import CheckResult, LiveEvidence

CheckFunction = Callable[["LiveEvidence", str], "list[CheckResult]"]
NO_ROLLBACK = "none"  # names["rollback_to"] when the revision correlation found nothing to roll back to
GRACE_IS_NOT_IT = "grace_is_not_it"  # in names when the target group check shows no grace period would help


@dataclass(frozen=True)
class LiveCheck:
    """One live check, declared once: what it is called and proves, the causes it speaks about, the
    evidence it reads (whose collectors and IAM actions follow from it) and its pure function, as
    `"module.function"` of this package. Every `CheckResult` the function returns carries this `name`."""

    name: str
    description: str
    categories: tuple[str, ...]
    needs: tuple[Need, ...]
    function: str

    @property
    def iam_actions(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(a for need in self.needs for a in need.iam_actions))

    def run(self, evidence: LiveEvidence, category: str) -> list[CheckResult]:
        return _function(self.function)(evidence, category)


@cache
def _function(path: str) -> CheckFunction:
    """The check function at `module.function` in this package (its module imported on first use)."""
    module, _, name = path.rpartition(".")
    return cast(CheckFunction, getattr(import_module(f"{__name__}.{module}"), name))


LOG_TAIL = LiveCheck(
    "log_tail",
    "Read the failed container's CloudWatch log: the last error line before it stopped",
    (
        "oom",
        "app_error",
        "command_not_found",
        "segfault",
        "clean_exit",
        "sigkill_stop_timeout",
        "container_start_failure",
        "container_health_check",
        "elb_health_check",
        "other",
    ),
    (needs.LOG_TAIL, needs.TASK_DEFINITIONS),
    "logs.check_logs",
)
REVISION_DIFF = LiveCheck(
    "revision_diff",
    "Find the revision the failures began with and diff it against the last steady one",
    (
        "oom",
        "app_error",
        "command_not_found",
        "segfault",
        "clean_exit",
        "container_start_failure",
        "container_health_check",
        "image_platform_mismatch",
        "invalid_task_definition_or_parameter",
        "image_not_found",
    ),
    (needs.SERVICE, needs.TASK_DEFINITIONS, needs.PREVIOUS_REVISION),
    "deploy.check_revisions",
)
MEMORY_UTILIZATION = LiveCheck(
    "memory_utilization",
    "Read Container Insights memory against the memory limit around the kills, and the next valid size",
    ("oom",),
    (needs.MEMORY_METRICS, needs.TASK_DEFINITIONS),
    "resources.check_memory",
)
TARGET_GROUP = LiveCheck(
    "target_group",
    "Read the target group (target type, health check port, path, thresholds, target health) against the "
    "grace period, the application's start time and the security groups' ingress from the load balancer",
    ("elb_health_check",),
    (
        needs.SERVICE,
        needs.TASK_DEFINITIONS,
        needs.TARGET_GROUPS,
        needs.LOAD_BALANCERS,
        needs.SECURITY_GROUPS,
        needs.LOG_HEAD,
    ),
    "health.check_load_balancer",
)
NETWORK_PATH = LiveCheck(
    "network_path",
    "Follow the task's network path to AWS: its subnets' routes (NAT, internet gateway), VPC endpoints with "
    "private DNS, security group egress on 443 and network ACLs",
    ("image_pull_network", "image_pull_auth", "secrets_retrieval", "log_driver_init"),
    (needs.SUBNETS, needs.ROUTES, needs.SECURITY_GROUPS, needs.SERVICE),
    "network.check_network",
)
SUBNET_IPS = LiveCheck(
    "subnet_ips",
    "Count the free IP addresses in the task's subnets",
    ("eni_or_subnet",),
    (needs.SUBNETS,),
    "network.check_subnet_ips",
)
ECR_IMAGE = LiveCheck(
    "ecr_image",
    "Look the image's repository and tag up in ECR and list the tags that do exist",
    ("image_pull_auth", "image_not_found"),
    (needs.ECR_IMAGES,),
    "artifacts.check_images",
)
SECRET_EXISTS = LiveCheck(
    "secret_exists",
    "Check that each secret and parameter the task definition references exists",
    ("secrets_retrieval",),
    (needs.SECRETS,),
    "artifacts.check_secrets",
)
LOG_GROUP = LiveCheck(
    "log_group",
    "Check that the awslogs log group exists",
    ("log_driver_init",),
    (needs.LOG_GROUPS,),
    "artifacts.check_log_group",
)
CLOUDTRAIL_STOPTASK = LiveCheck(
    "cloudtrail_stoptask",
    "Find the StopTask call for the task in CloudTrail: who stopped it and when",
    ("user_stopped",),
    (needs.CLOUDTRAIL,),
    "artifacts.check_trail",
)
EXECUTION_ROLE = LiveCheck(
    "execution_role",
    "Simulate the execution role on exactly what the task's start needs: its ECR repositories, secrets and "
    "parameters (and their customer-managed KMS keys), its log streams",
    ("image_pull_auth", "secrets_retrieval", "log_driver_init"),
    (needs.ROLE_SIMULATION, needs.TASK_DEFINITIONS, needs.KMS_KEYS),  # KMS_KEYS reads the secrets first
    "role.check_role",
)
TASK_DEFINITION = LiveCheck(
    "task_definition",
    "Read the numbers of the task definition that decide the cause: memory and cpu with the next valid size, "
    "command and entryPoint, healthCheck timing, stopTimeout, ports against the target group",
    (
        "oom",
        "app_error",
        "command_not_found",
        "segfault",
        "clean_exit",
        "sigkill_stop_timeout",
        "container_start_failure",
        "image_platform_mismatch",
        "invalid_task_definition_or_parameter",
        "container_health_check",
        "elb_health_check",
        "placement_insufficient_resources",
    ),
    (needs.TASK_DEFINITIONS, needs.SERVICE, needs.LOG_TAIL),
    "taskdef.check_task_definition",
)
IMAGE_PLATFORM = LiveCheck(
    "image_platform",
    "Read the platforms the image's manifest list names against the task's runtimePlatform, and look for "
    "`exec format error` in the log",
    ("image_platform_mismatch", "app_error"),
    (needs.IMAGE_MANIFESTS, needs.TASK_DEFINITIONS, needs.LOG_TAIL),
    "platform.check_image_platform",
)
SECRET_ACCESS = LiveCheck(
    "secret_access",
    "For each referenced secret: the role that fetches it, its KMS key (customer-managed or not), and the "
    "network path to the service",
    ("secrets_retrieval",),
    (needs.SECRETS, needs.KMS_KEYS, needs.TASK_DEFINITIONS, needs.SUBNETS, needs.ROUTES),
    "secrets.check_secret_access",
)
EFS_VOLUME = LiveCheck(
    "efs_volume",
    "Check the EFS file system, a mount target in each task zone admitting NFS 2049 from the task's security "
    "groups, and the access point",
    ("volume_mount",),
    (needs.EFS, needs.EFS_SECURITY, needs.TASK_DEFINITIONS, needs.SUBNETS, needs.SECURITY_GROUPS),
    "volumes.check_volumes",
)
CONTAINER_INSTANCES = LiveCheck(
    "container_instances",
    "Count the cluster's container instances (registered vs remaining cpu/memory, agent connected) against "
    "what the task asks for",
    ("placement_insufficient_resources", "placement_constraint_or_no_instances"),
    (
        needs.CONTAINER_INSTANCE_ARNS,
        needs.CONTAINER_INSTANCES,
        needs.TASK_DEFINITIONS,
        needs.SERVICE,
        needs.CAPACITY_PROVIDERS,
        needs.CAPACITY_GROUPS,
    ),
    "placement.check_container_instances",
)
CAPACITY_PROVIDERS = LiveCheck(
    "capacity_providers",
    "Read the service's capacity provider strategy (base, weights) and the provider the task ran on",
    ("fargate_capacity_or_quota", "spot_interruption"),
    (needs.SERVICE,),
    "capacity.check_capacity",
)

ALL: tuple[LiveCheck, ...] = (
    LOG_TAIL,
    REVISION_DIFF,
    MEMORY_UTILIZATION,
    TARGET_GROUP,
    NETWORK_PATH,
    SUBNET_IPS,
    ECR_IMAGE,
    SECRET_EXISTS,
    LOG_GROUP,
    EXECUTION_ROLE,
    CLOUDTRAIL_STOPTASK,
    TASK_DEFINITION,
    IMAGE_PLATFORM,
    SECRET_ACCESS,
    EFS_VOLUME,
    CONTAINER_INSTANCES,
    CAPACITY_PROVIDERS,
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
