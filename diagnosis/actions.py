"""The fix buttons, one typed definition per kind (Robusta's `CallbackChoice` shape): its parameters model,
its label, its risk and when it applies. The diagnosis offers a button by building its parameters from what
it read (`applies`); the bot plans and applies the same model (bot/remediation/kinds/ holds each kind's
planner, keyed by the kinds listed here).

Adding a button: a params dataclass (or `ServiceParams`), a class below with its `kind`, `params`, `RISK`,
`title` and `applies`, its entry in `Action` and `KINDS`, then its planner module in bot/remediation/kinds/
(tests/bot/remediation/test_kinds.py checks that `KINDS`, `ActionKind` and the planners list the same kinds).
Which causes offer it: their `actions` in diagnosis/knowledge/ (or `FOR_EVERY_FAILURE`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import field, fields
from typing import Any, ClassVar, Generic, Literal, TypeVar, get_args

from diagnosis.checks import GRACE_IS_NOT_IT, NO_ROLLBACK
from diagnosis.output import Out, bounds, output_type
from diagnosis.redact import RedactedText

Risk = Literal["low", "medium", "high"]
OMITTED_WHEN_UNSET = "x-omitted-when-unset"  # a field the JSON leaves out when unset (bot/output_schema.py)
DISCRIMINATED: dict[str, Any] = {"discriminator": "kind"}  # the metadata of a field holding an `Action`
_NAME = bounds(min_length=1, max_length=255)  # an ECS cluster's or service's name


@output_type
class ServiceParams(Out):
    """The service a change is made on: every button changes one service."""

    cluster: str = field(metadata=_NAME)
    service: str = field(metadata=_NAME)

    def service_fields(self) -> dict[str, str]:
        """The service's fields, to build a kind's own parameters on."""
        return {"cluster": self.cluster, "service": self.service}


def service_of(cluster: str | None, service: str | None) -> ServiceParams | None:
    """The service a button would change, or None (no button) when the input names none ECS could have:
    empty, or longer than ECS allows."""
    try:
        return ServiceParams(cluster=cluster or "", service=service or "")
    except ValueError:  # OutOfBounds
        return None


@output_type
class GraceParams(ServiceParams):
    seconds: int = field(metadata=bounds(ge=0, le=2_147_483_647))


@output_type
class MemoryParams(ServiceParams):
    task_definition: str = field(metadata=bounds(min_length=1))


def _unset(value: object) -> bool:
    return value is None


@output_type
class RollbackParams(ServiceParams):
    from_task_definition: str = ""  # the failing revision the diagnosis saw
    # The revision the correlation named; absent when offered without one (the planner asks it at click).
    to_task_definition: str | None = field(
        default=None, metadata={"exclude_if": _unset, "json_schema_extra": {OMITTED_WHEN_UNSET: True}}
    )


P = TypeVar("P", bound=ServiceParams)


@output_type
class _Action(Out, Generic[P]):
    """A change the bot can apply itself after a confirmation: the JSON is {kind, params, risk, label}.
    Each kind declares its `kind` Literal and its `params` type again (pydantic reads a stdlib dataclass's
    own annotations, not the type its generic base was given)."""

    kind: str  # each kind's Literal, the discriminator of `Action`
    params: P
    risk: Risk = "low"
    label: RedactedText = ""

    RISK: ClassVar[Risk] = "low"
    FOR_EVERY_FAILURE: ClassVar[bool] = False  # offered for any failure, not listed per cause

    @classmethod
    def title(cls, params: P) -> str:
        raise NotImplementedError

    @classmethod
    def applies(cls, where: ServiceParams, names: Mapping[str, str]) -> Action | None:
        """The button for the service `where`, from the names the diagnosis read (diagnosis/names.py), or
        None when they do not allow it (no revision to roll back to, the breaker already on, …)."""
        raise NotImplementedError

    @classmethod
    def offer(cls, params: P, label: str = "") -> Action:
        """The button for these parameters, with the kind's risk and label (`label`: what the offer knows
        better, e.g. the revision a pasted input named as the one before)."""
        return cls(params=params, risk=cls.RISK, label=label or cls.title(params))  # type: ignore[call-arg,return-value]  # kind: each class's default


@output_type
class RaiseGracePeriod(_Action[GraceParams]):
    kind: Literal["raise_grace_period"] = "raise_grace_period"
    params: GraceParams

    @classmethod
    def title(cls, params: GraceParams) -> str:
        return f"Raise the health check grace period to {params.seconds} s"

    @classmethod
    def applies(cls, where: ServiceParams, names: Mapping[str, str]) -> Action | None:
        if names.get(GRACE_IS_NOT_IT):
            return None
        seconds = int(names.get("grace_period", "120"))
        return cls.offer(GraceParams(**where.service_fields(), seconds=seconds))


@output_type
class ForceNewDeployment(_Action[ServiceParams]):
    kind: Literal["force_new_deployment"] = "force_new_deployment"
    params: ServiceParams

    @classmethod
    def title(cls, params: ServiceParams) -> str:
        return "Force a new deployment"

    @classmethod
    def applies(cls, where: ServiceParams, names: Mapping[str, str]) -> Action | None:
        return cls.offer(where)


@output_type
class IncreaseMemory(_Action[MemoryParams]):
    kind: Literal["increase_memory"] = "increase_memory"
    params: MemoryParams
    RISK: ClassVar[Risk] = "medium"  # a new revision, and a deployment replacing every task

    @classmethod
    def title(cls, params: MemoryParams) -> str:
        return "Give the task more memory"

    @classmethod
    def applies(cls, where: ServiceParams, names: Mapping[str, str]) -> Action | None:
        if not names.get("task_def"):
            return None
        return cls.offer(MemoryParams(**where.service_fields(), task_definition=names["task_def"]))


@output_type
class Rollback(_Action[RollbackParams]):
    kind: Literal["rollback"] = "rollback"
    params: RollbackParams
    RISK: ClassVar[Risk] = "medium"

    @classmethod
    def title(cls, params: RollbackParams) -> str:
        return f"Roll back to {params.to_task_definition or _before(params.from_task_definition)}"

    @classmethod
    def applies(cls, where: ServiceParams, names: Mapping[str, str]) -> Action | None:
        back_to = earlier_revision(names)
        if not names.get("task_def") or not back_to:
            return None
        params = RollbackParams(
            **where.service_fields(),
            from_task_definition=names.get("failing_task_def", names["task_def"]),
            to_task_definition=names.get("rollback_to"),
        )
        return cls.offer(params, label=f"Roll back to {back_to}")


@output_type
class EnableCircuitBreaker(_Action[ServiceParams]):
    kind: Literal["enable_circuit_breaker"] = "enable_circuit_breaker"
    params: ServiceParams

    @classmethod
    def title(cls, params: ServiceParams) -> str:
        return "Turn on the deployment circuit breaker with rollback"

    FOR_EVERY_FAILURE: ClassVar[bool] = True  # any failing rollout is worth stopping early

    @classmethod
    def applies(cls, where: ServiceParams, names: Mapping[str, str]) -> Action | None:
        return cls.offer(where) if names.get("circuit_breaker") == "off" else None


@output_type
class EnableExecuteCommand(_Action[ServiceParams]):
    kind: Literal["enable_execute_command"] = "enable_execute_command"
    params: ServiceParams
    RISK: ClassVar[Risk] = "medium"  # the new deployment replaces every running task

    @classmethod
    def title(cls, params: ServiceParams) -> str:
        return "Enable ECS Exec"

    @classmethod
    def applies(cls, where: ServiceParams, names: Mapping[str, str]) -> Action | None:
        return cls.offer(where)


# A field holding one is declared with `DISCRIMINATED` metadata (pydantic picks the kind by `kind`).
Action = (
    RaiseGracePeriod
    | ForceNewDeployment
    | IncreaseMemory
    | Rollback
    | EnableCircuitBreaker
    | EnableExecuteCommand
)
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
    str(next(f.default for f in fields(cls) if f.name == "kind")): cls for cls in get_args(Action)
}


def parse(action: object) -> Action:
    """A stored action (a button's pending action) back as its typed model; pydantic.ValidationError if not."""
    from diagnosis.contract import ACTION  # pydantic: only where JSON is read

    return ACTION.validate_python(action)


def earlier_revision(names: Mapping[str, str]) -> str:
    """The revision a rollback would go back to. When the live revision correlation ran
    (diagnosis/checks/revisions.py), the one it named, or "" when it found none (the family's first revision,
    a deregistered one, a service the circuit breaker already rolled back). Without it (a pasted message),
    the revision before the failing one, which the planner checks against the same correlation at click time;
    "" on a family's first revision."""
    named = names.get("rollback_to")
    if named is not None:
        return "" if named == NO_ROLLBACK else named
    current = names.get("task_def", "")
    previous = names.get("previous_task_def", "")
    if previous and previous != current:
        return previous
    family, _, number = current.rpartition(":")
    if family and number.isascii() and number.isdigit() and len(number) < 10 and int(number) > 1:
        return f"{family}:{int(number) - 1}"
    return ""


def _before(revision: str) -> str:
    """`family:N-1` of `family:N` (short name or ARN's tail); the revision itself when it has none before."""
    family, _, number = revision.rsplit("/", 1)[-1].rpartition(":")
    if family and number.isascii() and number.isdigit() and int(number) > 1:
        return f"{family}:{int(number) - 1}"
    return revision
