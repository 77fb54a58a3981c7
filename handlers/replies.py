"""Posting a diagnosis to Slack: headline in the channel (or the asked-about message's thread), details in
its thread, fix buttons backed by pending actions. Handles the bot not being in the channel."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.jobs import once
from bot.services import Services
from bot.store import StoreUnavailable
from bot.store.records import FixTarget, PendingAction
from diagnosis.models import Action, Diagnosis, Target
from handlers.grammar import Command
from handlers.render.diagnosis import Message, headline, thread
from handlers.render.text import escape

log = logging.getLogger(__name__)
Respond = Callable[..., Any]


class CannotPost(Exception):
    """The bot cannot post in this conversation (private channel or DM it is not in)."""


def post(client: WebClient, channel: str, message: Message, thread_ts: str | None = None) -> str:
    """chat.postMessage; joins a public channel it is not in and tries once more. Returns the ts.

    Within a job, once: a job run again (its worker died) gets the ts of its earlier post instead."""
    return once(lambda: _post(client, channel, message, thread_ts))


def _post(client: WebClient, channel: str, message: Message, thread_ts: str | None) -> str:
    kwargs: dict[str, Any] = {
        "channel": channel,
        "text": message.text,
        "blocks": message.blocks,
        "unfurl_links": False,
        "unfurl_media": False,
    }
    if thread_ts:
        kwargs["thread_ts"] = thread_ts
    try:
        return str(client.chat_postMessage(**kwargs)["ts"])
    except SlackApiError as exc:
        if exc.response.get("error") not in ("not_in_channel", "channel_not_found"):
            raise
    try:
        client.conversations_join(channel=channel)
        return str(client.chat_postMessage(**kwargs)["ts"])
    except SlackApiError as exc:
        raise CannotPost(str(exc.response.get("error"))) from None


def update(client: WebClient, channel: str, ts: str, message: Message) -> None:
    """chat.update of a message the bot posted (the "diagnosing…" placeholder becomes the answer)."""
    client.chat_update(channel=channel, ts=ts, text=message.text, blocks=message.blocks)


def fixes_for(
    services: Services, diagnosis: Diagnosis, command: Command, channel: str, user: str
) -> list[tuple[Any, str]]:
    """Pending actions for the top finding's remediations; the buttons carry only their keys."""
    if not diagnosis.findings:
        return []
    top = diagnosis.findings[0]
    return [
        (action, offer(services, action, diagnosis.target, command, channel, user, top.category))
        for action in top.actions
    ]


def offer(
    services: Services,
    action: Action,
    target: Target,
    command: Command,
    channel: str,
    user: str,
    category: str,
) -> str:
    """Store a fix as a pending action for this target, offered to `user` in `channel`; returns the key
    its button carries (one shape for diagnoses, check and exec-check)."""
    where = FixTarget(
        account=target.account,
        account_alias=command.account,
        region=target.region,
        cluster=target.cluster,
        service=target.service,
    )
    return services.remediator.offer(
        PendingAction(
            action=action,
            target=where,
            channel=channel,
            offered_to=user,
            command=command.text(),
            category=category,
        )
    )


def publish(
    client: WebClient,
    services: Services,
    diagnosis: Diagnosis,
    command: Command,
    channel: str,
    user: str,
    respond: Respond | None = None,
    thread_ts: str | None = None,
    placeholder: str | None = None,
    pasted: str | None = None,
) -> str | None:
    """Headline (with buttons) then the thread. `placeholder`: the ts of the "diagnosing…" message, which
    becomes the headline in place. Falls back to the response URL where it cannot post, and tells the
    user there when Slack still refuses after the client's retries (the answer is never lost silently).
    With the state store down the answer comes without fix buttons, and says so. `pasted`: the answer
    explains a message or pasted text (no live target was read): no Re-run, and this name (e.g. "this
    message") for its subject where it names no service or task."""
    try:
        fixes = fixes_for(services, diagnosis, command, channel, user)
        note = None
    except StoreUnavailable:
        log.warning("fix buttons left out: the state store (Redis) is unreachable")
        fixes, note = [], NO_FIXES
    named = any((diagnosis.target.cluster, diagnosis.target.service, diagnosis.target.task))
    subject = pasted if pasted and not named else None
    top = headline(diagnosis, None if pasted else command.text(), fixes, subject)
    if note is not None:
        top = Message(text=top.text, blocks=[*top.blocks, _context(note)])
    try:
        ts = _show(client, channel, top, thread_ts, placeholder)
    except CannotPost:
        if respond is None:
            raise
        invite = (
            "_I am not in this conversation, so the details cannot go in a thread: invite me with "
            "`/invite @ecs-why` (private channels), or ask me in a channel I am in._"
        )
        respond(response_type="in_channel", text=top.text, blocks=[*top.blocks, _context(invite)])
        return None
    except (SlackApiError, OSError) as error:
        tell_failed(respond, error, "my answer could not be posted here", without_thread_line(top))
        if placeholder:
            drop_placeholder(client, channel, placeholder)
        return None
    try:  # follow-ups in this thread (`@ecs-why logs`) are about this target, from the moment it shows
        if named or not pasted:
            services.store.remember_thread(channel, thread_ts or ts, command.text())
    except StoreUnavailable:
        log.warning("could not remember the thread %s: follow-ups there will ask for the target", ts)
    try:
        for message in thread(diagnosis):
            post(client, channel, message, thread_ts or ts)
    except (SlackApiError, OSError) as error:
        tell_failed(respond, error, "the details could not be posted in the thread", None)
    return ts


