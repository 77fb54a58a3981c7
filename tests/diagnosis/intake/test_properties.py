"""Properties of reading pasted text: it never crashes, and prose around an ECS message does not change
what the message is read as."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from diagnosis.contract import to_json
from diagnosis.engine import diagnose
from diagnosis.intake import InputError, read_input
from tests.builders.json_strategies import JSON_VALUES

DATA = Path(__file__).parents[1] / "data" / "wordings.jsonl"
REASONS = sorted(
    {
        (e.get("stopped_reason") or e.get("event_message") or "").strip()
        for e in map(json.loads, DATA.read_text().splitlines())
        if (e.get("stopped_reason") or e.get("event_message") or "").strip()
    }
)
# Prose: letters, digits, spaces and punctuation of any script, on one line.
PROSE = st.text(st.characters(categories=["L", "N", "Zs", "P"]), max_size=80)


def top_category(text: str) -> str | None:
    intake = read_input(text)
    result = diagnose(intake.observations, gaps=intake.gaps)
    return result.findings[0].category if result.findings else None


def bare(reason: str) -> str | None:
    try:
        return top_category(reason)
    except InputError:
        return None


READABLE = [r for r in REASONS if bare(r) is not None]
# Prose that is about nothing ECS on its own (Hypothesis also tries words taken from the code, such as
# CANNOTPULL, which are ECS messages themselves and rightly change the reading).
PLAIN_PROSE = PROSE.filter(lambda prose: bare(prose) is None)


def test_most_real_reasons_are_read_bare() -> None:
    assert len(READABLE) >= 0.9 * len(REASONS), set(REASONS) - set(READABLE)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.text(max_size=300))
def test_arbitrary_text_is_read_or_refused_in_one_line(text: str) -> None:
    try:
        intake = read_input(text)
    except InputError as exc:
        message = str(exc)
        assert message and "\n" not in message
        return
    to_json(diagnose(intake.observations, gaps=intake.gaps))


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(JSON_VALUES, PROSE)
def test_arbitrary_json_in_text_is_read_or_refused(value: object, prose: str) -> None:
    for text in (json.dumps(value), f"{prose}\n{json.dumps(value)}", f"{prose} {json.dumps(value)}"):
        try:
            intake = read_input(text)
        except InputError as exc:
            message = str(exc)
            assert "\n" not in message
            continue
        to_json(diagnose(intake.observations, gaps=intake.gaps))


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(READABLE), PLAIN_PROSE, PLAIN_PROSE, st.sampled_from([": ", " - ", ":\n", "\n\n", "\n> "]))
def test_a_reason_in_prose_reads_as_the_bare_reason(reason: str, before: str, after: str, joint: str) -> None:
    text = f"{before}{joint}{reason}\n{after}"
    assert top_category(text) == bare(reason), text


@pytest.mark.parametrize("reason", READABLE[:20])
def test_a_reason_quoted_in_a_markdown_fence_reads_the_same(reason: str) -> None:
    assert top_category(f"hey, we got this overnight:\n```\n{reason}\n```\nthoughts?") == bare(reason)
