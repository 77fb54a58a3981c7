"""Failure-group notifications in Slack: the `Notifier` the event pipeline posts through, and the
"Mute 1h" button. One message per service and cause (its counter updated in place), details and later
stops in its thread, so a storm reads as one line in the channel."""

from __future__ import annotations

import logging
import re
from datetime import UTC, datetime
from typing import Any

from slack_bolt import Ack, App, Respond
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.models.blocks import (
    ActionsBlock,
    Block,
    ButtonElement,
    ContextBlock,
    MarkdownTextObject,
    SectionBlock,
)

from bot import metrics
from bot.events.grouping import group_key
from bot.events.lifecycle import notice_of
from bot.events.notifier import Notice, NotifyFailed
from bot.guardrails.policy import Request
from bot.services import Services
from bot.store import StoreUnavailable
from bot.summary import Summary
from diagnosis.knowledge import CATALOG
from diagnosis.models import Diagnosis
from handlers.grammar import Command
from handlers.render.diagnosis import MUTE, RERUN, Message, thread
from handlers.render.summary import summary_message
from handlers.render.text import MAX_BLOCKS, code, cut, escape
from handlers.replies import CannotPost, post

log = logging.getLogger(__name__)
ACK = "ecs_why_ack"
USER = re.compile(r"^[UW][A-Z0-9]{1,20}$")
MUTE_SECONDS = 3600
THREAD_DETAILS = 3  # the first stop's findings in the thread; more would bury the later updates
# Errors that another try cannot fix: the notification is dropped (and logged), not retried forever.
PERMANENT = {
    "channel_not_found",
    "not_in_channel",
    "is_archived",
    "message_not_found",
    "cant_update_message",
    "invalid_blocks",
    "msg_too_long",
    "restricted_action",
    "invalid_auth",
    "account_inactive",
    "token_revoked",
    "missing_scope",
    "not_authed",
    "edit_window_closed",
}


def group_message(notice: Notice, account_alias: str | None = None, previous_link: str = "") -> Message:
    """The channel message of a group: cause, service, the running count, the latest stop, its state
    (open, acknowledged by whom, recovered) and the buttons that state allows."""
    mark = "✅" if notice.resolved else "🔴" if notice.failure else "🔵"
    plural = "s" if notice.count != 1 else ""
    since = f" since {notice.opened_at[11:16]} UTC" if len(notice.opened_at) >= 16 else ""
    state = f" — recovered ({notice.resolved.removeprefix('recovered ')})" if notice.resolved else ""
    text = f"ecs-why {notice.label}: {notice.title} ({notice.category}) × {notice.count}{state}"
    lines = [
        f"{mark} *{escape(notice.title)}*",
        f"`{notice.category}` on *{escape(notice.label)}* · *{notice.count} stop{plural}*{since} "
        f"(grouped for {notice.window_minutes} min)",
        escape(notice.summary),
    ]
    blocks: list[Block] = [SectionBlock(text=MarkdownTextObject(text=cut("\n".join(lines))))]
    if notice.resolved:
        blocks.append(
            SectionBlock(text=MarkdownTextObject(text=f"✅ *{escape(_sentence(notice.resolved))}*"))
        )
    if notice.latest_task or notice.latest_reason:
        blocks.append(ContextBlock(elements=[MarkdownTextObject(text=cut(_latest(notice), 2000))]))
    states = []
    if notice.acked_by and USER.match(notice.acked_by):
        when = f" at {notice.acked_at[11:16]} UTC" if len(notice.acked_at) >= 16 else ""
        states.append(f"👀 Acknowledged by <@{notice.acked_by}>{when}")
    if notice.previous_ts:
        last = f"<{previous_link}|the last alert>" if previous_link else "the last alert"
        states.append(f"↩️ Again: {last} {escape(notice.previous_resolved or 'recovered')}")
    if states:
        blocks.append(ContextBlock(elements=[MarkdownTextObject(text=cut(" · ".join(states), 2000))]))
    command = Command(
        "diagnose", notice.service, notice.cluster or None, notice.region or None, account_alias
    ).text()  # "Diagnose now" reads the service's own account, through its alias
    buttons = [ButtonElement(text="Diagnose now", action_id=RERUN, value=command[:2000])]
    if not notice.resolved:
        if not notice.acked_by:
            buttons.insert(
                0,
                ButtonElement(
                    text="Acknowledge", action_id=ACK, value=notice.fingerprint[:2000], style="primary"
                ),
            )
        buttons.append(ButtonElement(text="Mute 1h", action_id=MUTE, value=notice.fingerprint[:2000]))
    blocks.append(ActionsBlock(elements=buttons))
    return Message(text=cut(text, 3000), blocks=[b.to_dict() for b in blocks[:MAX_BLOCKS]])


