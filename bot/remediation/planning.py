"""Planning a click's change, as the clicking user: the AWS clients of one session scoped to what the
plan reads (bot/remediation/scope.py), the kind's planner on the action's typed params, who manages the
service, the service's tags for the guardrails, and the check that an approved change still ends where
it was approved."""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from typing import Any

import boto3
from botocore.exceptions import ClientError

from bot.aws_session import SessionError
from bot.remediation.iac import who_manages
from bot.remediation.kinds import PLANNERS, Plan, PlanError
from bot.remediation.reporting import aws_message
from bot.remediation.scope import read_policy
from bot.remediation.why_not import ChangedSinceApproval, ClusterNotFound, NoCredentials, NoPlanner
from bot.store.records import PendingAction
from diagnosis.redact import redact

log = logging.getLogger(__name__)

# (slack user, account alias, region, inline session policy): see bot.remediation.scope
SessionFactory = Callable[[str, str | None, str | None, dict[str, Any]], boto3.Session]


def clients(
    sessions: SessionFactory, pending: PendingAction, user: str, policy: dict[str, Any], *names: str
) -> list[Any]:
    """Clients of one session (one AssumeRole) for the button's account and region, scoped by `policy`."""
    target = pending.target
    try:
        session = sessions(user, target.account_alias, target.region, policy)
    except SessionError as exc:
        raise PlanError(NoCredentials(problem=redact(str(exc)))) from None
    region = target.region or session.region_name
    return [session.client(n, region_name=region) for n in names]  # type: ignore[call-overload]


def reads(pending: PendingAction) -> dict[str, Any]:
    """The session policy of planning and following the change: what its kind reads, on its service."""
    return read_policy(pending.action.kind, pending.action.params, pending.target)


def reader(sessions: SessionFactory, pending: PendingAction, user: str) -> Any:
    """An ECS client that may read what planning and following the change read."""
    return clients(sessions, pending, user, reads(pending), "ecs")[0]


def plan_change(
    sessions: SessionFactory, pending: PendingAction, user: str, iac_tags: Mapping[str, str]
) -> Plan:
    """The planner of the action's kind, given the action's own typed parameters (diagnosis/actions.py),
    with who manages the service (`iac_tags`: ECS_WHY_IAC_TAGS)."""
    action = pending.action
    planner = PLANNERS.get(action.kind)
    if planner is None:  # every kind has one (tests/bot/remediation/test_kinds.py)
        raise PlanError(NoPlanner(kind=action.kind))
    ecs, cloudformation, cloudtrail = clients(
        sessions, pending, user, reads(pending), "ecs", "cloudformation", "cloudtrail"
    )
    try:
        plan = planner.plan(ecs, action.params)
    except ClientError as exc:
        raise _not_found(exc, pending, ecs) or exc from None
    where = (str(plan.params.get("cluster", "")), str(plan.params.get("service", "")))
    return replace(plan, ownership=who_manages(ecs, cloudformation, cloudtrail, *where, iac_tags))


def _not_found(exc: ClientError, pending: PendingAction, ecs: Any) -> PlanError | None:
    """ECS's ClusterNotFoundException as the reason it is (the credentials reach another account or
    region than the button's service); any other error is None, raised as it is."""
    if exc.response.get("Error", {}).get("Code") != "ClusterNotFoundException":
        return None
    target = pending.target
    return PlanError(
        ClusterNotFound(
            cluster=pending.action.params.cluster or target.cluster or "",
            region=str(getattr(getattr(ecs, "meta", None), "region_name", "") or target.region or ""),
            account_alias=target.account_alias or "",
            account=target.account or "",
        )
    )


def service_tags(sessions: SessionFactory, pending: PendingAction, user: str) -> dict[str, str] | None:
    """The service's tags, or None when they cannot be read (then only deny rules with tags apply)."""
    cluster, service = pending.action.params.cluster, pending.action.params.service
    try:
        found = (
            reader(sessions, pending, user)
            .describe_services(cluster=cluster, services=[service], include=["TAGS"])
            .get("services", [])
        )
    except Exception as exc:  # AccessDenied, throttling, the network: decide without them
        log.warning("guardrails: cannot read the tags of %s/%s: %s", cluster, service, aws_message(exc))
        return None
    return (
        {str(t.get("key")): str(t.get("value", "")) for t in (found[0].get("tags") or [])} if found else None
    )


def same_outcome(plan: Plan, approved: Sequence[Sequence[str]]) -> None:
    """The change planned now ends where the approved one did (its before may differ: someone moved it)."""
    now = [(str(what), str(after)) for what, _before, after in plan.changes]
    then = [(str(c[0]), str(c[-1])) for c in approved]
    if now != then:
        service = str(plan.params.get("service", ""))
        raise PlanError(ChangedSinceApproval(service=service, now=tuple(now)))
