"""What a follow-up in a diagnosis thread or a DM asks (`@ecs-why logs`, `events`, `diff`, `history 7d`,
`tasks`, `rerun`, `why oom`, `help`), read from the Slack message. The answers come from the engine and its
evidence (bot.lookup reads what `events` and `tasks` show), never from a language model."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

from diagnosis.knowledge import CATALOG
from diagnosis.live import parse_since
from handlers.extract import find_in_message
from handlers.grammar import Command
from handlers.unslack import unslack

Ask = Literal["logs", "events", "diff", "history", "tasks", "rerun", "why", "help", "unknown"]
ASKS: tuple[Ask, ...] = ("logs", "events", "diff", "history", "tasks", "rerun", "why", "help")
SYNONYMS: dict[str, Ask] = {
    "log": "logs", "event": "events", "task": "tasks", "stopped": "tasks", "re-run": "rerun",
    "again": "rerun", "diagnose": "rerun", "revision": "diff", "changes": "diff", "?": "help",
}  # fmt: skip
MENTION = re.compile(r"<@[A-Z0-9]+(?:\|[^>]*)?>")

HELP = """\
*Ask me in this thread* (mention me): I answer about the same service.
• `logs` — more log lines of the failed container
• `events` — the service's recent events
• `diff` — the task definition against the last steady revision
• `history 7d` — stored stops per cause (any window: 30m, 24h, 7d, 2w)
• `tasks` — the stopped tasks grouped with their exit codes
• `rerun` — diagnose again, now
• `why CATEGORY` — why a cause happens and how to fix it (e.g. `why oom`)
In a DM, name the service: `logs prod/web-api`."""


@dataclass(frozen=True)
class FollowUp:
    ask: Ask
    argument: str = ""  # `history 7d` → "7d", `why oom` → "oom"; the unknown word for "unknown"
    target: Command | None = None  # a service or task named in the message itself (DMs)


def read_followup(message: Mapping[str, Any]) -> FollowUp:
    """The first word of the text says what is asked; a target named anywhere in the message (its text,
    blocks or attachments) is kept: a DM has no thread to take it from. Bot mentions and Slack's
    punctuation are dropped first."""
    text = unslack(MENTION.sub(" ", str(message.get("text") or "")))
    found = find_in_message({**message, "text": text}).commands
    target = found[0] if found else None
    words = text.split()
    if target is not None:
        words = [w for w in words if w.strip("<>`'\".,") != target.target]
    if not words:
        return FollowUp("rerun" if target else "help", target=target)
    first = words[0].lower()
    ask: Ask | None = next((a for a in ASKS if a == first), None) or SYNONYMS.get(first)
    argument = words[1] if len(words) > 1 else ""
    if ask is None:
        return FollowUp("unknown", first, target)
    if ask == "history":
        argument = argument or "7d"
        try:
            parse_since(argument)
        except ValueError:
            return FollowUp("unknown", f"history {argument}", target)
    if ask == "why" and argument.lower() not in CATALOG:
        return FollowUp("unknown", f"why {argument}".strip(), target)
    if ask == "why":
        argument = argument.lower()
    return FollowUp(ask, argument if ask in ("history", "why") else "", target)

