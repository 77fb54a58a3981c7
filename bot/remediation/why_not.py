"""Why a change cannot be planned, as data: one model per reason, its `code` and the names it is about.

bot/ raises `PlanError(reason)` with one of these and writes no sentence; `bot/why_not_says.py` words
each code once, for Slack (escaped by handlers/refusals.py) and the terminal's `ecs-why audit`. The
audit log keeps the code and its fields (`why_not` of a `failed` record, `record`), read back by `read`.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError


class _Reason(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class ServiceGone(_Reason):
    code: Literal["service_gone"] = "service_gone"
    cluster: str
    service: str


class ClusterNotFound(_Reason):
    """ECS of the account and region the change's credentials reach has no such cluster: the button was
    offered for a service elsewhere (a pasted task of another account, a cluster of another region)."""

    code: Literal["cluster_not_found"] = "cluster_not_found"
    cluster: str
    region: str = ""  # where it was looked for
    account_alias: str = ""  # the --account whose credentials were used ("": the bot's own)
    account: str = ""  # the account the diagnosis named (a pasted ARN's), when known


class NoServiceArn(_Reason):
    """ECS answered without the service's ARN: the change's credentials could not be scoped to it."""

    code: Literal["no_service_arn"] = "no_service_arn"
    service: str


class ExecAlreadyOn(_Reason):
    code: Literal["exec_already_on"] = "exec_already_on"
    service: str


class CircuitBreakerAlreadyOn(_Reason):
    code: Literal["circuit_breaker_already_on"] = "circuit_breaker_already_on"
    service: str


class NoTaskMemory(_Reason):
    """The task definition sets memory only per container: there is no task size to raise."""

    code: Literal["no_task_memory"] = "no_task_memory"
    service: str
    task_definition: str


class GraceAlreadyLong(_Reason):
    code: Literal["grace_already_long"] = "grace_already_long"
    service: str
    before: int  # seconds, now
    asked: int  # seconds, asked for


class AlreadyRunsTarget(_Reason):
    code: Literal["already_runs_target"] = "already_runs_target"
    service: str
    current: str  # family:revision


class NoSteadyRevision(_Reason):
    code: Literal["no_steady_revision"] = "no_steady_revision"
    service: str


class TargetNotActive(_Reason):
    code: Literal["target_not_active"] = "target_not_active"
    target: str  # family:revision
    status: str  # ECS's status of it: INACTIVE, DELETE_IN_PROGRESS


class TargetGone(_Reason):
    code: Literal["target_gone"] = "target_gone"
    target: str


class OtherFamily(_Reason):
    code: Literal["other_family"] = "other_family"
    service: str
    target: str
    family: str  # the family the service runs


class PlanUnscoped(_Reason):
    """A planner's plan names no service ARN (a planner's bug): no credentials are made for it."""

    code: Literal["plan_unscoped"] = "plan_unscoped"
    kind: str


class NoServiceNamed(_Reason):
    code: Literal["no_service_named"] = "no_service_named"
    kind: str


class CodeOnly(_Reason):
    """ECS_WHY_MANAGED_SERVICES=code-only, and infrastructure code manages the service."""

    code: Literal["code_only"] = "code_only"
    service: str
    owner: str  # the tool's label: Terraform, AWS CDK, CloudFormation
    name: str = ""  # its stack, workspace or project, when the evidence says


class NoCredentials(_Reason):
    code: Literal["no_credentials"] = "no_credentials"
    problem: str  # what the session could not be made from (bot.aws_session.SessionError)


class NoPlanner(_Reason):
    code: Literal["no_planner"] = "no_planner"
    kind: str


class ChangedSinceApproval(_Reason):
    """Planned again at approval, the change would not end where the approver saw it end."""

    code: Literal["changed_since_approval"] = "changed_since_approval"
    service: str
    now: tuple[tuple[str, str], ...]  # (what, after) of the change planned now


WhyNot = Annotated[
    ServiceGone
    | ClusterNotFound
    | NoServiceArn
    | ExecAlreadyOn
    | CircuitBreakerAlreadyOn
    | NoTaskMemory
    | GraceAlreadyLong
    | AlreadyRunsTarget
    | NoSteadyRevision
    | TargetNotActive
    | TargetGone
    | OtherFamily
    | PlanUnscoped
    | NoServiceNamed
    | CodeOnly
    | NoCredentials
    | NoPlanner
    | ChangedSinceApproval,
    Field(discriminator="code"),
]
_ADAPTER: TypeAdapter[WhyNot] = TypeAdapter(WhyNot)


def record(reason: WhyNot) -> dict[str, Any]:
    """The reason as the audit log keeps it: `{"code": …, and its fields}`."""
    return reason.model_dump(mode="json")


def read(recorded: Any) -> WhyNot | None:
    """A recorded reason back as its model; None for one this version does not know (a newer code)."""
    try:
        return _ADAPTER.validate_python(recorded)
    except ValidationError:
        return None
