"""The buttons of an alert (a failure group's message, posted by handlers/notifier.py): "Acknowledge",
once, shown in place; "Mute 1h", this channel only, for who may fix the service."""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Any

from slack_bolt import App, Respond
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot import metrics
from bot.events.grouping import group_key
from bot.guardrails.policy import Request
from bot.services import Services
from bot.store import StoreUnavailable
from diagnosis.knowledge import CATALOG
from handlers.actions import ack_click
from handlers.bind import bind
from handlers.render.alert import ACK, USER, acknowledged_note, group_message, muted_note, recovered
from handlers.render.diagnosis import MUTE
from handlers.render.text import escape, who
from handlers.replies import CannotPost, post

log = logging.getLogger(__name__)
MUTE_SECONDS = 3600


def valid_fingerprint(value: str) -> bool:
    """account:region:cluster:service:category with a known category (a button value is user-controlled)."""
    parts = value.split(":")
    return len(value) <= 600 and len(parts) == 5 and all(parts[2:4]) and parts[4] in CATALOG


def _channel(body: dict[str, Any]) -> str:
    return str((body.get("channel") or {}).get("id") or (body.get("container") or {}).get("channel_id", ""))


def mute(
    services: Services, body: dict[str, Any], action: dict[str, Any], client: WebClient, respond: Respond
) -> None:
    fingerprint, user, channel = str(action.get("value", "")), body["user"]["id"], _channel(body)
    ts = (body.get("message") or {}).get("ts") or (body.get("container") or {}).get("message_ts")
    if not valid_fingerprint(fingerprint):
        respond(response_type="ephemeral", replace_original=False, text="⚠️ This button is not valid.")
        return
    account, _region, cluster, service, category = fingerprint.split(":")
    policy = services.remediator.policy  # silencing a service's alerts is for who may fix it
    if not policy.may_fix(user, cluster, service, account or None):
        allowed = policy.who_may(
            Request(user, "", cluster, service, account or None, None, None), any_action=True
        )
        respond(
            response_type="ephemeral",
            replace_original=False,
            text=f"🚫 Only people a guardrail rule lets fix {escape(cluster)}/{escape(service)} may mute "
            f"its alerts; allowed: {who(allowed)}.",
        )
        return
    try:
        services.store.mute(group_key(fingerprint, channel), MUTE_SECONDS)  # this channel only
    except StoreUnavailable:
        respond(
            response_type="ephemeral",
            replace_original=False,
            text="⚠️ My state store is unreachable; nothing was muted. Try again in a minute.",
        )
        return
    note = muted_note(user, category, cluster, service)
    try:
        post(client, channel, note, ts)
    except (CannotPost, SlackApiError):
        respond(response_type="ephemeral", replace_original=False, text=note.text)


def acknowledge(
    services: Services, body: dict[str, Any], action: dict[str, Any], client: WebClient, respond: Respond
) -> None:
    fingerprint, user, channel = str(action.get("value", "")), body["user"]["id"], _channel(body)
    if not valid_fingerprint(fingerprint) or not USER.match(user):
        respond(response_type="ephemeral", replace_original=False, text="⚠️ This button is not valid.")
        return
    gkey = group_key(fingerprint, channel)
    try:
        alert = services.store.alert_get(gkey)
        at = datetime.now(UTC).isoformat(timespec="seconds")
        won = alert is not None and not alert.resolved and services.store.alert_acknowledge(gkey, user, at)
        if won:
            metrics.ALERTS.labels("acknowledged").inc()
            alert = services.store.alert_get(gkey)
    except StoreUnavailable:
        respond(
            response_type="ephemeral",
            replace_original=False,
            text="⚠️ My state store is unreachable; the alert is not acknowledged. Try again in a minute.",
        )
        return
    if alert is None:
        respond(response_type="ephemeral", replace_original=False, text="This alert is no longer tracked.")
        return
    notice = alert.as_shown
    if not won:
        said = (
            f"This alert already recovered: {escape(recovered(notice.resolved))}."
            if notice.resolved
            else f"<@{notice.acked_by}> already acknowledged this alert."
        )
        respond(response_type="ephemeral", replace_original=False, text=said)
        return
    message = group_message(notice)
    try:
        client.chat_update(channel=channel, ts=alert.ts, text=message.text, blocks=message.blocks)
        post(client, channel, acknowledged_note(user), alert.ts)
    except (CannotPost, SlackApiError) as exc:
        log.warning("could not show the acknowledgement of %s: %s", gkey, exc)
        respond(
            response_type="ephemeral",
            replace_original=False,
            text="👀 Acknowledged (I could not edit the message).",
        )


def register(app: App, services: Services) -> None:
    app.action(MUTE)(ack=ack_click, lazy=[bind(mute, services)])
    app.action(ACK)(ack=ack_click, lazy=[bind(acknowledge, services)])
