"""What the asking user is told, only to them, when a durable job ends without its answer (bot/jobs.py
decides when: given up after its attempts, or refused by the app)."""

from __future__ import annotations

import logging

from slack_bolt import BoltRequest
from slack_sdk.webhook import WebhookClient

from bot.jobs import MAX_ATTEMPTS, Unanswered

log = logging.getLogger(__name__)
TEXTS: dict[Unanswered, str] = {
    "gave_up": f"⚠️ I gave up on this request after {MAX_ATTEMPTS} attempts; please try again.",
    "refused": "⚠️ I could not process this request (Slack did not authorise me); try again.",
}


def tell_unanswered(request: BoltRequest, why: Unanswered) -> None:
    """Say why through the request's response_url (a request without one, an event, is only logged)."""
    url = response_url_of(request)
    if url is None:
        return
    try:
        sent = WebhookClient(url, timeout=10).send(
            text=TEXTS[why], response_type="ephemeral", replace_original=False
        )
    except Exception as error:  # the user cannot be told: say so in the log, once, without a traceback
        log.warning("could not tell the user through response_url: %s", type(error).__name__)
        return
    if sent.status_code != 200:
        log.warning("could not tell the user through response_url: HTTP %s", sent.status_code)


def response_url_of(request: BoltRequest) -> str | None:
    body = request.body or {}
    url = body.get("response_url") or next(
        (u.get("response_url") for u in body.get("response_urls") or [] if isinstance(u, dict)), None
    )
    return str(url) if url else None
