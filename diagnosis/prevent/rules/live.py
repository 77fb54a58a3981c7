"""Live rules: the diagnosis engine's own checks, run on what `ecs-why check SERVICE` read for the task the
next deployment would start. A check that would confirm a cause after a stop fails the check before it;
the fix is the cause's first remediation step, filled with the names the check found."""

from __future__ import annotations

from collections.abc import Callable, Iterator

from diagnosis.checks import artifacts, health, network, placement, platform, resources, secrets
from diagnosis.checks.evidence import CheckResult, LiveEvidence
from diagnosis.knowledge import info
from diagnosis.models import Action
from diagnosis.names import fill
from diagnosis.prevent.model import Fix, Severity, Subject, Violation
from diagnosis.prevent.rules.base import Rule
from diagnosis.prevent.rules.logging import awslogs
from diagnosis.prevent.rules.secrets import secret_refs
from diagnosis.prevent.values import as_bool, as_int

CheckFunction = Callable[[LiveEvidence, str], list[CheckResult]]


def confirmed(
    subject: Subject,
    check: CheckFunction,
    category: str,
    action: Callable[[dict[str, str]], Action | None] | None = None,
) -> Iterator[Violation]:
    """The check's confirmations, each with the cause's first remediation command filled in."""
    if subject.evidence is None:
        return
    for result in check(subject.evidence, category):
        if result.outcome != "confirms":
            continue
        names = {**_names(subject), **result.names}
        command = next((s.command for s in info(result.recategorize or category).steps if s.command), None)
        cli = fill(command, names) if command else None
        yield Violation(
            result.detail,
            Fix(cli=cli if cli and "<" not in cli else None),
            action=action(names) if action else None,
        )


def _names(subject: Subject) -> dict[str, str]:
    service = subject.service or {}
    return {
        "service": str(service.get("serviceName", "")),
        "cluster": str(service.get("clusterArn", "")).rsplit("/", 1)[-1],
        "task_def": subject.name,
        "family": subject.name.rsplit(":", 1)[0],
        "region": subject.region,
    }


def image_exists(subject: Subject) -> Iterator[Violation]:
    yield from confirmed(subject, artifacts.check_images, "image_not_found")


def image_platform(subject: Subject) -> Iterator[Violation]:
    yield from confirmed(subject, platform.check_image_platform, "image_platform_mismatch")


def secrets_exist(subject: Subject) -> Iterator[Violation]:
    if any(True for _ in secret_refs(subject)):
        yield from confirmed(subject, artifacts.check_secrets, "secrets_retrieval")
        yield from confirmed(subject, secrets.check_secret_access, "secrets_retrieval")


def execution_role_allowed(subject: Subject) -> Iterator[Violation]:
    yield from confirmed(subject, artifacts.check_role, "image_pull_auth")


def log_group_exists(subject: Subject) -> Iterator[Violation]:
    creates = any(as_bool(options.get("awslogs-create-group")) for _, options in awslogs(subject))
    if not creates:
        yield from confirmed(subject, artifacts.check_log_group, "log_driver_init")


def network_path(subject: Subject) -> Iterator[Violation]:
    """The path to ECR and S3, and to Secrets Manager / SSM and CloudWatch Logs where the task uses them."""
    categories = ["image_pull_network"]
    if any(True for _ in secret_refs(subject)):
        categories.append("secrets_retrieval")
    if any(True for _ in awslogs(subject)):
        categories.append("log_driver_init")
    seen: set[str] = set()
    for category in categories:
        for violation in confirmed(subject, network.check_network, category):
            if violation.fact not in seen:
                seen.add(violation.fact)
                yield violation


