"""Guardrail mode `approve`: the confirmed change waits in Redis for a second, different person.

The request holds the pending action's key (kept alive as long as the request), the Plan's before → after
and the deciding rule; it expires after `ECS_WHY_APPROVAL_TTL_SECONDS`, and a later click is refused and
says so. A verdict is taken once (`claim`), whichever replica receives the click; approving applies
through `Remediator.apply`, which checks the guardrails again and applies at most once.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from bot.guardrails.reasons import Reason, Why
from bot.remediation.executor import Applied, Expired, Refused, Remediator
from bot.store import Store
from bot.store.records import ApprovalRequest, Unreadable, Verdict

__all__ = [
    "AlreadyAsked",
    "AlreadyDecided",
    "ApprovalExpired",
    "ApprovalGone",
    "Approvals",
    "Decided",
    "UnreadableApproval",
    "Verdict",
]


class ApprovalExpired(Expired):
    """The approval request is older than its lifetime (it ended at `expires_at`, epoch seconds): nothing
    is done, the requester may ask again."""

    def __init__(self, expires_at: float) -> None:
        super().__init__(expires_at)
        self.expires_at = expires_at


class AlreadyAsked(Expired):
    """This button's change already waits for approval: one request per change, not one per submit."""


class AlreadyDecided(Expired):
    """Someone approved or rejected it first; `verdict` and `by` say who and how."""

    def __init__(self, verdict: str, by: str) -> None:
        super().__init__(verdict, by)
        self.verdict, self.by = verdict, by


class ApprovalGone(Expired):
    """The approval request is unknown or long gone (past its lifetime and more): the requester asks anew."""


class UnreadableApproval(ApprovalGone):
    """The approval request is there but this version cannot read it. `problem`: what the store could not
    read (bot.store.records.Unreadable)."""

    def __init__(self, problem: str) -> None:
        super().__init__(problem)
        self.problem = problem


@dataclass(frozen=True)
class Decided:
    verdict: Verdict
    by: str
    request: ApprovalRequest
    applied: Applied | None = None  # for an approval: what the change did (or why it failed)


class Approvals:
    def __init__(self, store: Store, remediator: Remediator, ttl_seconds: int = 3600) -> None:
        self.store = store
        self.remediator = remediator
        self.ttl_seconds = ttl_seconds

    def request(
        self, user: str, key: str, asked: Applied, channel: str, thread_ts: str | None
    ) -> ApprovalRequest:
        """Store the approval request for a change `apply` answered with `needs_approval`; audit it."""
        if asked.plan is None or asked.decision is None or asked.pending is None:
            raise ValueError("an approval request needs the change's plan, its action and the deciding rule")
        if not self.store.claim(f"approval-for:{key}", self.ttl_seconds):
            raise AlreadyAsked
        plan, decision, pending = asked.plan, asked.decision, asked.pending
        request = ApprovalRequest(
            key=key,
            action=pending.action,
            requested_by=user,
            kind=plan.kind,
            title=plan.title,
            changes=tuple(plan.changes),
            cli=plan.cli,
            target=pending.target,
            channel=channel,
            thread_ts=thread_ts,
            mode=decision.mode,
            rule=decision.rule,
            approvers=decision.approvers,
        )
        if not self.store.hold_pending(key, self.ttl_seconds + 60):
            raise Expired
        stored = self.store.put_approval(request, self.ttl_seconds)
        self.store.audit(
            {
                "event": "approval_requested",
                "user": user,
                "approval": stored.id,
                **stored.to_json(exclude={"id", "expires_at"}),
            }
        )
        return stored

    def decide(self, user: str, approval_id: str, verdict: Verdict) -> Decided:
        """Approve (and apply) or reject, once. Raises Refused (self-approval, not an approver, the rule now
        denies), ApprovalExpired, AlreadyDecided or ApprovalGone (unknown or unreadable request)."""
        try:
            request = self.store.get_approval(approval_id)
        except Unreadable as exc:
            raise UnreadableApproval(str(exc)) from None
        if request is None:
            raise ApprovalGone
        record: dict[str, Any] = {
            "approval": approval_id,
            "user": user,
            "requested_by": request.requested_by,
            "key": request.key,
            "kind": request.kind,
            "target": request.target.to_json(),
            "rule": request.rule,
            "mode": request.mode,
        }
        if request.verdict:
            raise AlreadyDecided(request.verdict, str(request.decided_by))
        if self.store.now() >= request.expires_at:
            self.store.audit({**record, "event": "approval_expired"})
            raise ApprovalExpired(request.expires_at)
        requester, approvers = request.requested_by, request.approvers
        if verdict == "approved" and user == requester:
            self.store.audit({**record, "event": "refused", "stage": "approval", "why": "self-approval"})
            raise Refused(Reason(Why.OWN_REQUEST, request.rule), approvers)
        if (
            verdict == "rejected"
            and user != requester
            and not self.remediator.policy.includes(user, approvers)
        ):
            self.store.audit({**record, "event": "refused", "stage": "rejection"})
            raise Refused(Reason(Why.MAY_NOT_DECIDE, request.rule), approvers)
        if not self.store.claim(f"approval:{approval_id}", self.ttl_seconds + 3600):
            latest = self.store.get_approval(approval_id)
            raise AlreadyDecided(
                (latest and latest.verdict) or "decided", (latest and latest.decided_by) or "someone"
            )
        if verdict == "rejected":
            self.store.update_approval(approval_id, verdict="rejected", decided_by=user)
            self.store.release(f"approval-for:{request.key}")  # the requester may ask again, anew
            self.store.audit({**record, "event": "rejected"})
            return Decided("rejected", user, request)
        try:
            applied = self.remediator.apply(
                requester, request.key, approved_by=user, approved_changes=request.changes
            )
        except Exception:
            self.store.release(f"approval:{approval_id}")  # refused or gone: someone else may still decide
            raise
        if not applied.ok and not applied.duplicate:  # AWS failed, nothing changed: approving again retries
            self.store.release(f"approval:{approval_id}")
        else:
            self.store.update_approval(approval_id, verdict="approved", decided_by=user)
            self.store.audit(
                {**record, "event": "approved", "outcome": "applied" if applied.ok else "duplicate"}
            )
        return Decided("approved", user, request, applied)
