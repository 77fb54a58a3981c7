"""The fix buttons, one typed definition per kind (Robusta's `CallbackChoice` shape): its parameters model,
its label and its risk. The diagnosis offers a button by building its parameters (`offer`); the bot plans and
applies the same model (bot/remediation/kinds.py holds each kind's planner, keyed by the kinds listed here).

Adding a button: a params model (or `ServiceParams`), a class below with its `kind`, `RISK` and `title`, its
entry in `Action` and `KINDS`, then its planner in bot/remediation/kinds.py (tests/bot/remediation/test_kinds.py
checks that `KINDS`, `ActionKind` and the planners list the same kinds).
"""

from __future__ import annotations

from typing import Annotated, ClassVar, Generic, Literal, TypeVar, get_args

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError

from diagnosis.redact import RedactedText

Risk = Literal["low", "medium", "high"]
OMITTED_WHEN_UNSET = "x-omitted-when-unset"  # a field the JSON leaves out when unset (bot/output_schema.py)


class ServiceParams(BaseModel):
    """The service a change is made on: every button changes one service."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    cluster: str = Field(min_length=1, max_length=255)
    service: str = Field(min_length=1, max_length=255)


def service_of(cluster: str | None, service: str | None) -> ServiceParams | None:
    """The service a button would change, or None (no button) when the input names none ECS could have:
    empty, or longer than ECS allows."""
    try:
        return ServiceParams(cluster=cluster or "", service=service or "")
    except ValidationError:
        return None


class GraceParams(ServiceParams):
    seconds: int = Field(ge=0, le=2_147_483_647)


class MemoryParams(ServiceParams):
    task_definition: str = Field(min_length=1)


class RollbackParams(ServiceParams):
    from_task_definition: str = ""  # the failing revision the diagnosis saw
    # The revision the correlation named; absent when offered without one (the planner asks it at click).
    to_task_definition: str | None = Field(
        default=None, exclude_if=lambda value: value is None, json_schema_extra={OMITTED_WHEN_UNSET: True}
    )


P = TypeVar("P", bound=ServiceParams)


class _Action(BaseModel, Generic[P]):
    """A change the bot can apply itself after a confirmation: the JSON is {kind, params, risk, label}."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    kind: str  # each kind's Literal, the discriminator of `Action`
    params: P
    risk: Risk = "low"
    label: RedactedText = ""

    RISK: ClassVar[Risk] = "low"

    @classmethod
    def title(cls, params: P) -> str:
        raise NotImplementedError

    @classmethod
    def offer(cls, params: P, label: str = "") -> Action:
        """The button for these parameters, with the kind's risk and label (`label`: what the offer knows
        better, e.g. the revision a pasted input named as the one before)."""
        return cls(params=params, risk=cls.RISK, label=label or cls.title(params))  # type: ignore[call-arg,return-value]  # kind: each class's default


class RaiseGracePeriod(_Action[GraceParams]):
    kind: Literal["raise_grace_period"] = "raise_grace_period"

    @classmethod
    def title(cls, params: GraceParams) -> str:
        return f"Raise the health check grace period to {params.seconds} s"


class ForceNewDeployment(_Action[ServiceParams]):
    kind: Literal["force_new_deployment"] = "force_new_deployment"

    @classmethod
    def title(cls, params: ServiceParams) -> str:
        return "Force a new deployment"


class IncreaseMemory(_Action[MemoryParams]):
    kind: Literal["increase_memory"] = "increase_memory"
    RISK: ClassVar[Risk] = "medium"  # a new revision, and a deployment replacing every task

    @classmethod
    def title(cls, params: MemoryParams) -> str:
        return "Give the task more memory"


class Rollback(_Action[RollbackParams]):
    kind: Literal["rollback"] = "rollback"
    RISK: ClassVar[Risk] = "medium"

    @classmethod
    def title(cls, params: RollbackParams) -> str:
        return f"Roll back to {params.to_task_definition or _before(params.from_task_definition)}"


class EnableCircuitBreaker(_Action[ServiceParams]):
    kind: Literal["enable_circuit_breaker"] = "enable_circuit_breaker"

    @classmethod
    def title(cls, params: ServiceParams) -> str:
        return "Turn on the deployment circuit breaker with rollback"


class EnableExecuteCommand(_Action[ServiceParams]):
    kind: Literal["enable_execute_command"] = "enable_execute_command"
    RISK: ClassVar[Risk] = "medium"  # the new deployment replaces every running task

    @classmethod
    def title(cls, params: ServiceParams) -> str:
        return "Enable ECS Exec"


Action = Annotated[
    RaiseGracePeriod
    | ForceNewDeployment
    | IncreaseMemory
    | Rollback
    | EnableCircuitBreaker
    | EnableExecuteCommand,
    Field(discriminator="kind"),
]
ActionKind = Literal[
    "raise_grace_period",
    "force_new_deployment",
    "increase_memory",
    "rollback",
    "enable_circuit_breaker",
    "enable_execute_command",
]

# The registry: each kind once, with its definition (the planners are keyed by the same kinds).
KINDS: dict[str, type[_Action[ServiceParams]]] = {
    str(cls.model_fields["kind"].default): cls for cls in get_args(get_args(Action)[0])
}

ACTION = TypeAdapter[Action](Action)


def parse(action: object) -> Action:
    """A stored action (a button's pending action) back as its typed model; pydantic.ValidationError if not."""
    return ACTION.validate_python(action)


def _before(revision: str) -> str:
    """`family:N-1` of `family:N` (short name or ARN's tail); the revision itself when it has none before."""
    family, _, number = revision.rsplit("/", 1)[-1].rpartition(":")
    if family and number.isascii() and number.isdigit() and int(number) > 1:
        return f"{family}:{int(number) - 1}"
    return revision
