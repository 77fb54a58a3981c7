"""SARIF output validated against the published SARIF 2.1.0 schema (vendored in data/)."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema

from diagnosis.prevent.rules import OFFLINE
from diagnosis.prevent.run import check_files
from diagnosis.prevent.sarif import file_uri, to_sarif

DATA = Path(__file__).resolve().parent / "data"
SCHEMA = json.loads((DATA / "sarif-schema-2.1.0.json").read_text())


def _sarif(*names: str) -> dict:
    report = check_files([(f"infra/{n}", (DATA / n).read_text()) for n in names])
    assert report.results, "the fixtures must produce results for this test to mean anything"
    return to_sarif(report, OFFLINE)


def test_the_sarif_log_is_valid_against_the_2_1_0_schema() -> None:
    log = _sarif("cloudformation-web.yaml", "terraform-plan.json")
    jsonschema.Draft4Validator.check_schema(SCHEMA)
    errors = sorted(jsonschema.Draft4Validator(SCHEMA).iter_errors(log), key=str)
    assert not errors, errors[0].message


def test_the_schema_catches_a_broken_log() -> None:
    log = _sarif("cloudformation-web.yaml")
    log["runs"][0]["results"][0]["level"] = "fatal"
    assert list(jsonschema.Draft4Validator(SCHEMA).iter_errors(log))


def test_each_result_points_at_its_rule_file_and_line() -> None:
    log = _sarif("cloudformation-web.yaml")
    run = log["runs"][0]
    rules = run["tool"]["driver"]["rules"]
    assert [r["id"] for r in rules] == [r.id for r in OFFLINE]
    for result in run["results"]:
        assert rules[result["ruleIndex"]]["id"] == result["ruleId"]
        physical = result["locations"][0]["physicalLocation"]
        assert physical["artifactLocation"]["uri"] == "infra/cloudformation-web.yaml"
        assert physical["region"]["startLine"] >= 1
        assert result["level"] in ("error", "warning")
    port = next(r for r in run["results"] if r["ruleId"] == "load_balancer_port")
    assert port["locations"][0]["physicalLocation"]["region"]["startLine"] == 21  # the container's line
    assert "Fix (CloudFormation: TaskDef" in port["message"]["text"]


def test_absolute_paths_become_file_uris() -> None:
    assert file_uri("/repo/my infra/t.yaml") == "file:///repo/my%20infra/t.yaml"
    assert file_uri("infra/t.yaml") == "infra/t.yaml"
