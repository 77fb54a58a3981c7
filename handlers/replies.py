"""Posting a diagnosis to Slack: headline in the channel (or the asked-about message's thread), details in
its thread, fix buttons backed by pending actions. Handles the bot not being in the channel."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.commands import Command
from bot.jobs import once
from bot.services import Services
from bot.store import StoreUnavailable
from diagnosis.models import Diagnosis
from handlers.render.diagnosis import Message, headline, thread

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
    target = {
        "account": diagnosis.target.account,
        "account_alias": command.account,
        "region": diagnosis.target.region,
        "cluster": diagnosis.target.cluster,
        "service": diagnosis.target.service,
    }
    offered = []
    for remediation in diagnosis.findings[0].remediations:
        if remediation.action is None:
            continue
        key = services.remediator.offer(
            remediation.action.model_dump(),
            {
                "target": target,
                "channel": channel,
                "offered_to": user,
                "command": command.text(),
                "category": diagnosis.findings[0].category,
            },
        )
        offered.append((remediation.action, key))
    return offered


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
) -> str | None:
    """Headline (with buttons) then the thread. `placeholder`: the ts of the "diagnosing…" message, which
    becomes the headline in place. Falls back to the response URL where it cannot post."""
    fixes = fixes_for(services, diagnosis, command, channel, user)
    top = headline(diagnosis, command.text(), fixes)
    try:
        if placeholder:
            update(client, channel, placeholder, top)
            ts = placeholder
        else:
            ts = post(client, channel, top, thread_ts)
    except CannotPost:
        if respond is None:
            raise
        invite = (
            "_I am not in this conversation, so the details cannot go in a thread: invite me with "
            "`/invite @ecs-why` (private channels), or ask me in a channel I am in._"
        )
        respond(
            response_type="in_channel",
            text=top.text,
            blocks=[*top.blocks, {"type": "context", "elements": [{"type": "mrkdwn", "text": invite}]}],
        )
        return None
    for message in thread(diagnosis):
        post(client, channel, message, thread_ts or ts)
    try:  # follow-ups in this thread (`@ecs-why logs`) are about this target
        services.store.remember_thread(channel, thread_ts or ts, command.text())
    except StoreUnavailable:
        log.warning("could not remember the thread %s: follow-ups there will ask for the target", ts)
    return ts
