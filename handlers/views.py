"""The confirmation modal's submit: authorise again, apply once, say who did what in the thread, then
follow the deployment until it is steady or failed."""

from __future__ import annotations

import json
import threading
from typing import Any

from slack_bolt import Ack, App
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot import metrics
from bot.remediation.executor import Expired, Refused
from bot.services import Services
from bot.store import StoreUnavailable
from handlers.actions import refusal
from handlers.render.diagnosis import Message
from handlers.render.modal import CONFIRM
from handlers.render.text import escape
from handlers.replies import CannotPost, post


def _say(client: WebClient, channel: str, thread_ts: str | None, text: str, user: str | None = None) -> None:
    """In the diagnosis thread; where the bot cannot post there (a private channel it left), to the user."""
    message = Message(text=text, blocks=[{"type": "section", "text": {"type": "mrkdwn", "text": text}}])
    try:
        post(client, channel, message, thread_ts)
    except (CannotPost, SlackApiError):
        if user is None:
            raise
        post(client, user, message)


def _tell(client: WebClient, channel: str, user: str, text: str) -> None:
    """Only to the user: ephemeral in the channel, or a direct message where the bot cannot post there."""
    try:
        client.chat_postEphemeral(channel=channel, user=user, text=text)
    except SlackApiError:
        client.chat_postMessage(channel=user, text=text)


def register(app: App, services: Services) -> None:
    def ack_submit(ack: Ack) -> None:
        metrics.REQUESTS.labels("view").inc()
        ack()

    def apply(body: dict[str, Any], view: dict[str, Any], client: WebClient) -> None:
        meta = json.loads(view.get("private_metadata") or "{}")
        user = body["user"]["id"]
        channel, thread_ts, key = meta.get("channel", ""), meta.get("thread_ts"), meta.get("key", "")
        try:
            pending = services.store.get_pending(key)
            result = services.remediator.apply(user, key)
        except (Refused, Expired) as exc:
            metrics.ACTIONS.labels("unknown", type(exc).__name__.lower()).inc()
            _tell(client, channel, user, refusal(exc))
            return
        except StoreUnavailable:
            _tell(client, channel, user, "⚠️ My state store is unreachable; nothing was changed.")
            return
        kind = (pending or {}).get("action", {}).get("kind", "unknown")
        if result.duplicate:
            metrics.ACTIONS.labels(kind, "duplicate").inc()
            _tell(client, channel, user, f"ℹ️ {escape(result.message)}")
            return
        metrics.ACTIONS.labels(kind, "applied" if result.ok else "failed").inc()
        mark = "🛠️" if result.ok else "❌"
        _say(
            client,
            channel,
            thread_ts,
            f"{mark} <@{user}> {'applied' if result.ok else 'tried'}: {escape(result.message)}",
            user,
        )
        if result.ok and pending is not None:
            threading.Thread(
                target=services.remediator.follow,
                daemon=True,
                name="follow-deployment",
                args=(
                    pending,
                    user,
                    lambda text: _say(client, channel, thread_ts, f"📦 {escape(text)}", user),
                    services.follow_timeout_seconds,
                    services.follow_interval_seconds,
                ),
            ).start()

    app.view(CONFIRM)(ack=ack_submit, lazy=[apply])
