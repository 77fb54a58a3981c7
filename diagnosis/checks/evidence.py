"""The live evidence a diagnosis collected (raw API shapes) and what a check concludes from it.

Checks are pure functions of `LiveEvidence`: the collectors fill it, the checks read it, so each check
is tested with plain data. `None` in a field means "could not be read" (a gap says why); an empty
list means "read, and there is none".
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from diagnosis.models import EvidenceItem, Gap
from diagnosis.secret_reference import SecretReference, parse_reference

Outcome = Literal["confirms", "refutes", "inconclusive"]
# `LiveEvidence.secrets` of an SSM parameter in another account: not asked (DescribeParameters lists only
# the caller's own parameters, so an empty answer would prove nothing).
OTHER_ACCOUNT = "OtherAccount"


@dataclass(frozen=True)
class TaskLog:
    """One task's container log as read: group, stream and events (None: it could not be read)."""

    group: str
    stream: str
    events: list[dict[str, Any]] | None


@dataclass
class LiveEvidence:
    region: str = ""
    service: dict[str, Any] | None = None
    tasks: list[dict[str, Any]] = field(default_factory=list)
    task_definitions: dict[str, dict[str, Any]] = field(default_factory=dict)
    # category -> IDs of the stopped tasks that cause explains (from the preliminary diagnosis): each cause's
    # checks read its own newest task, never a scale-in that happened to stop last.
    explained: dict[str, list[str]] = field(default_factory=dict)
    family_revisions: list[str] | None = None  # the family's ACTIVE revisions (None: not listed)
    logs: dict[str, TaskLog] = field(default_factory=dict)  # task ID -> its failed container's log
    # A log given by hand (tests, `check`): used when `logs` holds none for the task asked about.
    log_stream: tuple[str, str] | None = None
    log_events: list[dict[str, Any]] | None = None
    memory: list[dict[str, Any]] | None = None
    target_groups: list[dict[str, Any]] = field(default_factory=list)
    load_balancer_groups: list[str] | None = None  # the load balancers' security groups, when read
    target_health: list[dict[str, Any]] = field(default_factory=list)
    security_groups: list[dict[str, Any]] = field(default_factory=list)
    subnet_ids: list[str] = field(default_factory=list)
    subnets: list[dict[str, Any]] = field(default_factory=list)
    route_tables: list[dict[str, Any]] = field(default_factory=list)
    network_read: bool = False
    endpoints: list[dict[str, Any]] | None = None
    nacls: list[dict[str, Any]] = field(default_factory=list)
    images: dict[str, list[str]] = field(
        default_factory=dict
    )  # repository -> tags the task definitions ask for
    ecr: dict[str, list[str] | str | None] = field(
        default_factory=dict
    )  # repository -> existing tags | error
    # image -> the account whose ECR holds it, when not the task's own (not looked up: its policy is theirs)
    foreign_images: dict[str, str] = field(default_factory=dict)
    # secret ID (`secret_refs`) -> "exists" | error code | OTHER_ACCOUNT
    secrets: dict[str, str | None] = field(default_factory=dict)
    log_groups: list[str] | None = None
    # (role, IAM action, resource ARN) -> allowed | explicitDeny | implicitDeny; what is absent was not simulated
    simulation: dict[tuple[str, str, str], str] = field(default_factory=dict)
    kms_keys: dict[str, dict[str, Any] | str] = field(default_factory=dict)  # key -> metadata | error code
    gaps: list[Gap] = field(default_factory=list)  # what a collector could not even ask (no role to simulate)
    trail: list[dict[str, Any]] | None = None
    # The facts an expert states (diagnosis/collect/facts.py fills them; None: not read, a gap says why).
    # Dicts map an ID to what was read, or to the error code when it could not be (e.g. FileSystemNotFound).
    container_instance_arns: list[str] = field(default_factory=list)
    container_instances: list[dict[str, Any]] | None = None
    capacity_providers: list[dict[str, Any]] | None = None  # the service's EC2 providers, as described
    capacity_groups: list[dict[str, Any]] | None = None  # their Auto Scaling groups, as described
    image_manifests: dict[str, dict[str, Any] | str] = field(default_factory=dict)  # "repo:tag" -> manifest
    file_systems: dict[str, dict[str, Any] | str] = field(default_factory=dict)  # fs-… -> description
    mount_targets: dict[str, list[dict[str, Any]]] = field(default_factory=dict)  # fs-… -> mount targets
    mount_target_groups: dict[str, list[str]] = field(default_factory=dict)  # fsmt-… -> security groups
    access_points: dict[str, dict[str, Any] | str] = field(default_factory=dict)  # fsap-… -> description
    vpc_security_groups: list[dict[str, Any]] | None = None  # the VPC's security groups, with their rules
    secret_details: dict[str, dict[str, Any]] = field(default_factory=dict)  # reference -> its metadata
    # reference -> the call that read its state and metadata (secretsmanager:DescribeSecret); absent: not asked
    secret_sources: dict[str, str] = field(default_factory=dict)
    # ECS Exec (`exec-check`): the cluster as describe-clusters shows it with CONFIGURATIONS (None: not read),
    # and simulated decisions per purpose ("channels", "execution_channels", "kms", "logs", "s3"):
    # action -> allowed | explicitDeny | implicitDeny; a purpose maps to None when its simulation failed.
    cluster: dict[str, Any] | None = None
    exec_simulations: dict[str, dict[str, str] | None] = field(default_factory=dict)

    def task_for(self, category: str = "") -> dict[str, Any] | None:
        """The newest stopped task this cause explains (see `failed_task`)."""
        return failed_task(self.tasks, category, self.explained)

    def log_for(self, category: str = "") -> TaskLog | None:
        """The log of the task this cause explains, as read (None: not read)."""
        task = self.task_for(category)
        read = self.logs.get(task_id(task)) if task is not None else None
        if read is not None:
            return read
        if not self.logs and (self.log_stream is not None or self.log_events is not None):
            group, stream = self.log_stream or ("", "")
            return TaskLog(group, stream, self.log_events)
        return None

    def log_events_for(self, category: str = "") -> list[dict[str, Any]]:
        read = self.log_for(category)
        return (read.events or []) if read is not None else []


