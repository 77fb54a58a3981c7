"""`ecs-why check SERVICE` end to end against the demo account: each failing service is caught before its
stop by a rule that prevents its very cause; the healthy one passes; the SARIF is valid."""

from __future__ import annotations

import json
import subprocess
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from bot.demo.scenarios import CLUSTER, EXPECTED_CATEGORIES, NON_FAILURE_CATEGORIES
from tests.e2e.conftest import run_cli

pytestmark = pytest.mark.e2e

FAILING = [  # a normal stop (Spot by design) is nothing to prevent
    name for name, c in EXPECTED_CATEGORIES.items() if c is not None and c not in NON_FAILURE_CATEGORIES
]
HEALTHY = [name for name, category in EXPECTED_CATEGORIES.items() if category is None]
SCHEMA = json.loads(
    (
        Path(__file__).resolve().parents[1] / "diagnosis" / "prevent" / "data" / "sarif-schema-2.1.0.json"
    ).read_text()
)


@cache
def _check(endpoint: str, *args: str) -> subprocess.CompletedProcess[str]:
    return run_cli("check", *args, endpoint=endpoint)


def check_json(endpoint: str, service: str, *extra: str) -> tuple[int, dict[str, Any]]:
    result = _check(endpoint, service, "--cluster", CLUSTER, "--format", "json", *extra)
    assert result.returncode in (0, 1), f"exit {result.returncode}\n{result.stderr}"
    assert "Traceback" not in result.stderr
    return result.returncode, json.loads(result.stdout)


@pytest.mark.parametrize("service", FAILING)
def test_each_failing_service_is_caught_by_a_rule_that_prevents_its_cause(
    endpoint: str, service: str
) -> None:
    _code, report = check_json(endpoint, service)
    cause = EXPECTED_CATEGORIES[service]
    catching = [r for r in report["results"] if cause in r["prevents"]]
    assert catching, (
        f"{service} ({cause}): no rule caught it; results: {[r['rule'] for r in report['results']]}"
    )
    for result in catching:
        assert result["fact"] and result["subject"].startswith(f"{service}:") and result["docs"]


@pytest.mark.parametrize(
    ("service", "rule", "fact"),
    [
        ("api", "image_exists", "v2.4.0"),
        ("billing", "secret_exists", "billing/stripe-key"),
        ("ingest", "network_path", "no NAT gateway"),
        ("web", "load_balancer_health", "95 s to start"),
    ],
)
def test_start_failures_are_errors_with_the_fact_that_proves_them(
    endpoint: str, service: str, rule: str, fact: str
) -> None:
    code, report = check_json(endpoint, service)
    assert code == 1
    found = [r for r in report["results"] if r["rule"] == rule]
    assert found and found[0]["severity"] == "error" and fact in found[0]["fact"]


def test_the_healthy_service_passes_with_at_most_warnings(endpoint: str) -> None:
    for service in HEALTHY:
        code, report = check_json(endpoint, service)
        assert code == 0 and not [r for r in report["results"] if r["severity"] == "error"]
        assert report["stats"]["rounds"] <= 4


def test_a_live_check_stays_within_the_diagnosis_budget(endpoint: str) -> None:
    for service in ("api", "web"):
        _code, report = check_json(endpoint, service)
        assert report["stats"]["rounds"] <= 4 and report["stats"]["api_calls"] <= 20


def test_an_earlier_revision_is_checked_with_task_definition(endpoint: str) -> None:
    """api:2 names v2.4.0, which was never pushed; api:1 names v2.3.1, which exists."""
    _code, now = check_json(endpoint, "api")
    _code, before = check_json(endpoint, "api", "--task-definition", "api:1")
    assert now["subjects"] == ["api:2"] and before["subjects"] == ["api:1"]
    assert any(r["rule"] == "image_exists" for r in now["results"])
    assert not any(r["rule"] == "image_exists" for r in before["results"])


def test_ignore_and_sarif_for_a_service(endpoint: str) -> None:
    result = _check(
        endpoint, "orders", "--cluster", CLUSTER, "--ignore", "circuit_breaker", "--fail-on", "warning"
    )
    assert result.returncode == 0, result.stdout
    sarif = json.loads(_check(endpoint, "api", "--cluster", CLUSTER, "--format", "sarif").stdout)
    assert not list(jsonschema.Draft4Validator(SCHEMA).iter_errors(sarif))
    assert any(r["ruleId"] == "image_exists" for r in sarif["runs"][0]["results"])


def test_an_unknown_service_exits_2_with_the_closest_names(endpoint: str) -> None:
    result = _check(endpoint, "checkot", "--cluster", CLUSTER)
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert "checkout" in result.stderr


@pytest.mark.parametrize("service", FAILING)
def test_a_diagnosis_names_the_rule_that_would_have_caught_it_and_check_agrees(
    endpoint: str, service: str
) -> None:
    """'why did it stop' and 'will it stop' never disagree: the rule a diagnosis names is one `check` reports."""
    diagnosed = run_cli("diagnose", service, "--cluster", CLUSTER, "--format", "json", endpoint=endpoint)
    top = json.loads(diagnosed.stdout)["findings"][0]
    prevention = top["prevention"]
    assert prevention and prevention["rule"], top
    _code, report = check_json(endpoint, service)
    facts: dict[str, set[str]] = {}
    for result in report["results"]:
        facts.setdefault(result["rule"], set()).add(result["fact"])
    assert prevention["rule"] in facts, (
        f"{service}: diagnosis names {prevention['rule']}, check found {sorted(facts)}"
    )
    # The same check on the same evidence states the same fact; memory is read over another window (around
    # the stops for a diagnosis, the last hours for a check), so its numbers may differ.
    if prevention["fact"] and prevention["rule"] != "memory_headroom":
        assert prevention["fact"] in facts[prevention["rule"]]


def test_the_api_diagnosis_says_what_ci_would_have_failed_on(endpoint: str) -> None:
    diagnosed = run_cli("diagnose", "api", "--cluster", CLUSTER, endpoint=endpoint)
    assert (
        "`ecs-why check SERVICE` would have failed on: ECR repository api has no tag v2.4.0"
        in diagnosed.stdout
    )
