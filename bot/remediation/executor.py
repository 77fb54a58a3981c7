"""Applies a confirmed remediation exactly once, as the clicking user, with an audit record either way.

Once: the first confirm claims the pending action's key in Redis (SET NX), so a double click, a
resubmitted modal or two replicas receiving the same click change ECS once. The claim is released
only when the change failed, so the user can try again.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

import boto3
from botocore.exceptions import BotoCoreError, ClientError

from bot import metrics
from bot.authz import Operators
from bot.aws_session import SessionError
from bot.guardrails.policy import Decision, Policy, Request
from bot.logs import record as log_record
from bot.remediation.as_code import props
from bot.remediation.iac import who_manages
from bot.remediation.kinds import PLANNERS, Plan, PlanError
from bot.remediation.scope import change_policy, read_policy
from bot.store import Store
from bot.store.records import FixTarget, PendingAction, Unreadable
from diagnosis.redact import redact

log = logging.getLogger(__name__)

# (slack user, account alias, region, inline session policy): see bot.remediation.scope
SessionFactory = Callable[[str, str | None, str | None, dict[str, Any]], boto3.Session]
CLAIM_TTL = 24 * 3600


class Refused(Exception):
    """The user may not run remediation actions. `reason` is plain text; `allowed` the user and group IDs
    (`*`: anyone) who may, which handlers show as mentions (none: nobody may)."""

    def __init__(self, reason: str, allowed: tuple[str, ...]) -> None:
        super().__init__(f"{reason}; allowed: {', '.join(allowed) or 'nobody'}")
        self.reason = reason
        self.allowed = allowed


class Expired(Exception):
    """The button's pending action is gone (expired or already used)."""


class Replayed(Expired):
    """The button's change was already applied: a second confirm (resubmit, re-delivery) does nothing."""


class UnreadableButton(Expired):
    """The button's pending action is there but this version cannot read it: nothing is done."""


@dataclass(frozen=True)
class Authorised:
    """A pending action the guardrails let this user go on with, and the decision that did."""

    pending: PendingAction
    decision: Decision


@dataclass(frozen=True)
class Applied:
    ok: bool
    message: str
    plan: Plan | None = None
    duplicate: bool = False
    decision: Decision | None = None
    needs_approval: bool = False  # guardrail mode approve: nothing was done, a second person must approve
    pending: PendingAction | None = None  # the button's action (once authorised): what to follow, count


