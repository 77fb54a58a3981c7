"""The confirmation modal's submit: authorise again, apply once, say who did what in the thread, then
follow the deployment until it is steady or failed. Under a guardrail rule in mode approve, the submit
posts an approval request in the thread instead (handlers/approvals.py takes it from there)."""

from __future__ import annotations

import json
import threading
from typing import Any

from slack_bolt import Ack, App
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot import metrics
from bot.remediation.executor import Applied, Expired, Refused
from bot.services import Services
from bot.store import StoreUnavailable
from bot.store.records import PendingAction
from handlers.bind import bind
from handlers.refusals import STORE_DOWN, followed_says, gone_says, guardrail_says, outcome_says, refused
from handlers.render.approval import approval_request
from handlers.render.diagnosis import Message
from handlers.render.modal import CONFIRM
from handlers.render.text import escape, who
from handlers.replies import CannotPost, post


def say(
    client: WebClient,
    channel: str,
    thread_ts: str | None,
    text: str,
    user: str | None = None,
    message: Message | None = None,
) -> tuple[str, str]:
    """In the diagnosis thread; where the bot cannot post there (a private channel it left), to the user.
    Returns where it was posted: (channel, ts)."""
    message = message or Message(
        text=text, blocks=[{"type": "section", "text": {"type": "mrkdwn", "text": text}}]
    )
    try:
        return channel, post(client, channel, message, thread_ts)
    except (CannotPost, SlackApiError):
        if user is None:
            raise
        return user, post(client, user, message)


def follow_in_thread(
    client: WebClient,
    services: Services,
    pending: PendingAction,
    user: str,
    channel: str,
    thread_ts: str | None,
) -> None:
    """Follow the deployment a change started, in the background, and say in the thread how it ended."""
    threading.Thread(
        target=services.remediator.follow,
        daemon=True,
        name="follow-deployment",
        args=(
            pending,
            user,
            lambda followed: say(client, channel, thread_ts, f"📦 {escape(followed_says(followed))}", user),
            services.follow_timeout_seconds,
            services.follow_interval_seconds,
        ),
    ).start()


def ask_for_approval(
    client: WebClient,
    services: Services,
    user: str,
    key: str,
    result: Applied,
    channel: str,
    thread_ts: str | None,
) -> None:
    """Post the approval request in the thread, with its buttons; remember where, to mark it decided."""
    if services.approvals is None:
        why = guardrail_says(result.decision.reason) if result.decision else "a second person must approve it"
        _tell(client, channel, user, f"🚫 {escape(why)}, and approvals are not set up here.")
        return
    request = services.approvals.request(user, key, result, channel, thread_ts)
    approvers = who(request.approvers)
    posted_in, ts = say(client, channel, thread_ts, "", user, approval_request(request, approvers))
    services.store.update_approval(request.id, message_channel=posted_in, message_ts=ts)


def _tell(client: WebClient, channel: str, user: str, text: str) -> None:
    """Only to the user: ephemeral in the channel, or a direct message where the bot cannot post there."""
    try:
        client.chat_postEphemeral(channel=channel, user=user, text=text)
    except SlackApiError:
        client.chat_postMessage(channel=user, text=text)


def ack_submit(ack: Ack) -> None:
    metrics.REQUESTS.labels("view").inc()
    ack()


def apply(services: Services, body: dict[str, Any], view: dict[str, Any], client: WebClient) -> None:
    """The confirmed fix: applied once (or its approval asked for), said in the thread, then followed."""
    meta = json.loads(view.get("private_metadata") or "{}")
    user = body["user"]["id"]
    channel, thread_ts, key = meta.get("channel", ""), meta.get("thread_ts"), meta.get("key", "")
    try:
        result = services.remediator.apply(user, key)
    except (Refused, Expired) as exc:
        _tell(client, channel, user, refused(exc))
        return
    except StoreUnavailable:
        _tell(client, channel, user, STORE_DOWN)
        return
    pending = result.pending
    kind = pending.action.kind if pending is not None else "unknown"
    if result.needs_approval:
        metrics.ACTIONS.labels(kind, "approval_requested").inc()
        try:
            ask_for_approval(client, services, user, key, result, channel, thread_ts)
        except (Expired, StoreUnavailable) as exc:
            why = gone_says(exc) if isinstance(exc, Expired) else "my state store is unreachable"
            _tell(client, channel, user, f"⚠️ {escape(why)}; nothing was changed.")
        return
    if result.duplicate:
        metrics.ACTIONS.labels(kind, "duplicate").inc()
        _tell(client, channel, user, f"ℹ️ {escape(outcome_says(result))}")
        return
    metrics.ACTIONS.labels(kind, "applied" if result.ok else "failed").inc()
    mark = "🛠️" if result.ok else "❌"
    say(
        client,
        channel,
        thread_ts,
        f"{mark} <@{user}> {'applied' if result.ok else 'tried'}: {escape(outcome_says(result))}",
        user,
    )
    if result.ok and pending is not None:
        follow_in_thread(client, services, pending, user, channel, thread_ts)


def register(app: App, services: Services) -> None:
    app.view(CONFIRM)(ack=ack_submit, lazy=[bind(apply, services)])
