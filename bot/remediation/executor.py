"""Applies a confirmed remediation exactly once, as the clicking user, with an audit record either way:
authorised by the guardrails at click, confirm and approval, planned (bot/remediation/planning.py),
applied, then followed (bot/remediation/follow.py); audit fields and the log line: reporting.py.

Once: the first confirm claims the pending action's key in Redis (SET NX), so a double click, a
resubmitted modal or two replicas receiving the same click change ECS once. The claim is released
only when the change failed, so the user can try again.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

from bot.authz import Operators
from bot.guardrails.policy import Decision, Policy, Request
from bot.guardrails.reasons import Reason, Why
from bot.remediation.as_code import props
from bot.remediation.follow import Followed, follow_deployment
from bot.remediation.kinds import Plan, PlanError
from bot.remediation.planning import (
    SessionFactory,
    clients,
    plan_change,
    reader,
    same_outcome,
    service_tags,
)
from bot.remediation.reporting import aws_message, change_fields, log_change, request_id
from bot.remediation.scope import change_policy
from bot.remediation.why_not import CodeOnly, WhyNot
from bot.remediation.why_not import record as why_not_record
from bot.store import Store
from bot.store.records import PendingAction, Unreadable

__all__ = [
    "Applied",
    "Authorised",
    "Expired",
    "Refused",
    "Remediator",
    "Replayed",
    "SessionFactory",
    "UnreadableButton",
]

CLAIM_TTL = 24 * 3600


class Refused(Exception):
    """The user may not run remediation actions. `reason` says why as a code (handlers word it); `allowed`
    the user and group IDs (`*`: anyone) who may, which handlers show as mentions (none: nobody may)."""

    def __init__(self, reason: Reason, allowed: tuple[str, ...]) -> None:
        super().__init__(reason, allowed)
        self.reason = reason
        self.allowed = allowed


class Expired(Exception):
    """The button's pending action is gone (expired or already used). The class is the code, its fields
    the rest: handlers/refusals.py words each one."""


class Replayed(Expired):
    """The button's change was already applied: a second confirm (resubmit, re-delivery) does nothing."""


class UnreadableButton(Expired):
    """The button's pending action is there but this version cannot read it: nothing is done. `problem`:
    what the store could not read (bot.store.records.Unreadable)."""

    def __init__(self, problem: str) -> None:
        super().__init__(problem)
        self.problem = problem


@dataclass(frozen=True)
class Authorised:
    """A pending action the guardrails let this user go on with, and the decision that did."""

    pending: PendingAction
    decision: Decision


