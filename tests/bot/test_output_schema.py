"""The JSON output's contract: docs/diagnosis.schema.json is what the models generate, and real output of
explain, diagnose and the demo's JSON Lines validates against it."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import jsonschema
import pytest

from bot.output_schema import DOC, schema, text
from bot.terminal import render
from diagnosis.contract import to_python
from diagnosis.engine import diagnose
from diagnosis.models import SCHEMA_VERSION
from diagnosis.parse import parse_text

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = sorted((ROOT / "diagnosis" / "examples").glob("*.json"))


def validator() -> jsonschema.Draft202012Validator:
    loaded = json.loads(DOC.read_text())
    jsonschema.Draft202012Validator.check_schema(loaded)
    return jsonschema.Draft202012Validator(loaded)


def test_the_committed_schema_is_what_the_models_generate() -> None:
    assert DOC.read_text() == text(), "run: python -m bot.output_schema --write"
    assert schema()["properties"]["schema_version"]["const"] == SCHEMA_VERSION


@pytest.mark.parametrize("example", EXAMPLES, ids=lambda p: p.name)
def test_explain_output_validates(example: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "bot.cli", "explain", str(example), "--format", "json"],
        cwd=ROOT, capture_output=True, text=True, timeout=120, check=False,
    )
    assert result.returncode == 0, result.stderr
    out = json.loads(result.stdout)
    assert out["schema_version"] == SCHEMA_VERSION
    validator().validate(out)


def test_the_schema_refuses_what_the_contract_forbids() -> None:
    out = json.loads(render(diagnose(parse_text(EXAMPLES[0].read_text())), "json"))
    validator().validate(out)
    with pytest.raises(jsonschema.ValidationError):
        validator().validate({**out, "surprise": 1})  # an unknown field
    with pytest.raises(jsonschema.ValidationError):
        validator().validate({k: v for k, v in out.items() if k != "gaps"})  # a field gone
    with pytest.raises(jsonschema.ValidationError):
        validator().validate({**out, "schema_version": SCHEMA_VERSION + 1})


def test_demo_json_is_json_lines_that_validate() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "bot.cli", "demo", "--format", "json"],
        cwd=ROOT, capture_output=True, text=True, timeout=300, check=False,
    )
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert len(lines) > 3, "one line per sandbox service"
    targets = []
    for line in lines:
        out = json.loads(line)
        validator().validate(out)
        targets.append(out["target"]["service"])
    assert len(set(targets)) == len(targets)


def test_every_fix_button_validates_against_the_schema() -> None:
    from diagnosis.actions import KINDS

    with_buttons = [
        to_python(d, mode="json")
        for d in (diagnose(parse_text(p.read_text())) for p in EXAMPLES)
        if any(r.action for f in d.findings for r in f.remediations)
    ]
    kinds = {
        r["action"]["kind"]
        for d in with_buttons
        for f in d["findings"]
        for r in f["remediations"]
        if r["action"]
    }
    assert kinds and kinds <= set(KINDS)
    for out in with_buttons:
        validator().validate(out)
    out = with_buttons[0]
    finding = out["findings"][0]
    button = next(r for r in finding["remediations"] if r["action"])
    wrong = {**button, "action": {**button["action"], "params": {"cluster": "prod"}}}
    with pytest.raises(jsonschema.ValidationError):  # a button without its service
        validator().validate({**out, "findings": [{**finding, "remediations": [wrong]}]})
