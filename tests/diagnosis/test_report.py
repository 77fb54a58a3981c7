"""Golden files for the text and Markdown renderings: a change to what users read is a reviewed change.

Regenerate after an intended change with: UPDATE_GOLDEN=1 scripts/test tests/diagnosis/test_report.py
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import pytest

from diagnosis.engine import diagnose
from diagnosis.parse import parse_document, parse_text
from diagnosis.report import to_markdown, to_text

HERE = Path(__file__).parent
GOLDEN = HERE / "golden"
EXAMPLE = HERE.parents[1] / "diagnosis" / "examples" / "stopped-tasks.json"
CORPUS = {
    json.loads(line)["id"]: json.loads(line)["input"]
    for line in (HERE / "data" / "corpus_cases.jsonl").read_text().splitlines()
    if line.strip()
}

SAMPLES = {
    "service-oom-and-deployment": lambda: parse_text(EXAMPLE.read_text()),
    "image-not-found": lambda: parse_document(CORPUS["s02"]),
    "elb-health-event": lambda: parse_document(CORPUS["s20"]),
    "secrets": lambda: parse_document(CORPUS["s05"]),
}


def check_golden(name: str, actual: str) -> None:
    path = GOLDEN / name
    if os.environ.get("UPDATE_GOLDEN") or not path.exists():
        path.write_text(actual)
    assert actual == path.read_text(), f"{name} changed; if intended, regenerate with UPDATE_GOLDEN=1"


@pytest.mark.parametrize("sample", sorted(SAMPLES))
def test_text_golden(sample: str) -> None:
    check_golden(f"{sample}.txt", to_text(diagnose(SAMPLES[sample]())))


@pytest.mark.parametrize("sample", sorted(SAMPLES))
def test_markdown_golden(sample: str) -> None:
    check_golden(f"{sample}.md", to_markdown(diagnose(SAMPLES[sample]())))


def test_markdown_cannot_be_formatted_by_aws_text() -> None:
    doc = dict(
        CORPUS["s09"], stoppedReason="CannotStartContainerError: <!channel> *bold* [x](http://evil) exec: x"
    )
    markdown = to_markdown(diagnose(parse_document(doc)))
    outside_code = re.sub(r"``.*?``|`[^`]*`", "", markdown, flags=re.S)
    outside_code = re.sub(r"```sh.*?```", "", outside_code, flags=re.S)
    assert "<!channel>" in markdown
    assert "<!channel>" not in outside_code and "[x](http://evil)" not in outside_code


def test_text_puts_the_answer_first() -> None:
    text = to_text(diagnose(parse_text(EXAMPLE.read_text())))
    first = text.splitlines()[0]
    assert "checkout-api" in first and "Out of memory" in first
    assert "7 of 10 stopped tasks" in text


def test_markdown_shows_quoted_names_as_code_and_escapes_the_rest() -> None:
    """`checkout` in a heading is inline code (no literal backslash before a backtick); a backtick from AWS
    opens no span that could end early, and what is outside a span is escaped."""
    markdown = to_markdown(diagnose(parse_text(EXAMPLE.read_text())))
    assert "### 1. Out of memory: `checkout` was killed" in markdown
    assert "\\`" not in markdown
    doc = dict(CORPUS["s09"], stoppedReason="CannotStartContainerError: `` ` *x* [a](http://evil) ` <b>`")
    hostile = to_markdown(diagnose(parse_document(doc)))
    outside_code = re.sub(r"(`+)(?!`).*?(?<!`)\1(?!`)", "", hostile, flags=re.S)
    assert "[a](http://evil)" not in outside_code and "<b>" not in outside_code and "*x*" not in outside_code
