"""Finds what to diagnose in any message text: task and service ARNs, `cluster/service` names, and pasted
ECS event or describe-* JSON (explained without AWS). Used by the "Why did this stop?" shortcut."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass

from bot.commands import Command

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


@dataclass(frozen=True)
class Found:
    commands: list[Command]
    documents: list[object]  # parsed JSON documents to explain as they are


def find_targets(text: str) -> Found:
    documents, rest = _json_documents(text)  # what pasted JSON holds is explained, not diagnosed again
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
    return Found(commands[:MAX_TARGETS], documents[:MAX_TARGETS])


def _add(commands: list[Command], seen: set[str], command: Command) -> None:
    if command.target not in seen:
        seen.add(command.target)
        commands.append(command)


def _json_documents(text: str) -> tuple[list[object], str]:
    """JSON objects pasted in the text (possibly inside ``` fences), and the text without them."""
    decoder = json.JSONDecoder()
    found: list[object] = []
    spans: list[tuple[int, int]] = []
    index = text.find("{")
    while index != -1 and len(found) < MAX_TARGETS:
        try:
            doc, end = decoder.raw_decode(text, index)
        except ValueError:
            index = text.find("{", index + 1)
            continue
        if isinstance(doc, dict):
            found.append(doc)
            spans.append((index, end))
        index = text.find("{", end)
    rest = text
    for start, end in reversed(spans):
        rest = rest[:start] + " " + rest[end:]
    return found, rest
