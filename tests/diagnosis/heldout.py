"""First contact on the held-out set (tests/diagnosis/data/heldout/): real reasons and whole documents from
public sources, never tuned on. Each reason is also pasted framed in prose and as the JSON shapes people
paste (a task fragment, a --query projection). Five sets, gathered at different times: `FIRST` (issue 10),
`SECOND` (session 4), `THIRD` (session 5), `FOURTH` (session 6) and `FIFTH` (session 7); each has its own floor in
test_heldout.py."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path

HELDOUT = Path(__file__).parent / "data" / "heldout"
FIRST = HELDOUT / "documents.jsonl"
SECOND = HELDOUT / "documents_2.jsonl"
THIRD = HELDOUT / "documents_3.jsonl"
FOURTH = HELDOUT / "documents_4.jsonl"
FIFTH = HELDOUT / "documents_5.jsonl"
PROSE = "hey team, prod started failing right after this morning's deploy:\n{}\nanyone seen this before?"

# explain(text) -> (categories of the findings, in order) or None when the input was refused
Explain = Callable[[str], "list[str] | None"]


def entries(file: Path = FIRST) -> list[dict]:
    return [json.loads(line) for line in file.read_text().splitlines() if line.strip()]


def _is_event(text: str) -> bool:
    return text.lower().startswith(("service ", "(service "))


def cases(file: Path = FIRST) -> Iterator[tuple[str, str, dict]]:
    """(case id, pasted text, entry): each document as it is; each reason bare, in prose, and as JSON."""
    for entry in entries(file):
        text = entry["input"]
        if entry["form"] == "document":
            yield entry["id"], text, entry
            continue
        yield f"{entry['id']}-bare", text, entry
        yield f"{entry['id']}-prose", PROSE.format(text), entry
        if _is_event(text):
            yield (
                f"{entry['id']}-events",
                json.dumps({"serviceName": "my-service", "events": [{"message": text}]}),
                entry,
            )
            yield f"{entry['id']}-projection", json.dumps([text]), entry
        else:
            yield (
                f"{entry['id']}-fragment",
                json.dumps({"lastStatus": "STOPPED", "stoppedReason": text}),
                entry,
            )
            yield f"{entry['id']}-projection", json.dumps([[text]]), entry


def right(entry: dict, found: list[str] | None) -> bool:
    """What a user would check: the first finding names the cause (or, for "none", nothing is claimed and
    the input is not refused); every cause a multi-message document holds is found."""
    if found is None:
        return False
    if entry["category"] == "none":
        return not found
    if not found or found[0] not in [entry["category"], *entry["acceptable"]]:
        return False
    return all(c in found for c in entry.get("expect_all", []))


def score(explain: Explain, file: Path = FIRST) -> tuple[int, int, list[str]]:
    """(right, total, ids of the wrong ones)."""
    wrong = [case_id for case_id, text, entry in cases(file) if not right(entry, explain(text))]
    total = sum(1 for _ in cases(file))
    return total - len(wrong), total, wrong