class Remediator:
    def __init__(
        self,
        store: Store,
        operators: Operators,
        sessions: SessionFactory,
        ttl_seconds: int = 900,
        policy: Policy | None = None,
        iac_tags: Mapping[str, str] | None = None,
        code_only: bool = False,
    ) -> None:
        """`policy`: the guardrails; None reads `operators` alone as "allow everything for these people".
        `iac_tags`, `code_only`: ECS_WHY_IAC_TAGS and ECS_WHY_MANAGED_SERVICES=code-only."""
        self.iac_tags = dict(iac_tags or {})
        self.code_only = code_only
        self.store = store
        self.operators = operators
        self.policy = policy or Policy([], operators.cache, [*operators.users, *operators.groups])
        self.sessions = sessions
        self.ttl_seconds = ttl_seconds

    def offer(self, pending: PendingAction) -> str:
        """Store a button's action server-side; the button carries only the returned key."""
        return self.store.put_pending(pending, self.ttl_seconds)

    def check(self, user: str, key: str, stage: str) -> Authorised:
        """Authorise the user for the pending action by the guardrails (at click, at confirm and at
        approval); audit refusals with the rule."""
        try:
            pending = self.store.get_pending(key)
        except Unreadable as exc:
            self.store.audit(
                {"event": "unreadable", "stage": stage, "user": user, "key": key, "error": str(exc)}
            )
            raise UnreadableButton(
                f"{exc}; nothing was done. Re-run the diagnosis for fresh buttons"
            ) from None
        if pending is None:
            if self.store.claimed(f"applied:{key}"):
                self.store.audit({"event": "replayed", "stage": stage, "user": user, "key": key})
                raise Replayed("this change was already applied; nothing was done twice")
            self.store.audit({"event": "expired", "stage": stage, "user": user, "key": key})
            raise Expired(
                "this button has expired or was already used; re-run the diagnosis for fresh buttons"
            )
        request = self._request(pending, user)
        decision = self.policy.decide(request)
        if decision.mode == "deny":
            self.store.audit(
                {
                    "event": "refused",
                    "stage": stage,
                    "user": user,
                    "key": key,
                    **_what(pending),
                    **decision.record(),
                }
            )
            raise Refused(decision.reason, self.policy.who_may(request))
        return Authorised(pending, decision)

    def plan(self, user: str, key: str) -> tuple[Authorised, Plan]:
        """At click: authorise, plan, and audit that the confirmation was shown to this user."""
        authorised = self.check(user, key, "click")
        plan = self._plan(authorised.pending, user)
        self.store.audit(
            {
                "event": "confirmation_shown",
                "stage": "click",
                "user": user,
                "key": key,
                "kind": authorised.pending.action.kind,
                "params": authorised.pending.action.params.model_dump(mode="json"),
                **authorised.decision.record(),
            }
        )
        return authorised, plan

    def apply(
        self,
        user: str,
        key: str,
        approved_by: str | None = None,
        approved_changes: Sequence[Sequence[str]] | None = None,
    ) -> Applied:
        """Apply the change `user` asked for; in guardrail mode approve only with `approved_by`, a second,
        different person the deciding rule names as an approver (checked here, with the rule as it is now).
        `approved_changes`: the (what, before, after) the approver saw; planned again now, the change must
        still end where they approved (the service may have moved meanwhile), or nothing is done."""
        authorised = self.check(user, key, "approval" if approved_by else "confirm")
        pending, decision = authorised.pending, authorised.decision
        if decision.mode == "approve":
            if approved_by is None:
                plan = self._plan(pending, user)
                return Applied(
                    False, decision.reason, plan, decision=decision, needs_approval=True, pending=pending
                )
            if approved_by == user or not self.policy.may_approve(approved_by, decision):
                self.store.audit(
                    {
                        "event": "refused",
                        "stage": "approval",
                        "user": approved_by,
                        "requested_by": user,
                        "key": key,
                        "kind": pending.action.kind,
                        "target": pending.target.to_json(),
                        **decision.record(),
                    }
                )
                why = (
                    "you asked for this change: a second, different person must approve it"
                    if approved_by == user
                    else f"guardrail rule {decision.rule} does not let you approve it"
                )
                raise Refused(why, tuple(decision.approvers))
        if not self.store.claim(f"applied:{key}", CLAIM_TTL):
            self.store.audit(
                {"event": "replayed", "stage": "confirm", "user": user, "key": key, "concurrent": True}
            )
            return Applied(
                False,
                "this change was already applied (or is being applied); nothing was done twice",
                duplicate=True,
                pending=pending,
            )
        kind = pending.action.kind
        record: dict[str, Any] = {
            "event": "applied",
            "user": user,
            "key": key,
            **_what(pending),
            **decision.record(),
            **({"approved_by": approved_by} if approved_by else {}),
        }
        try:
            plan = self._plan(pending, user)
            if approved_changes is not None:
                _same_outcome(plan, approved_changes)
            owner = plan.ownership.owner
            if owner is not None and self.code_only and props(plan):
                raise PlanError(
                    f"{plan.params.get('service')} is managed by {owner.label} {owner.name}".rstrip()
                    + ", and ECS_WHY_MANAGED_SERVICES=code-only allows no API change: commit the code change "
                    "the confirmation shows"
                )
            ecs = self._ecs(pending, user, change_policy(plan))
            extra = plan.prepare(ecs) if plan.prepare else {}
            answer = getattr(ecs, plan.operation)(**plan.params, **extra)
        except Exception as exc:  # any failure: release the claim so a retry can work, and audit it
            self.store.release(f"applied:{key}")
            message = _aws_message(exc)
            self.store.audit({**record, "event": "failed", "error": message})
            _log_change(user, kind, pending.target, "failed", exc, approved_by, decision.rule)
            return Applied(False, f"the change failed: {message}; nothing else was changed", pending=pending)
        _log_change(user, kind, pending.target, "applied", answer, approved_by, decision.rule)
        self.store.take_pending(key)
        self.store.audit(
            {
                **record,
                "cli": plan.cli,
                "changes": [list(c) for c in plan.changes],
                "aws_request_id": _request_id(answer),
            }
        )
        changes = "; ".join(f"{what} {before} → {after}" for what, before, after in plan.changes)
        return Applied(True, f"{plan.title}: {changes}", plan, pending=pending)

    def follow(
        self,
        pending: PendingAction,
        user: str,
        notify: Callable[[str], None],
        timeout_seconds: float = 900,
        interval_seconds: float = 15,
    ) -> None:
        """Watch the service's deployment after a change and say when it is steady, failed, or still going."""
        cluster, service = pending.action.params.cluster, pending.action.params.service
        try:
            ecs = self._ecs(pending, user, self._reads(pending))
        except PlanError as exc:  # no credentials to follow with: say so, the change is made
            notify(f"I could not follow the deployment of {service}: {_aws_message(exc)}")
            return
        deadline = time.monotonic() + timeout_seconds
        while True:
            try:
                found = ecs.describe_services(cluster=cluster, services=[service]).get("services", [])
            except (ClientError, BotoCoreError) as exc:
                notify(f"I could not follow the deployment of {service}: {_aws_message(exc)}")
                return
            state = deployment_state(found[0] if found else {})
            if state == "MISSING":
                notify(f"I stopped following {service}: the service no longer exists")
                return
            if state != "IN_PROGRESS":
                notify(f"Deployment of {service}: {state.lower().replace('_', ' ')}")
                return
            if time.monotonic() >= deadline:
                notify(
                    f"Deployment of {service} is still in progress after {timeout_seconds / 60:.0f} min; "
                    f"I stopped following it"
                )
                return
            time.sleep(interval_seconds)

    def _plan(self, pending: PendingAction, user: str) -> Plan:
        """The planner of the action's kind, given the action's own typed parameters (diagnosis/actions.py)."""
        action = pending.action
        planner = PLANNERS.get(action.kind)
        if planner is None:  # every kind has one (tests/bot/remediation/test_kinds.py)
            raise PlanError(f"no planner for {action.kind!r}")
        ecs, cloudformation, cloudtrail = self._clients(
            pending, user, self._reads(pending), "ecs", "cloudformation", "cloudtrail"
        )
        plan = planner.plan(ecs, action.params)
        where = (str(plan.params.get("cluster", "")), str(plan.params.get("service", "")))
        return replace(plan, ownership=who_manages(ecs, cloudformation, cloudtrail, *where, self.iac_tags))

    def _request(self, pending: PendingAction, user: str) -> Request:
        """What the guardrails decide on; the service's tags are read only when a rule looks at tags."""
        action, target = pending.action, pending.target
        cluster, service = action.params.cluster, action.params.service
        tags: dict[str, str] | None = {}
        if self.policy.needs_tags:
            tags = self._tags(pending, user, cluster, service)
        return Request(user, action.kind, cluster, service, target.account, target.account_alias, tags)

    def _tags(self, pending: PendingAction, user: str, cluster: str, service: str) -> dict[str, str] | None:
        """The service's tags, or None when they cannot be read (then only deny rules with tags apply)."""
        try:
            found = (
                self._ecs(pending, user, self._reads(pending))
                .describe_services(cluster=cluster, services=[service], include=["TAGS"])
                .get("services", [])
            )
        except Exception as exc:  # AccessDenied, throttling, the network: decide without them
            log.warning("guardrails: cannot read the tags of %s/%s: %s", cluster, service, _aws_message(exc))
            return None
        return (
            {str(t.get("key")): str(t.get("value", "")) for t in (found[0].get("tags") or [])}
            if found
            else None
        )

    def _reads(self, pending: PendingAction) -> dict[str, Any]:
        action = pending.action
        return read_policy(action.kind, action.params.model_dump(), pending.target.to_json())

    def _ecs(self, pending: PendingAction, user: str, policy: dict[str, Any]) -> Any:
        return self._clients(pending, user, policy, "ecs")[0]

    def _clients(self, pending: PendingAction, user: str, policy: dict[str, Any], *names: str) -> list[Any]:
        """Clients of one session (one AssumeRole) scoped by `policy`."""
        target = pending.target
        try:
            session = self.sessions(user, target.account_alias, target.region, policy)
        except SessionError as exc:
            raise PlanError(f"no credentials for this change: {exc}") from None
        region = target.region or session.region_name
        return [session.client(n, region_name=region) for n in names]  # type: ignore[call-overload]


