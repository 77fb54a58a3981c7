"""What prevention reads (a `Subject`: one task definition with what the input says around it) and what it
reports (`Violation` from a rule, `RuleResult` in the JSON contract of `ecs-why check`).

Subjects hold raw API shapes, so the rules and the live checks of the diagnosis engine read the same
documents: task definitions as `register-task-definition` takes them, services as `describe-services`
returns them, target groups as `describe-target-groups` returns them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from diagnosis.checks.evidence import LiveEvidence
from diagnosis.contract import Action
from diagnosis.models import Gap, Target
from diagnosis.secret_reference import partition_of

Severity = Literal["error", "warning"]


@dataclass(frozen=True)
class Subject:
    """One task definition (and, where the input holds them, its service, target groups, declared log
    groups and role permissions), with where it was found."""

    name: str  # family, CloudFormation logical ID or Terraform address
    task_definition: dict[str, Any]
    file: str = ""
    line: int = 0  # 1-based line of the task definition in the file, 0 when unknown
    kind: str = "task definition"  # or: CloudFormation, Terraform, live
    service: dict[str, Any] | None = None
    target_groups: tuple[dict[str, Any], ...] = ()
    declared_log_groups: frozenset[str] | None = None  # None: the input cannot declare any (a bare file)
    role_actions: dict[str, frozenset[str]] | None = None  # "task"/"execution" -> IAM actions granted
    subnets: tuple[dict[str, Any], ...] = ()  # describe-subnets of the service's subnets, when read live
    evidence: LiveEvidence | None = field(default=None, repr=False, compare=False)  # live: what was read
    region: str = ""
    account: str = ""
    cfn_resource: str = ""  # the logical ID of the task definition, when from CloudFormation
    tf_address: str = ""  # the resource address, when from Terraform
    service_resource: str = ""  # its service's logical ID or address
    lines: tuple[str, ...] = field(default=(), repr=False, compare=False)  # the file's text, for locations

    @property
    def containers(self) -> list[dict[str, Any]]:
        found = self.task_definition.get("containerDefinitions")
        return [c for c in found if isinstance(c, dict)] if isinstance(found, list) else []

    @property
    def partition(self) -> str:
        """The partition the task's ARNs are in (aws, aws-cn, aws-us-gov, …): as its task definition's ARN
        says, else its region, else its roles' ARNs; "" when none is known."""
        own = _partition_in(self.task_definition.get("taskDefinitionArn"))
        if own or self.region:
            return own or partition_of(self.region)
        roles = (_partition_in(self.task_definition.get(key)) for key in ("executionRoleArn", "taskRoleArn"))
        return next((partition for partition in roles if partition), "")

    @property
    def fargate(self) -> bool:
        compat = self.task_definition.get("requiresCompatibilities") or []
        launch = (self.service or {}).get("launchType")
        return launch == "FARGATE" or (isinstance(compat, list) and "FARGATE" in compat)


def _partition_in(arn: object) -> str:
    """The partition an ARN names ("" for what is not an ARN)."""
    parts = arn.split(":") if isinstance(arn, str) and arn.startswith("arn:") else []
    return parts[1] if len(parts) > 5 else ""


@dataclass(frozen=True)
class Fix:
    """The same change three ways: an AWS CLI command, a CloudFormation and a Terraform attribute."""

    cli: str | None = None
    cloudformation: str | None = None
    terraform: str | None = None


@dataclass(frozen=True)
class Violation:
    """What a rule found in one subject: the fact that triggered it and how to fix it."""

    fact: str
    fix: Fix = Fix()
    container: str = ""  # the container it is about (locates the line)
    resource: str = ""  # or the template resource it is about (a service's logical ID or address)
    severity: Severity | None = None  # overrides the rule's default (e.g. a certain vs a likely stop)
    action: Action | None = None  # a change the bot can apply itself (a Slack button), where one exists


class _Out(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class FixOut(_Out):
    cli: str | None = None
    cloudformation: str | None = None
    terraform: str | None = None


class RuleResult(_Out):
    rule: str = Field(description="The rule's ID (what --ignore takes)")
    severity: Severity = Field(description="error: this will stop tasks; warning: makes a stop likely")
    title: str
    fact: str = Field(description="What triggered it, redacted")
    subject: str = Field(description="The task definition family, logical ID, address or service")
    file: str | None = None
    line: int | None = None
    fix: FixOut = Field(default_factory=FixOut)
    action: Action | None = Field(
        default=None, description="A fix the Slack bot can apply after confirmation"
    )
    docs: list[str] = Field(default_factory=list)
    prevents: list[str] = Field(
        default_factory=list, description="The stop causes (taxonomy IDs) it prevents"
    )


class CheckStats(_Out):
    subjects: int = 0
    rules_run: int = 0
    api_calls: int = 0
    rounds: int = 0
    elapsed_ms: float = 0.0


class CheckReport(_Out):
    target: Target | None = Field(default=None, description="The service checked live (none for files)")
    subjects: list[str] = Field(default_factory=list)
    results: list[RuleResult] = Field(default_factory=list)
    ignored: int = Field(default=0, description="Results left out by --ignore or the config file")
    gaps: list[Gap] = Field(default_factory=list, description="Live checks that could not run, and why")
    stats: CheckStats = Field(default_factory=CheckStats)

    @property
    def errors(self) -> list[RuleResult]:
        return [r for r in self.results if r.severity == "error"]

    @property
    def warnings(self) -> list[RuleResult]:
        return [r for r in self.results if r.severity == "warning"]
