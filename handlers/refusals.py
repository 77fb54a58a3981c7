"""What a click that changes nothing is told, in one wording for the fix button, the confirm and the
approval buttons: refused (a guardrail, expired, cannot be planned) or the state store down."""

from __future__ import annotations

from bot import metrics
from bot.remediation.executor import Refused
from handlers.render.text import escape, who
from handlers.replies import Respond

STORE_DOWN = "⚠️ My state store is unreachable; nothing was changed. Try again in a minute."


def refusal(exc: Exception) -> str:
    """🚫 and why, escaped; a refusal's list of who may act stays mrkdwn, so its mentions render."""
    if isinstance(exc, Refused):
        return f"🚫 {escape(exc.reason)}; allowed: {who(exc.allowed)}"
    return f"🚫 {escape(str(exc))}"


def refused(exc: Exception) -> str:
    """`refusal(exc)`, counted: the click's outcome is the refusal's kind (its action kind is not known)."""
    metrics.ACTIONS.labels("unknown", type(exc).__name__.lower()).inc()
    return refusal(exc)


def tell_store_down(respond: Respond) -> None:
    """Only to the clicker, the clicked message left as it is."""
    respond(response_type="ephemeral", replace_original=False, text=STORE_DOWN)