def deployment_state(service: dict[str, Any]) -> str:
    """COMPLETED, FAILED or IN_PROGRESS, from the primary deployment (or the counts, where no rollout state);
    MISSING when the service is gone."""
    if not service or service.get("status") == "INACTIVE":
        return "MISSING"
    deployments = service.get("deployments") or []
    primary = next(
        (d for d in deployments if d.get("status") == "PRIMARY"), deployments[0] if deployments else {}
    )
    state = str(primary.get("rolloutState") or "")
    if state in ("COMPLETED", "FAILED"):
        return state
    if len(deployments) <= 1 and service.get("runningCount", 0) >= service.get("desiredCount", 0):
        return "COMPLETED"
    return "IN_PROGRESS"


def _request_id(answer: Any) -> str | None:
    """The AWS request ID of a call's answer or error: what CloudTrail and AWS support know it by."""
    response = answer.response if isinstance(answer, ClientError) else answer
    meta = response.get("ResponseMetadata", {}) if isinstance(response, dict) else {}
    return meta.get("RequestId")


def _what(pending: PendingAction) -> dict[str, Any]:
    """The fields of an audit record that say which change on which service."""
    return {
        "kind": pending.action.kind,
        "params": pending.action.params.model_dump(mode="json"),
        "target": pending.target.to_json(),
    }