def free_addresses(subject: Subject) -> Iterator[Violation]:
    """Enough free addresses in the subnets for a deployment: desired count × maximumPercent (awsvpc)."""
    yield from confirmed(subject, network.check_subnet_ips, "eni_or_subnet")
    service = subject.service or {}
    if subject.task_definition.get("networkMode") != "awsvpc" or not subject.subnets:
        return
    desired = as_int(service.get("desiredCount")) or 0
    maximum = as_int((service.get("deploymentConfiguration") or {}).get("maximumPercent")) or 200
    needed = -(-desired * maximum // 100)
    free = sum(as_int(s.get("AvailableIpAddressCount")) or 0 for s in subject.subnets)
    if desired and free < needed:
        ids = ", ".join(str(s.get("SubnetId")) for s in subject.subnets)
        yield Violation(
            f"the subnets ({ids}) have {free} free addresses; a deployment of {desired} tasks at "
            f"{maximum}% needs {needed}",
            Fix(
                cloudformation="Service: NetworkConfiguration.AwsvpcConfiguration.Subnets: add larger subnets"
            ),
        )


def memory_headroom(subject: Subject) -> Iterator[Violation]:
    yield from confirmed(subject, resources.check_memory, "oom")


def load_balancer_health(subject: Subject) -> Iterator[Violation]:
    if (subject.service or {}).get("loadBalancers"):
        yield from confirmed(subject, health.check_load_balancer, "elb_health_check", _grace_action)


def _grace_action(names: dict[str, str]) -> Action | None:
    """Raise the grace period to what the check computed from the app's start time (the Slack button)."""
    seconds = as_int(names.get("grace_period"))
    if not (seconds and names.get("service") and names.get("cluster")):
        return None
    return Action(
        kind="raise_grace_period",
        params={"cluster": names["cluster"], "service": names["service"], "seconds": seconds},
        risk="low",
        label=f"Raise the health check grace period to {seconds} s",
    )


def cluster_capacity(subject: Subject) -> Iterator[Violation]:
    if not subject.fargate and (subject.service or {}).get("launchType") == "EC2":
        yield from confirmed(subject, placement.check_container_instances, "placement_insufficient_resources")


def _live(
    rule_id: str,
    title: str,
    severity: Severity,
    why: str,
    prevents: tuple[str, ...],
    run: Callable[[Subject], Iterator[Violation]],
) -> Rule:
    return Rule(rule_id, title, severity, why, prevents, run, live=True)


RULES = (
    _live(
        "image_exists",
        "Image tag not in ECR",
        "error",
        "The tag (or digest) the task definition names must exist in the ECR repository, or every task "
        "stops with CannotPullContainerError.",
        ("image_not_found",),
        image_exists,
    ),
    _live(
        "image_platform",
        "Image manifest lacks the task's platform",
        "error",
        "The image's manifest must offer the task's CPU architecture and OS, or the container stops at "
        "once with exec format error.",
        ("image_platform_mismatch",),
        image_platform,
    ),
    _live(
        "secret_exists",
        "Secret or parameter missing or unreadable",
        "error",
        "Every secret and parameter the task references must exist and be readable by the execution role "
        "(and its KMS key), or the task stops with ResourceInitializationError.",
        ("secrets_retrieval",),
        secrets_exist,
    ),
    _live(
        "execution_role_allowed",
        "Execution role denied what the start needs",
        "error",
        "The execution role's permissions, simulated on the task's own repositories, secrets and log "
        "group: a denied action stops the task before its containers run.",
        ("image_pull_auth", "secrets_retrieval", "log_driver_init"),
        execution_role_allowed,
    ),
    _live(
        "log_group_exists",
        "awslogs group does not exist",
        "error",
        "The awslogs group must exist (or awslogs-create-group be set), or the task stops with "
        "ResourceInitializationError.",
        ("log_driver_init",),
        log_group_exists,
    ),
    _live(
        "network_path",
        "Subnets cannot reach ECR, S3, Logs, Secrets Manager or SSM",
        "error",
        "Tasks pull images, fetch secrets and send logs over the network: their subnets need a NAT "
        "gateway, a public address with an internet gateway, or VPC endpoints, and security groups and "
        "network ACLs that let HTTPS out.",
        ("image_pull_network", "secrets_retrieval", "log_driver_init"),
        network_path,
    ),
    _live(
        "subnet_addresses",
        "Not enough free addresses in the subnets",
        "error",
        "Each awsvpc task takes an address; a deployment starts up to maximumPercent of the desired count "
        "at once.",
        ("eni_or_subnet",),
        free_addresses,
    ),
    _live(
        "memory_headroom",
        "Memory near the limit",
        "warning",
        "Container Insights shows the service's memory at its limit: the next peak is an OOM kill.",
        ("oom",),
        memory_headroom,
    ),
    _live(
        "load_balancer_health",
        "Load balancer health checks will fail",
        "error",
        "The diagnosis engine's target group check: target type, health check port, the task's security "
        "groups from the load balancer's, and the app's start time (from its log) against the grace period "
        "and the unhealthy window.",
        ("elb_health_check",),
        load_balancer_health,
    ),
    _live(
        "cluster_capacity",
        "Cluster lacks capacity for the task",
        "error",
        "On EC2 the task needs a connected container instance with the CPU and memory it asks for.",
        ("placement_insufficient_resources", "placement_constraint_or_no_instances"),
        cluster_capacity,
    ),
)