@dataclass(frozen=True)
class CheckResult:
    """What one live check concluded about one category."""

    category: str
    name: str
    outcome: Outcome
    detail: str
    evidence: tuple[EvidenceItem, ...] = ()
    names: dict[str, str] = field(default_factory=dict)  # e.g. grace_period, previous_task_def, memory
    recategorize: str | None = None  # the evidence shows another category is the cause


def task_id(task: Mapping[str, Any]) -> str:
    return str(task.get("taskArn", "")).rsplit("/", 1)[-1]


def failed_task(
    tasks: list[dict[str, Any]], category: str = "", explained: Mapping[str, Sequence[str]] | None = None
) -> dict[str, Any] | None:
    """The task whose log and details to read for a cause: the newest stopped task that this cause explains.
    When the preliminary diagnosis named the cause's tasks (`explained`), only those count, and a cause that
    explains none (it was seen in service events only) has no task; without that map, the newest stopped."""
    stopped = [t for t in tasks if t.get("lastStatus") == "STOPPED" or t.get("stoppedReason")]
    if explained is not None and category in explained:
        ids = set(explained[category])
        stopped = [t for t in stopped if task_id(t) in ids]
    if not stopped:
        return None
    return max(stopped, key=lambda t: str(t.get("stoppedAt") or t.get("createdAt") or ""))


STOPPED_BY_ECS = 143  # SIGTERM: what the containers ECS stops exit with


def essential_container(
    task: dict[str, Any], definitions: dict[str, dict[str, Any]]
) -> dict[str, Any] | None:
    """The container definition of the container that failed (essential first, then one that exited or has a
    reason, then not ECS's SIGTERM: when one essential container exits, even with 0, ECS stops the others,
    which exit 143; then a non-zero exit)."""
    definition = definitions.get(task.get("taskDefinitionArn", ""), {})
    by_name = {c.get("name"): c for c in definition.get("containerDefinitions", [])}
    ranked = sorted(
        task.get("containers", []),
        key=lambda c: (
            by_name.get(c.get("name"), {}).get("essential", True) is False,
            c.get("exitCode") is None and not c.get("reason"),
            c.get("exitCode") == STOPPED_BY_ECS and not c.get("reason"),
            c.get("exitCode") in (None, 0),
            not c.get("reason"),
        ),
    )
    for container in ranked:
        found: dict[str, Any] | None = by_name.get(container.get("name"))
        if found is not None:
            return found
    return next(iter(by_name.values()), None)


def log_stream(task: dict[str, Any], definitions: dict[str, dict[str, Any]]) -> tuple[str, str, str] | None:
    """(log group, stream, region) of the failed container, from its awslogs options."""
    container = essential_container(task, definitions)
    if not container:
        return None
    config = container.get("logConfiguration") or {}
    options = config.get("options") or {}
    if config.get("logDriver") != "awslogs" or not options.get("awslogs-group"):
        return None
    task_id = str(task.get("taskArn", "")).rsplit("/", 1)[-1]
    prefix = options.get("awslogs-stream-prefix")
    stream = f"{prefix}/{container.get('name')}/{task_id}" if prefix else task_id
    return options["awslogs-group"], stream, options.get("awslogs-region", "")


def secret_refs(definitions: dict[str, dict[str, Any]]) -> list[str]:
    """The secrets and parameters the task definitions reference, each once by the ID its store knows it by
    (a Secrets Manager ARN without `:json-key:version-stage:version-id`): in `secrets`, in the log
    configuration's `secretOptions` and as `repositoryCredentials`."""
    return list(dict.fromkeys(ref.secret_id for ref in references_of(definitions)))


def references_of(definitions: dict[str, dict[str, Any]]) -> list[SecretReference]:
    """Every reference of `secret_refs` as written, with the JSON key or version it asks for."""
    refs: dict[str, SecretReference] = {}
    for definition in definitions.values():
        for container in definition.get("containerDefinitions", []):
            options = container.get("logConfiguration") or {}
            credentials = (container.get("repositoryCredentials") or {}).get("credentialsParameter")
            references = [*container.get("secrets", []), *(options.get("secretOptions") or [])]
            for ref in [*(str(r.get("valueFrom", "")) for r in references), str(credentials or "")]:
                if ref and ref not in refs:
                    refs[ref] = parse_reference(ref)
    return list(refs.values())
