"""The domain's data: what was observed (facts) and what it means (findings).

Facts are plain frozen dataclasses, built once per input and read by many rules, so they stay cheap.
The output types are the public JSON contract of `explain` and `diagnose`: frozen dataclasses too
(diagnosis/output.py), which redact their texts when built; diagnosis/contract.py writes and reads their JSON.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from operator import attrgetter
from typing import Any, Literal, TypeVar

from diagnosis.actions import DISCRIMINATED
from diagnosis.actions import Action as Action
from diagnosis.actions import ActionKind as ActionKind
from diagnosis.output import Out, about, bounds, hidden, output_type
from diagnosis.redact import RedactedText as RedactedText

# ---------------------------------------------------------------------------------------------------
# Facts: what ECS said (parsed from describe-tasks, describe-services or an EventBridge event)
# ---------------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ContainerFacts:
    name: str
    exit_code: int | None = None
    reason: str = ""
    last_status: str = ""
    image: str = ""
    essential: bool | None = None  # None: unknown (describe-tasks does not say; the task definition does)


@dataclass(frozen=True, slots=True)
class TaskFacts:
    """One stopped (or stopping) task, as describe-tasks or a Task State Change event shows it."""

    task_arn: str = ""
    cluster: str = ""
    service: str = ""  # from group "service:NAME"; empty for standalone tasks
    group: str = ""
    task_definition_arn: str = ""
    launch_type: str = ""
    capacity_provider: str = ""
    last_status: str = ""
    desired_status: str = ""
    stop_code: str = ""
    stopped_reason: str = ""
    containers: tuple[ContainerFacts, ...] = ()
    created_at: str = ""
    started_at: str = ""
    stopping_at: str = ""
    stopped_at: str = ""
    cpu: str = ""
    memory: str = ""
    region: str = ""
    account: str = ""
    subnet_ids: tuple[str, ...] = ()
    platform_version: str = ""

    @property
    def task_id(self) -> str:
        return self.task_arn.rsplit("/", 1)[-1] if self.task_arn else ""

    @property
    def family_revision(self) -> str:
        """`family:revision` from the task definition ARN (what the CLI accepts)."""
        return self.task_definition_arn.rsplit("/", 1)[-1] if self.task_definition_arn else ""


# A task's own ARN and times: the tasks that stopped the same way share everything else, and nothing that
# classifies a task reads them. Its shape (the other fields) keys every cache of a stop's reading: explain's
# (diagnosis/classify.py, diagnosis/recurring.py) and the event worker's (bot/events/triage.py).
TASK_OWN_FIELDS = ("task_arn", "created_at", "started_at", "stopping_at", "stopped_at")
TASK_SHAPE_FIELDS = tuple(f for f in TaskFacts.__slots__ if f not in TASK_OWN_FIELDS)
task_shape = attrgetter(*TASK_SHAPE_FIELDS)  # a tuple, built in C


_Facts = TypeVar("_Facts")


def _draft_type(cls: type) -> Any:
    """A plain class with the slots of the frozen dataclass `cls`: its objects are set by plain assignment
    and then made `cls`es (`finished`)."""
    slots = getattr(cls, "__slots__")  # noqa: B009 - a facts type has slots
    return type(f"{cls.__name__}Draft", cls.__bases__, {"__slots__": slots, "__module__": cls.__module__})


# A frozen dataclass's __init__ sets each field through object.__setattr__, ~1,100 instructions a field: a
# task's facts cost ~35,000, more than reading the task. So the parser fills a draft (a plain class with the
# same slots) by assignment and then makes it the frozen type (`finished`): the same object its __init__
# builds, as equal, hashable and frozen. tests/diagnosis/test_parse.py holds each to that one.
TaskDraft = _draft_type(TaskFacts)
ContainerDraft = _draft_type(ContainerFacts)


def finished(draft: Any, cls: type[_Facts]) -> _Facts:
    """The draft, every slot of `cls` set, as a `cls` (a draft has `cls`'s layout, so it can be one)."""
    draft.__class__ = cls
    done: _Facts = draft
    return done


def without_own_fields(task: TaskFacts) -> TaskFacts:
    """The task with only its shape: equal for every task that stopped the same way."""
    return TaskFacts(**dict(zip(TASK_SHAPE_FIELDS, task_shape(task), strict=True)))


@dataclass(frozen=True, slots=True)
class ServiceEvent:
    message: str
    created_at: str = ""
    id: str = ""


@dataclass(frozen=True, slots=True)
class DeploymentFacts:
    id: str = ""
    status: str = ""  # PRIMARY | ACTIVE | INACTIVE
    task_definition_arn: str = ""
    rollout_state: str = ""  # IN_PROGRESS | COMPLETED | FAILED
    rollout_state_reason: str = ""
    desired: int = 0
    running: int = 0
    failed_tasks: int = 0
    created_at: str = ""
    updated_at: str = ""


@dataclass(frozen=True, slots=True)
class ServiceFacts:
    name: str = ""
    arn: str = ""
    cluster: str = ""
    status: str = ""
    desired: int | None = None  # None: the input did not say (an event line), never "0 desired"
    running: int | None = None
    pending: int = 0
    launch_type: str = ""
    task_definition_arn: str = ""
    events: tuple[ServiceEvent, ...] = ()
    deployments: tuple[DeploymentFacts, ...] = ()
    health_check_grace_period: int | None = None
    target_group_arns: tuple[str, ...] = ()
    circuit_breaker_enabled: bool | None = None
    circuit_breaker_rollback: bool | None = None
    region: str = ""
    account: str = ""


@dataclass(frozen=True, slots=True)
class ActionEvent:
    """An EventBridge "ECS Service Action" or "ECS Deployment State Change" event, reduced to its signal."""

    kind: Literal["service_action", "deployment"]
    event_name: str
    event_type: str = ""  # INFO | WARN | ERROR
    reason: str = ""
    service: str = ""
    cluster: str = ""
    deployment_id: str = ""
    time: str = ""
    region: str = ""
    account: str = ""


@dataclass(frozen=True, slots=True)
class Observations:
    """Everything one input (or one live collection) showed, in the shape the rules read."""

    kind: str  # which input shape it was, said back to the user
    tasks: tuple[TaskFacts, ...] = ()
    services: tuple[ServiceFacts, ...] = ()
    actions: tuple[ActionEvent, ...] = ()


# ---------------------------------------------------------------------------------------------------
# Output: the JSON contract (see docs/output.md)
# ---------------------------------------------------------------------------------------------------


@output_type
class Target(Out):
    account: str | None = None
    region: str | None = None
    cluster: str | None = None
    service: str | None = None
    task: str | None = None

    def label(self) -> str:
        """A short human name: `cluster/service`, a task id, or what is known."""
        if self.service:
            return f"{self.cluster}/{self.service}" if self.cluster else self.service
        if self.task:
            return f"task {self.task}" + (f" in {self.cluster}" if self.cluster else "")
        return self.cluster or "the input"


EvidenceKind = Literal["fact", "log"]


@output_type
class EvidenceItem(Out):
    source: RedactedText = field(
        metadata=about("The API or document the fact came from, e.g. ecs:DescribeTasks")
    )
    fact: RedactedText = field(
        metadata=about("What was observed, redacted (for a log line: the line itself)")
    )
    task: str | None = None
    kind: EvidenceKind = field(
        default="fact", metadata=about("fact: what AWS or the input showed; log: a line the container wrote")
    )


@output_type
class Remediation(Out):
    step: RedactedText
    command: RedactedText | None = None
    action: Action | None = field(default=None, metadata=DISCRIMINATED)


@output_type
class Check(Out):
    """A live check that would confirm or refute a finding (run by `diagnose`)."""

    name: str
    description: str
    iam_action: str | None = None
    outcome: Literal["not_run", "confirms", "refutes", "inconclusive"] = "not_run"
    detail: RedactedText | None = None


@output_type
class Prevention(Out):
    """The `ecs-why check` rule that would have caught this cause before the deploy (docs/check.md)."""

    rule: str
    live: bool = field(metadata=about("The rule needs the account (ecs-why check SERVICE)"))
    fact: RedactedText | None = field(default=None, metadata=about("What the check would have failed on"))


@output_type
class Finding(Out):
    category: str
    family: str
    failure: bool
    confidence: float = field(metadata=bounds(ge=0.0, le=1.0))
    title: RedactedText
    summary: RedactedText
    why: str = ""
    tasks: list[str] = field(default_factory=list)
    task_count: int = 0
    evidence: list[EvidenceItem] = field(default_factory=list)
    remediations: list[Remediation] = field(default_factory=list)
    docs: list[str] = field(default_factory=list)
    checks: list[Check] = field(default_factory=list)
    alternatives: list[str] = field(default_factory=list, metadata=about("Other categories this could be"))
    fingerprint: str = ""
    prevention: Prevention | None = None

    # What every renderer (text, Markdown, Block Kit) reads, so none of them keeps its own convention.
    @property
    def verdict(self) -> Literal["failure", "normal stop"]:
        return "failure" if self.failure else "normal stop"

    @property
    def facts(self) -> list[EvidenceItem]:
        """The evidence that AWS or the input showed (not the container's log)."""
        return [e for e in self.evidence if e.kind == "fact"]

    @property
    def log_lines(self) -> list[EvidenceItem]:
        """The failed container's log lines that were read, in their order."""
        return [e for e in self.evidence if e.kind == "log"]

    @property
    def steps(self) -> list[Remediation]:
        """What a person does by hand (a text and often a CLI command)."""
        return [r for r in self.remediations if r.action is None]

    @property
    def actions(self) -> list[Action]:
        """What the bot can apply for this finding (a fix button), in the order offered."""
        return [r.action for r in self.remediations if r.action is not None]


@output_type
class Gap(Out):
    """Evidence that could not be read, and why (AccessDenied names the missing IAM action)."""

    what: RedactedText
    reason: RedactedText
    iam_action: str | None = None
    # For the process's metrics (AWS errors by action and code), not part of the output: the AWS call that
    # failed, as its IAM action (ecs:DescribeServices), and AWS's error code (or the exception's name).
    call: str | None = field(default=None, metadata=hidden())
    error_code: str | None = field(default=None, metadata=hidden())


@output_type
class Stats(Out):
    input_kind: str = ""
    tasks_seen: int = 0
    tasks_stopped: int = 0
    services_seen: int = 0
    api_calls: int = 0
    rounds: int = 0
    elapsed_ms: float = 0.0


@output_type
class Timeline(Out):
    """When: the newest failure, since when the service has been failing, its tasks now."""

    newest_failure_at: str | None = None
    failing_since: str | None = None
    running: int | None = None
    desired: int | None = None


SCHEMA_VERSION = 1  # of the JSON output (docs/output.md); raised only when a field is renamed or removed


@output_type
class Diagnosis(Out):
    schema_version: int = field(
        default=SCHEMA_VERSION,
        metadata=about("Version of this JSON contract: a change of it breaks readers."),
    )
    target: Target
    summary: RedactedText
    findings: list[Finding] = field(default_factory=list)
    gaps: list[Gap] = field(default_factory=list)
    stats: Stats = field(default_factory=Stats)
    timeline: Timeline = field(default_factory=Timeline)

    @property
    def top(self) -> Finding | None:
        return self.findings[0] if self.findings else None

    @property
    def has_failure(self) -> bool:
        return any(f.failure for f in self.findings)