def _sentence(text: str) -> str:
    return text[:1].upper() + text[1:]


def _thread_note(text: str) -> Message:
    return Message(text=text, blocks=[SectionBlock(text=MarkdownTextObject(text=cut(text))).to_dict()])


def update_reply(notice: Notice, added: int) -> Message:
    """The thread reply of an update: how many more stops, and the latest one."""
    head = f"+{added} more stop{'s' if added != 1 else ''} (now {notice.count})"
    body = f"*{head}*\n{_latest(notice)}"
    return Message(text=head, blocks=[SectionBlock(text=MarkdownTextObject(text=cut(body))).to_dict()])


def _latest(notice: Notice) -> str:
    task = notice.latest_task.rsplit("/", 1)[-1]
    when = f" at {notice.latest_at[:19].replace('T', ' ')}" if notice.latest_at else ""
    who = f"task {code(task)}" if task else "latest event"
    return f"Latest: {who}{when}" + (
        f" — {escape(notice.latest_reason[:300])}" if notice.latest_reason else ""
    )


class SlackNotifier:
    """`bot.events.notifier.Notifier` on Slack's Web API (the client retries 429s and connection resets)."""

    def __init__(self, client: WebClient, account_aliases: dict[str, str] | None = None) -> None:
        self.client = client
        self.account_aliases = account_aliases or {}  # account ID -> alias in ECS_WHY_ACCOUNTS

    def open_group(self, channel: str, notice: Notice) -> str:
        try:
            message = group_message(
                notice, self.account_aliases.get(notice.account), self._link(channel, notice)
            )
            return post(self.client, channel, message)
        except CannotPost as exc:
            raise NotifyFailed(f"cannot post in {channel}: {exc}", permanent=True) from None
        except Exception as exc:
            raise _failed(exc) from None

    def add_details(self, channel: str, ts: str, diagnosis: Diagnosis) -> None:
        for message in thread(diagnosis)[:THREAD_DETAILS]:
            try:
                post(self.client, channel, message, ts)
            except Exception as exc:  # the group is posted; its details are a bonus
                log.warning("could not add details to %s in %s: %s", ts, channel, exc)
                return

    def _link(self, channel: str, notice: Notice) -> str:
        """The permalink of the last alert a recurrence points at ("" when Slack cannot give it)."""
        if not notice.previous_ts:
            return ""
        try:
            return str(
                self.client.chat_getPermalink(channel=channel, message_ts=notice.previous_ts)["permalink"]
            )
        except Exception as exc:
            log.info("no permalink for %s in %s: %s", notice.previous_ts, channel, exc)
            return ""

    def resolve_group(self, channel: str, ts: str, notice: Notice) -> None:
        message = group_message(notice, self.account_aliases.get(notice.account))
        try:
            self.client.chat_update(channel=channel, ts=ts, text=message.text, blocks=message.blocks)
            note = (
                f"✅ {escape(_sentence(notice.resolved))}: the service runs its desired tasks. "
                "A new failure opens a new alert."
            )
            post(self.client, channel, _thread_note(note), ts)
        except CannotPost as exc:
            raise NotifyFailed(f"cannot post in {channel}: {exc}", permanent=True) from None
        except Exception as exc:
            raise _failed(exc) from None

    def escalate(self, channel: str, ts: str, notice: Notice, usergroup: str, minutes: int) -> None:
        text = (
            f"<!subteam^{usergroup}> this alert has been open for {minutes} min and nobody acknowledged "
            f"it: `{notice.category}` on *{escape(notice.label)}*, {notice.count} "
            f"stop{'s' if notice.count != 1 else ''}."
        )
        try:
            post(self.client, channel, _thread_note(text), ts)
        except CannotPost as exc:
            raise NotifyFailed(f"cannot post in {channel}: {exc}", permanent=True) from None
        except Exception as exc:
            raise _failed(exc) from None

    def post_summary(self, channel: str, summary: Summary) -> None:
        try:
            post(self.client, channel, summary_message(summary, title="Daily summary"))
        except CannotPost as exc:
            raise NotifyFailed(f"cannot post in {channel}: {exc}", permanent=True) from None
        except Exception as exc:
            raise _failed(exc) from None

    def update_group(self, channel: str, ts: str, notice: Notice, added: int) -> None:
        message = group_message(notice, self.account_aliases.get(notice.account))
        try:
            self.client.chat_update(channel=channel, ts=ts, text=message.text, blocks=message.blocks)
            post(self.client, channel, update_reply(notice, added), ts)
        except CannotPost as exc:
            raise NotifyFailed(f"cannot post in {channel}: {exc}", permanent=True) from None
        except Exception as exc:
            raise _failed(exc) from None