def _log_change(
    user: str,
    kind: str,
    target: FixTarget,
    outcome: str,
    answer: Any,
    approved_by: str | None = None,
    rule: str | None = None,
) -> None:
    """The change's one log line: who, what, where, the outcome, who approved, the deciding guardrail rule,
    and the AWS request ID."""
    code: str | None
    if isinstance(answer, ClientError):
        code = str(answer.response.get("Error", {}).get("Code", "Error"))
        metrics.AWS_ERRORS.labels(f"ecs:{answer.operation_name}", code).inc()
    else:
        code = None if outcome == "applied" else type(answer).__name__
    log_record(
        "change",
        who=user,
        what=kind,
        target=target.path or None,
        outcome=outcome,
        error=code,
        aws_request_id=_request_id(answer),
        approved_by=approved_by,
        rule=rule,
    )


def _aws_message(exc: Exception) -> str:
    if isinstance(exc, ClientError):
        error = exc.response.get("Error", {})
        return f"{error.get('Code', 'Error')}: {error.get('Message', '')}".strip(": ")
    return redact(f"{type(exc).__name__}: {exc}")[:300]


def _same_outcome(plan: Plan, approved: Sequence[Sequence[str]]) -> None:
    """The change planned now ends where the approved one did (its before may differ: someone moved it)."""
    now = [(str(what), str(after)) for what, _before, after in plan.changes]
    then = [(str(c[0]), str(c[-1])) for c in approved]
    if now != then:
        shown = "; ".join(f"{what} → {after}" for what, after in now)
        raise PlanError(
            f"the service changed since the request: it would now be {shown}, not what was approved; "
            "nothing was changed. Ask for the change again to get a new request"
        )
