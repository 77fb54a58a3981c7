"""`/ecs-why summary prod [--since 24h]`: the cluster's failures, recoveries and open alerts, posted in the
channel; an ephemeral error when the cluster does not exist or the state store cannot be read."""

from __future__ import annotations

import logging

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.services import Services
from bot.store import StoreUnavailable
from bot.summary import build_summary, summary_scope
from handlers.grammar import Command
from handlers.render.summary import summary_message
from handlers.render.text import escape
from handlers.replies import CannotPost, Respond, post

log = logging.getLogger(__name__)
DEFAULT_SINCE = "24h"


def post_summary(
    client: WebClient, services: Services, command: Command, channel: str, respond: Respond
) -> bool:
    """True when the summary reached the channel (or the response URL where the bot cannot post)."""
    try:
        scope, notes = summary_scope(services.settings, command)
        summary = build_summary(services.store, [scope], command.since or DEFAULT_SINCE, channel, notes=notes)
    except ValueError as exc:
        respond(response_type="ephemeral", text=f"⚠️ {escape(str(exc))}")
        return False
    except StoreUnavailable:
        respond(
            response_type="ephemeral",
            text="⚠️ My state store (Redis) is unreachable right now, and the history and alerts a summary "
            "reads are kept there. Try again in a minute.",
        )
        return False
    message = summary_message(summary)
    try:
        post(client, channel, message)
    except CannotPost:
        respond(response_type="in_channel", text=message.text, blocks=message.blocks)
    except (SlackApiError, OSError) as exc:
        log.warning("could not post the summary of %s: %s", summary.label, exc)
        respond(response_type="ephemeral", text="⚠️ Slack refused my summary; try again in a minute.")
        return False
    return True
