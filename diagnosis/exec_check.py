"""`ecs-why exec-check SERVICE`: is the service ready for ECS Exec, and the `aws ecs execute-command` line.

Rounds 1–2 are a diagnosis's (the service, its tasks, their task definitions); rounds 3–4 are planned from
the needs of the readiness checks (`EXEC`) for the running tasks: the cluster's ECS Exec
configuration, the subnets, routes, endpoints and security groups, the container instances on EC2, and the
task role's simulated permissions. AWS failures become gaps and "could not check"; only an unusable target
raises (`TargetError`).
"""

from __future__ import annotations

from collections.abc import MutableMapping, Sequence
from dataclasses import field
from typing import Any, Literal

import boto3

from diagnosis.actions import DISCRIMINATED, Action, EnableExecuteCommand, service_of
from diagnosis.checks import exec as readiness
from diagnosis.checks import exec_iam
from diagnosis.checks.evidence import LiveEvidence
from diagnosis.checks.exec import ExecCheck, ExecFacts, Outcome, exec_command
from diagnosis.collect.cause_evidence import gather
from diagnosis.collect.plan import Plan
from diagnosis.collect.reading import Reading, reading
from diagnosis.collect.service_tasks import Core
from diagnosis.models import Gap, RedactedText, Target
from diagnosis.output import Out, output_type

Status = Literal["pass", "fail", "unknown"]
CATEGORY = "ecs_exec"  # the collector's plan is keyed by the category that wants a need
# The readiness checks, in the order they are shown (not about a stop cause, so not in diagnosis.checks.ALL).
EXEC: tuple[ExecCheck, ...] = (
    readiness.SERVICE,
    readiness.TASKS,
    exec_iam.TASK_ROLE,
    readiness.NETWORK,
    readiness.PLATFORM,
    readiness.AGENT_STATUS,
    readiness.ROOT_FILESYSTEM,
    exec_iam.KMS,
    exec_iam.LOGGING,
)


@output_type
class ExecResult(Out):
    name: str
    title: str
    status: Status  # unknown: could not check (iam_action names the call that failed, when one did)
    fact: RedactedText
    iam_action: str | None = None
    fix: RedactedText | None = None

    @classmethod
    def of(cls, check: ExecCheck, outcome: Outcome) -> ExecResult:
        return cls(
            name=check.name,
            title=check.title,
            status=outcome.status,
            fact=outcome.fact,
            iam_action=outcome.iam_action,
            fix=outcome.fix,
        )


@output_type
class ExecStats(Out):
    api_calls: int = 0
    rounds: int = 0
    elapsed_ms: float = 0.0


@output_type
class ExecReport(Out):
    target: Target
    results: list[ExecResult]
    command: RedactedText | None = None  # the execute-command line, when a task runs
    action: Action | None = field(default=None, metadata=DISCRIMINATED)  # "Enable ECS Exec", when it is off
    gaps: list[Gap] = field(default_factory=list)
    stats: ExecStats = field(default_factory=ExecStats)

    @property
    def failed(self) -> list[ExecResult]:
        return [r for r in self.results if r.status == "fail"]

    @property
    def unknown(self) -> list[ExecResult]:
        return [r for r in self.results if r.status == "unknown"]

    def summary(self) -> str:
        label = self.target.label()
        if self.failed:
            names = ", ".join(r.name for r in self.failed)
            return f"ECS Exec on {label}: {len(self.failed)} of {len(self.results)} checks fail ({names})"
        if self.unknown:
            return f"ECS Exec on {label}: nothing fails; {len(self.unknown)} could not be checked"
        return f"ECS Exec on {label}: ready"


def exec_check(
    session: boto3.Session,
    target: str,
    cluster: str | None = None,
    region: str | None = None,
    default_clusters: list[str] | None = None,
    cache: MutableMapping[str, dict[str, Any]] | None = None,
    regions: Sequence[str] = (),
) -> ExecReport:
    """With several `regions` and no region in the target or `region`, the service is looked for in each."""
    with reading(
        session, target, cluster, region, regions, default_clusters, service_for="exec-check"
    ) as read:
        return check_with(read, cache)


def check_with(read: Reading, cache: MutableMapping[str, dict[str, Any]] | None = None) -> ExecReport:
    """The four rounds and the checks, for a service whose cluster is known."""
    aws, spec = read.aws, read.spec
    core = read.service(cache)
    service = core.service or {}
    running = [t for t in core.tasks if t.get("lastStatus") == "RUNNING"]
    evidence = LiveEvidence(
        region=aws.region, service=service, tasks=running, task_definitions=dict(core.task_definitions)
    )
    wave = Core(spec=spec, service=service, tasks=running, task_definitions=evidence.task_definitions)
    wanted = {need.name: {CATEGORY} for check in EXEC for need in check.needs}
    gather(aws, Plan(wave, evidence, wanted, [CATEGORY]), cache)
    account = exec_iam.arn_parts(evidence)[1]
    facts = ExecFacts(
        evidence,
        cluster=spec.cluster or "default",
        unread={g.call: g.reason for g in aws.gaps if g.call},
    )
    return ExecReport(
        target=Target(account=account or None, region=aws.region, cluster=spec.cluster, service=spec.service),
        results=[ExecResult.of(check, check.run(facts)) for check in EXEC],
        command=exec_command(facts),
        action=enable_action(facts) if service.get("enableExecuteCommand") is not True else None,
        gaps=read.gaps(),
        stats=ExecStats(**read.stats()),
    )


def enable_action(facts: ExecFacts) -> Action | None:
    """The "Enable ECS Exec" button: update-service with enableExecuteCommand and a new deployment."""
    where = service_of(facts.cluster, facts.name)
    return EnableExecuteCommand.offer(where) if where else None
