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
CLUSTER_SERVICE = re.compile(r"(?<![\w/:.-])([A-Za-z][\w-]{0,254})/([A-Za-z][\w-]{0,254})(?![\w/.-])")
URLISH = re.compile(r"https?://\S+")


@dataclass(frozen=True)
class Found:
    commands: list[Command]
    documents: list[object]  # parsed JSON documents to explain as they are


def find_targets(text: str) -> Found:
    documents = _json_documents(text)
    commands: list[Command] = []
    seen: set[str] = set()
    without_urls = URLISH.sub(" ", text)
    for pattern in (TASK_ARN, SERVICE_ARN):
        for match in pattern.finditer(without_urls):
            _add(commands, seen, Command("diagnose", match.group(0)))
        without_urls = pattern.sub(" ", without_urls)
    for match in CLUSTER_SERVICE.finditer(without_urls):
        _add(commands, seen, Command("diagnose", f"{match.group(1)}/{match.group(2)}"))
    return Found(commands[:MAX_TARGETS], documents[:MAX_TARGETS])


def _add(commands: list[Command], seen: set[str], command: Command) -> None:
    if command.target not in seen:
        seen.add(command.target)
        commands.append(command)


def _json_documents(text: str) -> list[object]:
    """JSON objects pasted in the text (possibly inside ``` fences)."""
    decoder = json.JSONDecoder()
    found: list[object] = []
    index = text.find("{")
    while index != -1 and len(found) < MAX_TARGETS:
        try:
            doc, end = decoder.raw_decode(text, index)
        except ValueError:
            index = text.find("{", index + 1)
            continue
        if isinstance(doc, dict):
            found.append(doc)
        index = text.find("{", end)
    return found
