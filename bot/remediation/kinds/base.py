"""What every planner shares: the `Plan` a confirmed click carries out, the error that refuses one, the
`Planner` entry a kind registers (its plan, what it reads, the change as infrastructure code) and the reads
all of them start with."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from bot.remediation.iac import Ownership
from bot.remediation.why_not import NoServiceArn, ServiceGone, WhyNot
from diagnosis.actions import ServiceParams

Client = Any  # a boto3 ECS client
P = TypeVar("P", bound=ServiceParams)


@dataclass(frozen=True)
class Plan:
    """What one confirmed click will do, shown in the modal and recorded in the audit log."""

    kind: str
    title: str
    changes: list[tuple[str, str, str]]  # (what, before, after)
    cli: str  # the equivalent AWS CLI command
    operation: str  # boto3 ECS method
    params: dict[str, Any] = field(default_factory=dict)
    prepare: Callable[[Client], dict[str, Any]] | None = None  # e.g. register a task definition first
    resource: str = ""  # the ARN of the service changed: the one resource its credentials may write
    registers: bool = False  # prepare registers a task definition revision
    passes: tuple[str, ...] = ()  # the roles that revision keeps (iam:PassRole to ECS tasks)
    ownership: Ownership = field(
        default_factory=Ownership
    )  # the infrastructure code that manages the service, if any


class PlanError(Exception):
    """The change cannot be planned (the service is gone, nothing to roll back to, …): `reason` says why as
    a code and its fields (bot/remediation/why_not.py), never a sentence; bot/why_not_says.py words it."""

    def __init__(self, reason: WhyNot) -> None:
        super().__init__(reason)
        self.reason = reason

    def __str__(self) -> str:
        return self.reason.code


@dataclass(frozen=True)
class CodeProp:
    """One setting a fix makes, in each language the code may be written in (bot/remediation/as_code.py
    renders it); multi-line values are indented by the renderer."""

    resource: str  # service | task
    cloudformation: str
    terraform: str
    cdk: str


def no_code(plan: Plan) -> list[CodeProp]:
    """A fix that sets nothing the code holds (a new deployment of the same revision)."""
    return []


@dataclass(frozen=True)
class Planner(Generic[P]):
    """A kind's planner: `plan` takes the kind's own params model (diagnosis/actions.py); `reads` is what it
    reads besides ecs:DescribeServices of its service (the scope of its read session, bot/remediation/scope.py);
    `code` is the setting the team must commit when code manages the service."""

    plan: Callable[[Client, P], Plan]
    reads: tuple[str, ...] = ()
    code: Callable[[Plan], list[CodeProp]] = no_code  # what the fix sets, as infrastructure code


def describe_service(ecs: Client, p: ServiceParams) -> dict[str, Any]:
    services = ecs.describe_services(cluster=p.cluster, services=[p.service]).get("services", [])
    if not services or services[0].get("status") == "INACTIVE":
        raise PlanError(ServiceGone(cluster=p.cluster, service=p.service))
    return dict(services[0])


def service_arn(service: dict[str, Any], p: ServiceParams) -> str:
    arn = str(service.get("serviceArn") or "")
    if not arn.startswith("arn:"):
        raise PlanError(NoServiceArn(service=p.service))
    return arn
