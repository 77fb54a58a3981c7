"""The labelled corpus: the floor the engine must clear (top category, and the words a user needs)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from diagnosis.contract import to_json
from diagnosis.engine import diagnose
from diagnosis.parse import parse_document

HERE = Path(__file__).parent
SHARED = HERE.parents[2] / "shared" / "corpus" / "cases.jsonl"


def load_cases() -> list[dict]:
    cases = {}
    for path in (HERE / "data" / "corpus_cases.jsonl", SHARED):
        if path.is_file():
            for line in path.read_text().splitlines():
                if line.strip():
                    case = json.loads(line)
                    cases[case["id"]] = case  # the shared copy, when present, is the newest
    return list(cases.values())


@pytest.mark.parametrize("case", load_cases(), ids=lambda c: c["id"])
def test_corpus_case(case: dict) -> None:
    diagnosis = diagnose(parse_document(case["input"]))
    assert diagnosis.findings, diagnosis.summary
    top = diagnosis.findings[0]
    expect = case["expect"]
    assert top.category in [expect["category"], *expect["acceptable"]], top.summary
    text = to_json(diagnosis).lower()
    missing = [word for word in expect["mentions"] if word.lower() not in text]
    assert not missing, f"the diagnosis never says {missing}"


def test_the_corpus_is_there() -> None:
    assert len(load_cases()) >= 32
