"""What a click that changes nothing is told, in one wording for the fix button, the confirm and the
approval buttons: refused (a guardrail, expired, cannot be planned) or the state store down. The guardrails
say why as a code (bot/guardrails/reasons.py), a button or request that is gone by its class
(bot/remediation: Expired and its kinds), a change that cannot be planned by its reason
(bot/remediation/why_not.py); the sentences are written here, but for the last, which the terminal's
`ecs-why audit` says too (bot/why_not_says.py)."""

from __future__ import annotations

from datetime import UTC, datetime

from bot import metrics
from bot.guardrails.reasons import Reason, Why
from bot.remediation.approvals import (
    AlreadyAsked,
    AlreadyDecided,
    ApprovalExpired,
    ApprovalGone,
    UnreadableApproval,
)
from bot.remediation.executor import Applied, Expired, Refused, Replayed, UnreadableButton
from bot.remediation.follow import Followed
from bot.remediation.kinds import PlanError
from bot.why_not_says import why_not_says
from handlers.render.text import escape, who
from handlers.replies import Respond

STORE_DOWN = "⚠️ My state store is unreachable; nothing was changed. Try again in a minute."


def guardrail_says(reason: Reason) -> str:
    """The guardrails' reason as a plain sentence (not yet escaped): the rule, the change, what it means."""
    what = f"{reason.kind} on {reason.resource}"
    sentences = {
        Why.NO_RULE: f"you are not allowed to run {what}: no guardrail rule lets you",
        Why.DENIED: f"guardrail rule {reason.rule} denies {what}",
        Why.NEEDS_APPROVAL: f"guardrail rule {reason.rule} lets you ask for {what}; "
        "a second, different person must approve it",
        Why.ALLOWED: f"guardrail rule {reason.rule} allows {what}",
        Why.OWN_REQUEST: "you asked for this change: a second, different person must approve it",
        Why.NOT_AN_APPROVER: f"guardrail rule {reason.rule} does not let you approve it",
        Why.MAY_NOT_DECIDE: f"guardrail rule {reason.rule} does not let you decide on it",
    }
    return sentences[reason.why]


def gone_says(exc: Expired) -> str:
    """What is gone (the button, its change applied, the approval request) as a plain sentence, not yet
    escaped, with what to do instead."""
    if isinstance(exc, Replayed):
        return "this change was already applied; nothing was done twice"
    if isinstance(exc, UnreadableButton):
        return f"{exc.problem}; nothing was done. Re-run the diagnosis for fresh buttons"
    if isinstance(exc, ApprovalExpired):
        at = datetime.fromtimestamp(exc.expires_at, UTC).strftime("%H:%M UTC")
        return (
            f"this approval request expired at {at}; nothing was changed. "
            "Ask for the change again to get a new request"
        )
    if isinstance(exc, AlreadyAsked):
        return "an approval request for this change is already waiting in the thread"
    if isinstance(exc, AlreadyDecided):
        return f"this request was already {exc.verdict} by {exc.by}; nothing was done twice"
    if isinstance(exc, UnreadableApproval):
        return f"{exc.problem}; nothing was changed. Ask for the change again"
    if isinstance(exc, ApprovalGone):
        return "this approval request is unknown or long gone; ask for the change again"
    return "this button has expired or was already used; re-run the diagnosis for fresh buttons"


def outcome_says(applied: Applied | None) -> str:
    """What a confirmed change did, as a plain sentence, not yet escaped: its changes, why it failed, or
    that it was already applied."""
    if applied is None:
        return "nothing was done"
    if applied.duplicate:
        return "this change was already applied (or is being applied); nothing was done twice"
    if applied.why_not is not None:
        return f"the change was not made: {why_not_says(applied.why_not)}"
    if not applied.ok or applied.plan is None:
        return f"the change failed: {applied.error or 'no reason given'}; nothing else was changed"
    changes = "; ".join(f"{what} {before} → {after}" for what, before, after in applied.plan.changes)
    return f"{applied.plan.title}: {changes}"


def followed_says(followed: Followed) -> str:
    """How the deployment a change started ended, as a plain sentence, not yet escaped."""
    service = followed.service
    if followed.state == "UNFOLLOWED":
        why = why_not_says(followed.why_not) if followed.why_not is not None else followed.error
        return f"I could not follow the deployment of {service}: {why}"
    if followed.state == "MISSING":
        return f"I stopped following {service}: the service no longer exists"
    if followed.state == "STILL_GOING":
        return f"Deployment of {service} is still in progress after {followed.minutes} min; I stopped following it"
    return f"Deployment of {service}: {followed.state.lower()}"


def refusal(exc: Exception) -> str:
    """🚫 and why, escaped; a refusal's list of who may act stays mrkdwn, so its mentions render."""
    if isinstance(exc, Refused):
        return f"🚫 {escape(guardrail_says(exc.reason))}; allowed: {who(exc.allowed)}"
    if isinstance(exc, Expired):
        return f"🚫 {escape(gone_says(exc))}"
    if isinstance(exc, PlanError):
        return f"🚫 {escape(why_not_says(exc.reason))}"
    return f"🚫 {escape(str(exc))}"


def refused(exc: Exception) -> str:
    """`refusal(exc)`, counted: the click's outcome is the refusal's kind (its action kind is not known)."""
    metrics.ACTIONS.labels("unknown", type(exc).__name__.lower()).inc()
    return refusal(exc)


def tell_store_down(respond: Respond) -> None:
    """Only to the clicker, the clicked message left as it is."""
    respond(response_type="ephemeral", replace_original=False, text=STORE_DOWN)
