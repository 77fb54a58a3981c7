"""The task documents of the corpus, wordings and bundled example, and the same stop by another task (its
own ARN and times): what a failing service sends again and again."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from tests.builders.documents import as_document

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT / "tests" / "diagnosis" / "data"
_TASK_ID = re.compile(r"(:task/(?:[\w-]+/)?)[0-9a-f]{32}")
_START = datetime(2026, 11, 30, 8, 0, tzinfo=UTC)


def task_documents() -> list[dict[str, Any]]:
    docs: list[dict[str, Any]] = []
    for line in (DATA / "corpus_cases.jsonl").read_text().splitlines():
        doc = json.loads(line)["input"]
        doc = doc.get("detail", doc)
        docs.extend(doc.get("tasks", [doc] if "taskArn" in doc else []))
    for line in (DATA / "wordings.jsonl").read_text().splitlines():
        entry = json.loads(line)
        if entry.get("kind") != "service_event":
            docs.append(as_document(entry))
    docs.extend(json.loads((ROOT / "diagnosis/examples/stopped-tasks.json").read_text())["tasks"])
    return docs


def as_task(doc: dict[str, Any], n: int) -> dict[str, Any]:
    """The same stop by task n: its own ARN (also in its containers) and its own start and stop times."""
    fresh = json.loads(_TASK_ID.sub(lambda m: m.group(1) + f"{n:032x}", json.dumps(doc)))
    for key, offset in (("createdAt", 0), ("startedAt", 30), ("stoppedAt", 600)):
        if key in fresh or n % 2:
            fresh[key] = (_START + timedelta(hours=n, seconds=offset)).isoformat()
    return fresh