@dataclass(frozen=True)
class Applied:
    """What a confirmed click did; handlers/refusals.outcome_says words it."""

    ok: bool
    error: str = ""  # why the change failed: AWS's words, redacted
    plan: Plan | None = None
    why_not: WhyNot | None = None  # or why it could not be planned, as a code (bot/why_not_says.py words it)
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
            raise UnreadableButton(str(exc)) from None
        if pending is None:
            if self.store.claimed(f"applied:{key}"):
                self.store.audit({"event": "replayed", "stage": stage, "user": user, "key": key})
                raise Replayed
            self.store.audit({"event": "expired", "stage": stage, "user": user, "key": key})
            raise Expired
        request = self._request(pending, user)
        decision = self.policy.decide(request)
        if decision.mode == "deny":
            self.store.audit(
                {
                    "event": "refused",
                    "stage": stage,
                    "user": user,
                    "key": key,
                    **change_fields(pending),
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
                **change_fields(authorised.pending),
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
                try:
                    plan = self._plan(pending, user)
                except PlanError as exc:  # nothing to ask a second person for
                    self.store.audit(
                        {
                            "event": "failed",
                            "user": user,
                            "key": key,
                            **change_fields(pending),
                            **decision.record(),
                            "why_not": why_not_record(exc.reason),
                        }
                    )
                    return Applied(False, why_not=exc.reason, pending=pending)
                return Applied(False, plan=plan, decision=decision, needs_approval=True, pending=pending)
            if approved_by == user or not self.policy.may_approve(approved_by, decision):
                self.store.audit(
                    {
                        "event": "refused",
                        "stage": "approval",
                        "user": approved_by,
                        "requested_by": user,
                        "key": key,
                        **change_fields(pending),
                        **decision.record(),
                    }
                )
                why = Why.OWN_REQUEST if approved_by == user else Why.NOT_AN_APPROVER
                raise Refused(replace(decision.reason, why=why), tuple(decision.approvers))
        if not self.store.claim(f"applied:{key}", CLAIM_TTL):
            self.store.audit(
                {"event": "replayed", "stage": "confirm", "user": user, "key": key, "concurrent": True}
            )
            return Applied(False, duplicate=True, pending=pending)
        kind = pending.action.kind
        record: dict[str, Any] = {
            "event": "applied",
            "user": user,
            "key": key,
            **change_fields(pending),
            **decision.record(),
            **({"approved_by": approved_by} if approved_by else {}),
        }
        try:
            plan = self._plan(pending, user)
            if approved_changes is not None:
                same_outcome(plan, approved_changes)
            owner = plan.ownership.owner
            if owner is not None and self.code_only and props(plan):
                service = str(plan.params.get("service", ""))
                raise PlanError(CodeOnly(service=service, owner=owner.label, name=owner.name))
            ecs = clients(self.sessions, pending, user, change_policy(plan), "ecs")[0]
            extra = plan.prepare(ecs) if plan.prepare else {}
            answer = getattr(ecs, plan.operation)(**plan.params, **extra)
        except PlanError as exc:  # nothing was called: release the claim, audit why as its code
            self.store.release(f"applied:{key}")
            self.store.audit({**record, "event": "failed", "why_not": why_not_record(exc.reason)})
            log_change(user, kind, pending.target, "failed", exc, approved_by, decision.rule)
            return Applied(False, why_not=exc.reason, pending=pending)
        except Exception as exc:  # any failure: release the claim so a retry can work, and audit it
            self.store.release(f"applied:{key}")
            message = aws_message(exc)
            self.store.audit({**record, "event": "failed", "error": message})
            log_change(user, kind, pending.target, "failed", exc, approved_by, decision.rule)
            return Applied(False, error=message, pending=pending)
        log_change(user, kind, pending.target, "applied", answer, approved_by, decision.rule)
        self.store.take_pending(key)
        self.store.audit(
            {
                **record,
                "cli": plan.cli,
                "changes": [list(c) for c in plan.changes],
                "aws_request_id": request_id(answer),
            }
        )
        return Applied(True, plan=plan, pending=pending)

    def follow(
        self,
        pending: PendingAction,
        user: str,
        notify: Callable[[Followed], None],
        timeout_seconds: float = 900,
        interval_seconds: float = 15,
    ) -> None:
        """Watch the service's deployment after a change and say when it is steady, failed, or still going."""
        try:
            ecs = reader(self.sessions, pending, user)
        except PlanError as exc:  # no credentials to follow with: say so, the change is made
            notify(Followed(pending.action.params.service, "UNFOLLOWED", why_not=exc.reason))
            return
        follow_deployment(ecs, pending.action.params, notify, timeout_seconds, interval_seconds)

    def _plan(self, pending: PendingAction, user: str) -> Plan:
        return plan_change(self.sessions, pending, user, self.iac_tags)

    def _request(self, pending: PendingAction, user: str) -> Request:
        """What the guardrails decide on; the service's tags are read only when a rule looks at tags."""
        action, target = pending.action, pending.target
        tags = service_tags(self.sessions, pending, user) if self.policy.needs_tags else {}
        return Request(
            user,
            action.kind,
            action.params.cluster,
            action.params.service,
            target.account,
            target.account_alias,
            tags,
        )
