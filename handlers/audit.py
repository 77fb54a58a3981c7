"""`/ecs-why audit [SERVICE] [--since 7d]`: the audit log, answered only to the person who asked."""

from __future__ import annotations

from slack_bolt import Respond

from bot.audit import DEFAULT_SINCE, entry, read
from bot.services import Services
from bot.store import StoreUnavailable
from diagnosis.live import parse_since
from handlers.grammar import Command
from handlers.render.audit import audit_message


def audit_and_respond(services: Services, command: Command, respond: Respond) -> None:
    since = command.since or DEFAULT_SINCE
    try:
        records = read(services.store, parse_since(since), command.target)
    except StoreUnavailable:
        respond(
            response_type="ephemeral", text="⚠️ My state store is unreachable, and the audit log lives there."
        )
        return
    message = audit_message([entry(r) for r in records], command.target, since)
    respond(response_type="ephemeral", text=message.text, blocks=message.blocks)