def _failed(exc: Exception) -> NotifyFailed:
    if isinstance(exc, SlackApiError):
        error = str(exc.response.get("error"))
        return NotifyFailed(f"slack: {error}", permanent=error in PERMANENT)
    return NotifyFailed(f"slack unreachable: {type(exc).__name__}: {exc}", permanent=False)


def valid_fingerprint(value: str) -> bool:
    """account:region:cluster:service:category with a known category (a button value is user-controlled)."""
    parts = value.split(":")
    return len(value) <= 600 and len(parts) == 5 and all(parts[2:4]) and parts[4] in CATALOG


def register(app: App, services: Services) -> None:
    def ack_mute(ack: Ack) -> None:
        metrics.REQUESTS.labels("action").inc()
        ack()

    def mute(body: dict[str, Any], action: dict[str, Any], client: WebClient, respond: Respond) -> None:
        fingerprint, user = str(action.get("value", "")), body["user"]["id"]
        channel = (body.get("channel") or {}).get("id") or (body.get("container") or {}).get("channel_id", "")
        ts = (body.get("message") or {}).get("ts") or (body.get("container") or {}).get("message_ts")
        if not valid_fingerprint(fingerprint):
            respond(response_type="ephemeral", replace_original=False, text="⚠️ This button is not valid.")
            return
        account, _region, cluster, service, _category = fingerprint.split(":")
        policy = services.remediator.policy  # silencing a service's alerts is for who may fix it
        if not policy.may_fix(user, cluster, service, account or None):
            who = policy.who_may(
                Request(user, "", cluster, service, account or None, None, None), any_action=True
            )
            respond(
                response_type="ephemeral",
                replace_original=False,
                text=f"🚫 Only people a guardrail rule lets fix {escape(cluster)}/{escape(service)} may mute "
                f"its alerts; allowed: {who}.",
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
        _, _, cluster, service, category = fingerprint.split(":")
        note = (
            f"🔕 <@{user}> muted `{category}` on *{escape(cluster)}/{escape(service)}* in this channel for 1 h: "
            "stops are still counted and stored, not posted here."
        )
        try:
            blocks = [SectionBlock(text=MarkdownTextObject(text=note)).to_dict()]
            post(client, channel, Message(text=note, blocks=blocks), ts)
        except (CannotPost, SlackApiError):
            respond(response_type="ephemeral", replace_original=False, text=note)

    def acknowledge(
        body: dict[str, Any], action: dict[str, Any], client: WebClient, respond: Respond
    ) -> None:
        fingerprint, user = str(action.get("value", "")), body["user"]["id"]
        channel = (body.get("channel") or {}).get("id") or (body.get("container") or {}).get("channel_id", "")
        if not valid_fingerprint(fingerprint) or not USER.match(user):
            respond(response_type="ephemeral", replace_original=False, text="⚠️ This button is not valid.")
            return
        gkey = group_key(fingerprint, channel)
        try:
            alert = services.store.alert_get(gkey)
            won = (
                bool(alert)
                and not (alert or {}).get("resolved")
                and services.store.alert_mark(gkey, "acked_by", user)
            )
            if won:
                metrics.ALERTS.labels("acknowledged").inc()
                services.store.alert_mark(gkey, "acked_at", datetime.now(UTC).isoformat(timespec="seconds"))
                alert = services.store.alert_get(gkey)
        except StoreUnavailable:
            respond(
                response_type="ephemeral",
                replace_original=False,
                text="⚠️ My state store is unreachable; the alert is not acknowledged. Try again in a minute.",
            )
            return
        notice = notice_of(alert) if alert else None
        if alert is None or notice is None:
            respond(
                response_type="ephemeral", replace_original=False, text="This alert is no longer tracked."
            )
            return
        if not won:
            said = (
                f"This alert already recovered: {escape(notice.resolved)}."
                if notice.resolved
                else f"<@{notice.acked_by}> already acknowledged this alert."
            )
            respond(response_type="ephemeral", replace_original=False, text=said)
            return
        ts = str(alert.get("ts"))
        message = group_message(notice)
        try:
            client.chat_update(channel=channel, ts=ts, text=message.text, blocks=message.blocks)
            post(client, channel, _thread_note(f"👀 <@{user}> acknowledged this alert."), ts)
        except (CannotPost, SlackApiError) as exc:
            log.warning("could not show the acknowledgement of %s: %s", gkey, exc)
            respond(
                response_type="ephemeral",
                replace_original=False,
                text="👀 Acknowledged (I could not edit the message).",
            )

    app.action(MUTE)(ack=ack_mute, lazy=[mute])
    app.action(ACK)(ack=ack_mute, lazy=[acknowledge])
