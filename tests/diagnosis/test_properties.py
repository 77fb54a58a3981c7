"""Whatever a user pastes, `explain` answers with a Diagnosis or a clear InputError: never a crash.

Inputs: arbitrary JSON values, and real documents (the shipped example, the labelled corpus) truncated at
random points or with random fields deleted or retyped.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from diagnosis.contract import from_json, to_json
from diagnosis.engine import diagnose
from diagnosis.models import Diagnosis
from diagnosis.parse import InputError, parse_text
from tests.builders.json_strategies import JSON_VALUES

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = json.loads((ROOT / "diagnosis" / "examples" / "stopped-tasks.json").read_text())
CORPUS_FILE = Path("/work/shared/corpus/cases.jsonl")
CORPUS = (
    [json.loads(line)["input"] for line in CORPUS_FILE.read_text().splitlines() if line.strip()]
    if CORPUS_FILE.exists()
    else []
)
DOCUMENTS: list[Any] = [EXAMPLE, *CORPUS]

# Superscript and other "No" characters are left out of generated text: `"²".isdigit()` is True but
# `int("²")` fails, a known crash pinned by test_superscript_revision_does_not_crash below.
def outcome(text: str) -> Diagnosis | None:
    """The property: a Diagnosis, or an InputError (None); any other exception fails the test."""
    try:
        obs = parse_text(text)
    except InputError as exc:
        message = str(exc)
        if not message or "\n" in message:
            pytest.fail(f"an InputError must be one non-empty line, got {message!r}")
        return None
    result = diagnose(obs)
    assert isinstance(result, Diagnosis)
    from_json(Diagnosis, to_json(result))  # serialisable, within the model's bounds
    return result


def paths(doc: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every path to a value inside a JSON document."""
    found: list[tuple[Any, ...]] = []
    if isinstance(doc, dict):
        for key, value in doc.items():
            found.append((*prefix, key))
            found.extend(paths(value, (*prefix, key)))
    elif isinstance(doc, list):
        for i, value in enumerate(doc):
            found.append((*prefix, i))
            found.extend(paths(value, (*prefix, i)))
    return found


def parent(doc: Any, path: tuple[Any, ...]) -> Any:
    for step in path[:-1]:
        doc = doc[step]
    return doc


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(JSON_VALUES)
def test_arbitrary_json_values(value: Any) -> None:
    outcome(json.dumps(value))


@settings(max_examples=100, deadline=None)
@given(st.text(max_size=200))
def test_arbitrary_text(text: str) -> None:
    outcome(text)


@settings(max_examples=150, deadline=None)
@given(st.sampled_from(DOCUMENTS), st.data())
def test_truncated_documents(doc: Any, data: st.DataObject) -> None:
    text = json.dumps(doc)
    cut = data.draw(st.integers(min_value=0, max_value=len(text) - 1))
    assert outcome(text[:cut]) is None  # a cut JSON text is never valid JSON, so always an InputError


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(DOCUMENTS), st.data())
def test_documents_with_fields_deleted_or_retyped(doc: Any, data: st.DataObject) -> None:
    doc = copy.deepcopy(doc)
    all_paths = paths(doc)
    for _ in range(data.draw(st.integers(min_value=1, max_value=4))):
        all_paths = paths(doc)
        if not all_paths:
            break
        path = data.draw(st.sampled_from(all_paths))
        container = parent(doc, path)
        if data.draw(st.booleans()):
            del container[path[-1]]
        else:
            container[path[-1]] = data.draw(JSON_VALUES)
    outcome(json.dumps(doc))


@settings(max_examples=100, deadline=None)
@given(st.sampled_from(DOCUMENTS), st.data())
def test_documents_with_long_or_odd_strings(doc: Any, data: st.DataObject) -> None:
    doc = copy.deepcopy(doc)
    string_paths = [p for p in paths(doc) if isinstance(parent(doc, p)[p[-1]], str)]
    path = data.draw(st.sampled_from(string_paths))
    original = parent(doc, path)[path[-1]]
    parent(doc, path)[path[-1]] = data.draw(
        st.sampled_from([original * 50, original[: len(original) // 2], original.upper(), "", " ", "\u0000"])
    )
    outcome(json.dumps(doc))


def test_the_real_documents_diagnose() -> None:
    for doc in DOCUMENTS:
        result = outcome(json.dumps(doc))
        assert result is not None
        assert result.findings


def nested(depth: int) -> str:
    return "[" * depth + "]" * depth


@pytest.mark.parametrize("depth", [1000, 50_000])
def test_deep_nesting(depth: int) -> None:
    outcome(nested(depth))
    outcome('{"tasks": ' + nested(depth) + "}")


@pytest.mark.parametrize("literal", ["NaN", "Infinity", "-Infinity"])
def test_non_standard_json_numbers(literal: str) -> None:
    outcome(literal)
    outcome(
        '{"taskArn": "arn:aws:ecs:us-east-1:123456789012:task/prod/abc", "lastStatus": "STOPPED", '
        f'"stoppedAt": {literal}, "containers": [{{"name": "app", "exitCode": {literal}}}]}}'
    )


@pytest.mark.parametrize("revision", ["\u00b2", "9" * 5000])
def test_superscript_revision_does_not_crash(revision: str) -> None:
    doc = {
        "taskArn": "arn:aws:ecs:us-east-1:123456789012:task/prod/0f1e2d3c4b5a69788796a5b4c3d2e1f0",
        "taskDefinitionArn": f"arn:aws:ecs:us-east-1:123456789012:task-definition/web:{revision}",
        "lastStatus": "STOPPED",
        "stoppedReason": "Task failed container health checks",
    }
    outcome(json.dumps(doc))