def _show(client: WebClient, channel: str, top: Message, thread_ts: str | None, placeholder: str | None) -> str:
    """The headline: the "diagnosing…" message updated in place; where Slack refuses the update (the
    message was deleted, a rate limit after the retries), a new message where the placeholder was, and
    the placeholder taken away. Returns the ts of the message the thread goes under."""
    if not placeholder:
        return post(client, channel, top, thread_ts)
    try:
        update(client, channel, placeholder, top)
        return placeholder
    except (SlackApiError, OSError) as error:
        log.warning("could not update the diagnosing message, posting the answer anew: %s", slack_failure(error))
    ts = post(client, channel, top, thread_ts)
    drop_placeholder(client, channel, placeholder)
    return ts


def drop_placeholder(client: WebClient, channel: str, placeholder: str) -> None:
    """A "diagnosing…" message that did not become the answer must not say so forever: deleted, or
    (where it cannot be) said to have ended. Best effort: Slack may refuse both."""
    try:
        client.chat_delete(channel=channel, ts=placeholder)
        return
    except (SlackApiError, OSError) as error:
        if isinstance(error, SlackApiError) and error.response.get("error") == "message_not_found":
            return  # deleted already: nothing says "diagnosing"
    ended = "🔎 Diagnosis finished: its answer could not be shown in this message."
    try:
        client.chat_update(channel=channel, ts=placeholder, text=ended, blocks=[_context(ended)])
    except (SlackApiError, OSError) as error:
        log.warning("the diagnosing message %s could not be taken away: %s", placeholder, slack_failure(error))


THREAD_LINE = "are in the thread 🧵"


def without_thread_line(message: Message) -> Message:
    """An answer shown where no thread follows it (only to the user): its "… in the thread" line says
    instead that the details could not be posted."""
    blocks = [b for b in message.blocks if THREAD_LINE not in str(b)]
    if len(blocks) == len(message.blocks):
        return message
    note = "_The evidence and commands could not be posted: run `ecs-why diagnose` or ask me again._"
    return Message(text=message.text, blocks=[*blocks, _context(note)])


NO_FIXES = "_Fix buttons are unavailable until my state store (Redis) is back; re-run the diagnosis then._"


def _context(text: str) -> dict[str, Any]:
    return {"type": "context", "elements": [{"type": "mrkdwn", "text": text}]}


def slack_failure(error: BaseException) -> str:
    """What Slack answered, in a few words: `chat.postMessage: HTTP 500 (fatal_error)` or the network error."""
    if isinstance(error, SlackApiError):
        response = error.response
        method = str(getattr(response, "api_url", "")).rsplit("/", 1)[-1] or "Slack"
        return f"{method}: HTTP {getattr(response, 'status_code', '?')} ({response.get('error', 'error')})"
    return f"Slack unreachable ({type(error).__name__})"


def tell_failed(respond: Respond | None, error: BaseException, what: str, answer: Message | None) -> None:
    """Slack refused a post even after retries: say so to the asking user (response_url), with the answer."""
    reason = slack_failure(error)
    log.warning("%s: %s", what, reason, extra={"slack_error": reason})
    if respond is None:
        return
    text = f"⚠️ Slack refused my message ({escape(reason)}), so {what}."
    if answer is not None:
        text += " Here it is, only for you:"
    section = {"type": "section", "text": {"type": "mrkdwn", "text": text}}
    try:
        respond(
            response_type="ephemeral",
            replace_original=False,
            text=text + (f"\n{answer.text}" if answer else ""),
            blocks=[section, *answer.blocks] if answer else [section],
        )
    except Exception as failure:  # the response URL failed too: the log line above is all we can do
        log.warning("could not tell the user either: %s", type(failure).__name__)
