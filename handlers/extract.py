"""Finds what to explain and what to diagnose in any Slack message: the text, `blocks` (rich_text, section,
context, fields, header) and legacy `attachments` (title, pretext, text, fields), as people, AWS Chatbot /
Amazon Q Developer, EventBridge notifiers and CloudWatch alarm bots post them.

Used by the "Why did this stop?" shortcut, and by thread replies and DMs to the bot: `find_in_message`.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from diagnosis.intake import InputError, Intake, read_input, split_json
from handlers.grammar import Command

MAX_TARGETS = 5
SERVICE_ARN = re.compile(r"arn:aws[\w-]*:ecs:[a-z0-9-]+:\d{12}:service/[\w-]+(?:/[\w-]+)?")
TASK_ARN = re.compile(r"arn:aws[\w-]*:ecs:[a-z0-9-]+:\d{12}:task/[\w-]+(?:/[0-9a-f-]{32,36})?")
CLUSTER_SERVICE = re.compile(r"(?<![\w/:.@-])([A-Za-z][\w-]{0,254})/([A-Za-z][\w-]{0,254})(?![\w/.:@-])")
# Pairs of words that prose writes with a slash; never a cluster/service.
PROSE = {
    "and/or",
    "tcp/ip",
    "cpu/memory",
    "yes/no",
    "read/write",
    "input/output",
    "client/server",
    "true/false",
    "on/off",
    "he/she",
    "i/o",
    "n/a",
    "w/o",
    "start/stop",
    "before/after",
    "up/down",
    "get/set",
    "dev/null",
}
URLISH = re.compile(r"https?://\S+")
_SLACK_LINK = re.compile(r"<([^<>|]+)\|([^<>]*)>|<([^<>|]+)>")


@dataclass(frozen=True)
class Found:
    """What a message asks about.

    `commands`: targets to diagnose live (task and service ARNs, `cluster/service` names outside pasted
    JSON). `explained`: what the message itself says about ECS (stop reasons, service events, pasted JSON),
    read without AWS, or None when it says nothing of ECS. `text`: the message's text as it was read."""

    commands: list[Command] = field(default_factory=list)
    explained: Intake | None = None
    text: str = ""


def find_in_message(message: Mapping[str, Any] | str) -> Found:
    """Everything to answer about one message: a Slack message payload (`text`, `blocks`, `attachments`)
    or plain text (a thread reply, a DM). Never raises on any payload.

    Explain `explained` (diagnosis.engine.diagnose(explained.observations, gaps=explained.gaps)) and
    diagnose each of `commands`; when a command finds nothing (ECS forgets stopped tasks after about an
    hour), `explained` is what the message still tells."""
    text = message if isinstance(message, str) else message_text(message)
    try:
        explained: Intake | None = read_input(text)
    except InputError:
        explained = None
    return Found(find_targets(text), explained, text)


def find_targets(text: str) -> list[Command]:
    """Task and service ARNs and `cluster/service` names in the text, outside pasted JSON (what pasted JSON
    holds is explained as it is, not diagnosed again); at most MAX_TARGETS, each once."""
    _, rest = split_json(text)
    commands: list[Command] = []
    seen: set[str] = set()
    without_urls = URLISH.sub(" ", rest)
    for pattern in (TASK_ARN, SERVICE_ARN):
        for match in pattern.finditer(without_urls):
            _add(commands, seen, Command("diagnose", match.group(0)))
        without_urls = pattern.sub(" ", without_urls)
    for match in CLUSTER_SERVICE.finditer(without_urls):
        if match.group(0).lower() not in PROSE:
            _add(commands, seen, Command("diagnose", f"{match.group(1)}/{match.group(2)}"))
    return commands[:MAX_TARGETS]


def _add(commands: list[Command], seen: set[str], command: Command) -> None:
    if command.target not in seen:
        seen.add(command.target)
        commands.append(command)


def message_text(message: Mapping[str, Any]) -> str:
    """The readable text of a Slack message: `text`, then `blocks`, then each attachment (its pretext,
    title, text, `title: value` fields, blocks and fallback). A line already read from an earlier part is not
    read again (`text` is often the fallback copy of the blocks). Slack's escaping and links undone."""
    parts: list[str] = [_str(message.get("text"))]
    parts.append("\n".join(_blocks_text(message.get("blocks"))))
    for attachment in _dicts(message.get("attachments")):
        pieces = [_str(attachment.get(k)) for k in ("pretext", "title", "text")]
        pieces += [
            f"{_str(f.get('title'))}: {_str(f.get('value'))}" if f.get("title") else _str(f.get("value"))
            for f in _dicts(attachment.get("fields"))
        ]
        pieces += [*_blocks_text(attachment.get("blocks")), _str(attachment.get("fallback"))]
        parts.append("\n".join(p for p in pieces if p))
    seen: set[str] = set()
    lines: list[str] = []
    for part in parts:
        fresh = [line for line in _unescape(part).splitlines() if line.strip() not in seen]
        seen.update(line.strip() for line in fresh)
        lines += fresh
    return "\n".join(lines).strip()


def _blocks_text(blocks: object) -> Iterator[str]:
    """Text of Block Kit blocks, one string per block-level element (rich_text sections joined inline)."""
    for block in _dicts(blocks):
        kind = block.get("type")
        if kind in ("section", "header"):
            if isinstance(block.get("text"), Mapping):
                yield _str(block["text"].get("text"))
            for f in _dicts(block.get("fields")):
                yield _str(f.get("text"))
        elif kind == "context":
            for element in _dicts(block.get("elements")):
                yield _str(element.get("text"))
        elif kind == "rich_text":
            for element in _dicts(block.get("elements")):
                yield from _rich_text(element)


def _rich_text(element: Mapping[str, Any]) -> Iterator[str]:
    if element.get("type") == "rich_text_list":
        for item in _dicts(element.get("elements")):
            yield from _rich_text(item)
        return
    inline = []
    for part in _dicts(element.get("elements")):
        if part.get("type") == "link":
            inline.append(_str(part.get("text")) or _str(part.get("url")))
        elif isinstance(part.get("text"), str):
            inline.append(part["text"])
    yield "".join(inline)


def _dicts(value: object) -> list[Mapping[str, Any]]:
    return [v for v in value if isinstance(v, Mapping)] if isinstance(value, list) else []


def _str(value: object) -> str:
    return value if isinstance(value, str) else ""


def _unescape(text: str) -> str:
    """Slack's `<url|label>` links and `&lt;` escapes, back to what the person (or bot) wrote."""

    def link(m: re.Match[str]) -> str:
        if m.group(3):
            return m.group(3)
        return m.group(2) if m.group(2) in m.group(1) else f"{m.group(2)} ({m.group(1)})"

    return html.unescape(_SLACK_LINK.sub(link, text)) if "<" in text or "&" in text else text
