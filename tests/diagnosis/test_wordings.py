"""Real wordings gathered from public sources (tests/diagnosis/data/WORDINGS.md): each one, classified.

These are tuning sets: the rules were written and fixed against them, so they say nothing about first
contact (the held-out set in data/heldout/ does, see test_heldout.py). They are here so that a rule change
that breaks a real message fails a test.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from diagnosis.engine import diagnose
from diagnosis.parse import parse_document
from tests.builders.documents import as_document

DATA = Path(__file__).parent / "data"


def load(name: str) -> list[dict]:
    path = DATA / name
    if not path.is_file():
        return []
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


@pytest.mark.parametrize("entry", load("wordings.jsonl") + load("wordings_more.jsonl"), ids=lambda e: e["id"])
def test_real_wording(entry: dict) -> None:
    diagnosis = diagnose(parse_document(as_document(entry)))
    assert diagnosis.findings, f"no finding for {entry}"
    top = diagnosis.findings[0]
    assert top.category in [entry["category"], *entry.get("acceptable", [])], (
        f"{top.category} ({top.summary}) for {entry.get('stopped_reason') or entry.get('event_message')!r}"
    )
    raw = entry.get("stopped_reason") or entry.get("event_message") or entry.get("container_reason") or ""
    quoted = " ".join(e.fact for e in top.evidence)
    assert not raw or raw[:40].lower() in quoted.lower() or "[redacted]" in quoted.lower(), (
        "the raw reason must be quoted in the evidence"
    )
