"""Why a change cannot be planned, as one plain sentence per code (bot/remediation/why_not.py), not escaped.

Both doors say it: Slack (handlers/refusals.py escapes it for mrkdwn) and the terminal's `ecs-why audit`
(bot/audit.py's entries). It is here, in bot/, because the terminal may not import handlers/; it is the
only place these sentences are written (tests/test_architecture.py keeps bot/remediation to codes).
"""

from __future__ import annotations

from typing import assert_never

from bot.remediation.why_not import (
    AlreadyRunsTarget,
    ChangedSinceApproval,
    CircuitBreakerAlreadyOn,
    ClusterNotFound,
    CodeOnly,
    ExecAlreadyOn,
    GraceAlreadyLong,
    NoCredentials,
    NoPlanner,
    NoServiceArn,
    NoServiceNamed,
    NoSteadyRevision,
    NoTaskMemory,
    OtherFamily,
    PlanUnscoped,
    ServiceGone,
    TargetGone,
    TargetNotActive,
    WhyNot,
)


def why_not_says(reason: WhyNot) -> str:
    """The reason with the names it is about, and what to do instead where there is something to do."""
    match reason:
        case ServiceGone(cluster=cluster, service=service):
            return f"service {cluster}/{service} no longer exists"
        case ClusterNotFound(cluster=cluster, region=region, account_alias=alias, account=account):
            reach = f"account {alias}" if alias else "the account of the bot's own credentials"
            named = f"; the diagnosis names account {account}" if account else ""
            return (
                f"cluster {cluster} is not in {reach}{f' ({region})' if region else ''}{named}: "
                "add that account to ECS_WHY_ACCOUNTS and run the diagnosis again with --account "
                "(and --region), or apply the fix's AWS CLI command from the thread yourself"
            )
        case NoServiceArn(service=service):
            return f"ECS did not name the ARN of {service}, so its change cannot be scoped to it"
        case ExecAlreadyOn(service=service):
            return f"ECS Exec is already on for {service}; a new deployment gives it to older tasks"
        case CircuitBreakerAlreadyOn(service=service):
            return f"the deployment circuit breaker of {service} is already on, with rollback"
        case NoTaskMemory(service=service, task_definition=definition):
            return (
                f"{definition}, the task definition of {service}, sets no task memory to raise; "
                "set container memory by hand"
            )
        case GraceAlreadyLong(service=service, before=before, asked=asked):
            return f"the grace period of {service} is already {before} s (asked for {asked} s)"
        case AlreadyRunsTarget(service=service, current=current):
            return f"{service} already runs {current}: there is nothing to roll back"
        case NoSteadyRevision(service=service):
            return f"{service} has no earlier revision that was steady to roll back to"
        case TargetNotActive(target=target, status=status):
            return f"{target} is {status}: register it again to roll back"
        case TargetGone(target=target):
            return f"{target} is gone: register it again to roll back"
        case OtherFamily(service=service, target=target, family=family):
            return f"{target} is not a revision of {family}, the family {service} runs"
        case PlanUnscoped(kind=kind):
            return f"the {kind} plan names no service, so its change cannot be scoped"
        case NoServiceNamed(kind=kind):
            return f"the {kind} action names no cluster and service"
        case CodeOnly(service=service, owner=owner, name=name):
            return (
                f"{service} is managed by {' '.join(p for p in (owner, name) if p)}, and "
                "ECS_WHY_MANAGED_SERVICES=code-only allows no API change: commit the code change the "
                "confirmation shows"
            )
        case NoCredentials(problem=problem):
            return f"no credentials for this change: {problem}"
        case NoPlanner(kind=kind):
            return f"this version has no planner for {kind}"
        case ChangedSinceApproval(service=service, now=now):
            shown = "; ".join(f"{what} → {after}" for what, after in now)
            return (
                f"{service} changed since the request: the change would now be {shown}, not what was "
                "approved; ask for the change again to get a new request"
            )
        case _:
            assert_never(reason)
