"""The `bot.events.notifier.Notifier` the event pipeline posts through, on Slack's Web API: one message per
service and cause (its counter updated in place), details and later stops in its thread, so a storm reads
as one line in the channel. What the messages say is handlers/render/alert.py."""

from __future__ import annotations

import logging

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.events.notifier import Notice, NotifyFailed
from bot.summary import Summary
from diagnosis.models import Diagnosis
from handlers.render.alert import escalation_note, group_message, resolved_note, update_reply
from handlers.render.diagnosis import thread
from handlers.render.summary import summary_message
from handlers.replies import CannotPost, post

log = logging.getLogger(__name__)
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
            post(self.client, channel, resolved_note(notice), ts)
        except CannotPost as exc:
            raise NotifyFailed(f"cannot post in {channel}: {exc}", permanent=True) from None
        except Exception as exc:
            raise _failed(exc) from None

    def escalate(self, channel: str, ts: str, notice: Notice, usergroup: str, minutes: int) -> None:
        try:
            post(self.client, channel, escalation_note(notice, usergroup, minutes), ts)
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
