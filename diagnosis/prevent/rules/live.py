"""Live rules: the diagnosis engine's own checks (records of `diagnosis.checks.ALL`), run on what
`ecs-why check SERVICE` read for the task the next deployment would start. A check that would confirm a
cause after a stop fails the check before it; the fix is the cause's first remediation step, filled with
the names the check found. `Rule.uses` says which check, for which cause, when: the collector fetches
exactly their needs (`needs_of_rules`)."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from typing import Any

from diagnosis.actions import Action, GraceParams, RaiseGracePeriod, service_of
from diagnosis.checks import (
    CONTAINER_INSTANCES,
    ECR_IMAGE,
    EFS_VOLUME,
    EXECUTION_ROLE,
    IMAGE_PLATFORM,
    LOG_GROUP,
    MEMORY_UTILIZATION,
    NETWORK_PATH,
    SECRET_ACCESS,
    SECRET_EXISTS,
    SUBNET_IPS,
    TARGET_GROUP,
    TASK_DEFINITION,
    volumes,
)
from diagnosis.knowledge import info
from diagnosis.names import derive, fill
from diagnosis.prevent.model import Fix, Severity, Subject, Violation
from diagnosis.prevent.rules.base import Rule, Use
from diagnosis.prevent.rules.logging import awslogs
from diagnosis.prevent.rules.secrets import secret_refs
from diagnosis.prevent.values import as_bool, as_int

ActionFor = Callable[[dict[str, str]], Action | None]


def has_secrets(subject: Subject) -> bool:
    return any(True for _ in secret_refs(subject))


def has_awslogs(subject: Subject) -> bool:
    return any(True for _ in awslogs(subject))


def awsvpc(subject: Subject) -> bool:
    return subject.task_definition.get("networkMode") == "awsvpc"


def load_balanced(subject: Subject) -> bool:
    return bool((subject.service or {}).get("loadBalancers"))


def on_ec2(subject: Subject) -> bool:
    return not subject.fargate and (subject.service or {}).get("launchType") == "EC2"


def has_efs(subject: Subject) -> bool:
    return bool(volumes.efs_volumes(subject.task_definition))


def has_command(subject: Subject) -> bool:
    return any(c.get("command") or c.get("entryPoint") for c in _containers(subject))


def has_health_check(subject: Subject) -> bool:
    return any(c.get("healthCheck") for c in _containers(subject))


def _containers(subject: Subject) -> list[dict[str, Any]]:
    return [c for c in subject.task_definition.get("containerDefinitions") or [] if isinstance(c, dict)]


def creates_no_group(subject: Subject) -> bool:
    return has_awslogs(subject) and not any(
        as_bool(options.get("awslogs-create-group")) for _, options in awslogs(subject)
    )


def needs_of_rules(rules: Sequence[Rule], subject: Subject) -> dict[str, set[str]]:
    """Need name → the causes whose checks need it, for the uses that apply to this task (the collector's plan)."""
    wanted: dict[str, set[str]] = {}
    for rule in rules:
        for use in rule.uses:
            if use.when(subject):
                for need in use.check.needs:
                    wanted.setdefault(need.name, set()).add(use.category)
    return wanted


def confirmed(subject: Subject, uses: Sequence[Use], action: ActionFor | None = None) -> Iterator[Violation]:
    """The confirmations of the uses that apply, each with its cause's first remediation command filled in;
    the same fact from two uses is said once."""
    if subject.evidence is None:
        return
    seen: set[str] = set()
    for use in uses:
        if not use.when(subject):
            continue
        for result in use.check.run(subject.evidence, use.category):
            if result.outcome != "confirms" or result.detail in seen:
                continue
            seen.add(result.detail)
            names = {**_names(subject), **result.names}
            derive(names)  # e.g. which store a secret is in, so the fix is that store's command
            steps = info(result.recategorize or use.category).steps_for(names)
            command = next((s.command for s in steps if s.command), None)
            cli = fill(command, names, quoted=True) if command else None
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


def _grace_action(names: dict[str, str]) -> Action | None:
    """Raise the grace period to what the check computed from the app's start time (the Slack button)."""
    seconds = as_int(names.get("grace_period"))
    where = service_of(names.get("cluster"), names.get("service"))
    if not (seconds and where):
        return None
    return RaiseGracePeriod.offer(GraceParams(**where.service_fields(), seconds=seconds))


def free_addresses(subject: Subject) -> Iterator[Violation]:
    """Enough free addresses in the subnets for a deployment: desired count × maximumPercent (awsvpc)."""
    yield from confirmed(subject, SUBNET_USES)
    service = subject.service or {}
    if not awsvpc(subject) or not subject.subnets:
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


SUBNET_USES = (Use(SUBNET_IPS, "eni_or_subnet", awsvpc),)


def _live(
    rule_id: str,
    title: str,
    severity: Severity,
    why: str,
    prevents: tuple[str, ...],
    uses: tuple[Use, ...],
    action: ActionFor | None = None,
    run: Callable[[Subject], Iterator[Violation]] | None = None,
) -> Rule:
    def confirm(subject: Subject) -> Iterator[Violation]:
        return confirmed(subject, uses, action)

    return Rule(rule_id, title, severity, why, prevents, run or confirm, live=True, uses=uses)


RULES = (
    _live(
        "image_exists",
        "Image tag not in ECR",
        "error",
        "The tag (or digest) the task definition names must exist in the ECR repository, or every task "
        "stops with CannotPullContainerError.",
        ("image_not_found",),
        (Use(ECR_IMAGE, "image_not_found"),),
    ),
    _live(
        "image_platform",
        "Image manifest lacks the task's platform",
        "error",
        "The image's manifest must offer the task's CPU architecture and OS, or the container stops at "
        "once with exec format error.",
        ("image_platform_mismatch",),
        (Use(IMAGE_PLATFORM, "image_platform_mismatch"),),
    ),
    _live(
        "secret_exists",
        "Secret or parameter missing or unreadable",
        "error",
        "Every secret and parameter the task references must exist and be readable by the execution role "
        "(and its KMS key), or the task stops with ResourceInitializationError.",
        ("secrets_retrieval",),
        (
            Use(SECRET_EXISTS, "secrets_retrieval", has_secrets),
            Use(SECRET_ACCESS, "secrets_retrieval", has_secrets),
        ),
    ),
    _live(
        "execution_role_allowed",
        "Execution role denied what the start needs",
        "error",
        "The execution role's permissions, simulated on the task's own repositories, secrets and log "
        "group: a denied action stops the task before its containers run.",
        ("image_pull_auth", "secrets_retrieval", "log_driver_init"),
        (
            Use(EXECUTION_ROLE, "image_pull_auth"),
            Use(EXECUTION_ROLE, "secrets_retrieval", has_secrets),
            Use(EXECUTION_ROLE, "log_driver_init", has_awslogs),
        ),
    ),
    _live(
        "log_group_exists",
        "awslogs group does not exist",
        "error",
        "The awslogs group must exist (or awslogs-create-group be set), or the task stops with "
        "ResourceInitializationError.",
        ("log_driver_init",),
        (Use(LOG_GROUP, "log_driver_init", creates_no_group),),
    ),
    _live(
        "network_path",
        "Subnets cannot reach ECR, S3, Logs, Secrets Manager or SSM",
        "error",
        "Tasks pull images, fetch secrets and send logs over the network: their subnets need a NAT "
        "gateway, a public address with an internet gateway, or VPC endpoints, and security groups and "
        "network ACLs that let HTTPS out.",
        ("image_pull_network", "secrets_retrieval", "log_driver_init"),
        (
            Use(NETWORK_PATH, "image_pull_network", awsvpc),
            Use(NETWORK_PATH, "secrets_retrieval", lambda s: awsvpc(s) and has_secrets(s)),
            Use(NETWORK_PATH, "log_driver_init", lambda s: awsvpc(s) and has_awslogs(s)),
        ),
    ),
    _live(
        "subnet_addresses",
        "Not enough free addresses in the subnets",
        "error",
        "Each awsvpc task takes an address; a deployment starts up to maximumPercent of the desired count "
        "at once.",
        ("eni_or_subnet",),
        SUBNET_USES,
        run=free_addresses,
    ),
    _live(
        "memory_headroom",
        "Memory near the limit",
        "warning",
        "Container Insights shows the service's memory at its limit: the next peak is an OOM kill.",
        ("oom",),
        (Use(MEMORY_UTILIZATION, "oom"),),
    ),
    _live(
        "load_balancer_health",
        "Load balancer health checks will fail",
        "error",
        "The diagnosis engine's target group check: target type, health check port, the task's security "
        "groups from the load balancer's, and the app's start time (from its log) against the grace period "
        "and the unhealthy window.",
        ("elb_health_check",),
        (Use(TARGET_GROUP, "elb_health_check", load_balanced),),
        action=_grace_action,
    ),
    _live(
        "cluster_capacity",
        "Cluster lacks capacity for the task",
        "error",
        "On EC2 the task needs a connected container instance with the CPU and memory it asks for.",
        ("placement_insufficient_resources", "placement_constraint_or_no_instances"),
        (Use(CONTAINER_INSTANCES, "placement_insufficient_resources", on_ec2),),
    ),
    _live(
        "efs_volume",
        "EFS volume unreachable from the task",
        "error",
        "An EFS volume needs an available file system with a mount target in each of the task's zones whose "
        "security groups admit NFS (2049) from the task, and an access point of that file system.",
        ("volume_mount",),
        (Use(EFS_VOLUME, "volume_mount", has_efs),),
    ),
    _live(
        "foreground_command",
        "Command puts the main process in the background",
        "error",
        "A service's essential container must keep its main process in the foreground: with `&`, nohup or a "
        "daemon flag the shell exits 0 and the task stops.",
        ("clean_exit",),
        (Use(TASK_DEFINITION, "clean_exit", has_command),),
    ),
    _live(
        "health_check_window",
        "Container health check gives up before the app starts",
        "error",
        "The healthCheck's startPeriod plus retries × interval must cover the app's start time (from its "
        "log), or ECS replaces every task as unhealthy.",
        ("container_health_check",),
        (Use(TASK_DEFINITION, "container_health_check", has_health_check),),
    ),
)
