"""`ecs-why diagnose` on the third first-contact set (tests/builders/first_contact_3.py): fourteen failing
services it was not built around, seeded in a cluster of their own in the shared moto sandbox and taken
away after the module.

A user reads: the cause (category of the top finding) and the exit status; the facts an expert states
(the parameter, its key and the missing kms:Decrypt, the other account, the missing logs endpoint, the role
that lacks the permission and the one that holds it, the sidecar that never became healthy, the capacity
provider's group, the ephemeral storage, the ulimit, the essential one-shot container, the command, the
rollback, the soft memory limit, the redirect, the full subnet); the fix buttons that fit and none that do
not; the log read from the newest stopped task's failing container; and a text report without a traceback.
"""

from __future__ import annotations

import json
import re
import subprocess
from collections.abc import Iterator
from datetime import UTC, datetime
from functools import cache
from typing import Any

import pytest

from bot.demo.sandbox import sandbox_session
from bot.demo.scenarios import NON_FAILURE_CATEGORIES, Sandbox
from bot.demo.world import World
from tests.builders.first_contact import Case, Seeded
from tests.builders.first_contact_3 import CASES_3, CLUSTER, seed_cases_3, take_away_3
from tests.e2e.conftest import run_cli

pytestmark = pytest.mark.e2e
BY_NAME = {case.service: case for case in CASES_3}


@pytest.fixture(scope="module")
def seeded(endpoint: str, sandbox: Sandbox) -> Iterator[Seeded]:
    world = World(
        sandbox_session(sandbox.region), sandbox.account, sandbox.region, endpoint, datetime.now(UTC), CLUSTER
    )
    world.ids.update(sandbox.ids)
    found = seed_cases_3(world)
    try:
        yield found
    finally:
        take_away_3(found)


def seeded_logs(case: Case) -> bool:
    """A failure whose stopped tasks wrote a log (a task that never started has none)."""
    started = (b for b in case.scenario.tasks if b.stop is not None and b.stop.started and b.logs)
    return case.answer.category not in NON_FAILURE_CATEGORIES and any(started)


@cache
def diagnose(endpoint: str, service: str, output: str) -> subprocess.CompletedProcess[str]:
    return run_cli("diagnose", service, "--cluster", CLUSTER, "--format", output, endpoint=endpoint)


def answer_of(endpoint: str, case: Case) -> tuple[subprocess.CompletedProcess[str], dict[str, Any]]:
    result = diagnose(endpoint, case.service, "json")
    assert "Traceback" not in result.stderr, result.stderr
    assert result.returncode == (1 if case.answer.failure else 0), result.stdout[:3000] + result.stderr
    doc: dict[str, Any] = json.loads(result.stdout)
    assert doc["findings"], doc["summary"]
    return result, doc


@pytest.mark.parametrize("service", list(BY_NAME))
def test_the_cause_is_named_with_the_facts_an_expert_states(
    endpoint: str, seeded: Seeded, service: str
) -> None:
    case = BY_NAME[service]
    result, doc = answer_of(endpoint, case)
    assert doc["findings"][0]["category"] == case.answer.category, doc["summary"]
    missing = [
        fact for fact in case.answer.facts if not re.search(seeded.fill(service, fact), result.stdout, re.I)
    ]
    assert not missing, f"{service} never states {missing}:\n{doc['findings'][0]['summary']}"


@pytest.mark.parametrize("service", list(BY_NAME))
def test_the_buttons_fit_the_cause(endpoint: str, seeded: Seeded, service: str) -> None:
    case = BY_NAME[service]
    _, doc = answer_of(endpoint, case)
    kinds = [r["action"]["kind"] for r in doc["findings"][0]["remediations"] if r.get("action")]
    assert set(case.answer.buttons) <= set(kinds), kinds
    assert not set(case.answer.no_buttons) & set(kinds), kinds


@pytest.mark.parametrize("service", [c.service for c in CASES_3 if seeded_logs(c)])
def test_the_log_quoted_is_the_newest_stopped_tasks_failing_container(
    endpoint: str, seeded: Seeded, service: str
) -> None:
    case = BY_NAME[service]
    _, doc = answer_of(endpoint, case)
    sources = {e["source"] for e in doc["findings"][0]["evidence"] if e.get("kind") == "log"}
    want = f"/ecs/{service} ecs/{case.answer.log_container or service}/{seeded.newest_stopped(service)}"
    assert sources == {f"logs:GetLogEvents {want}"}, sources


@pytest.mark.parametrize("service", list(BY_NAME))
def test_the_text_report_answers_without_a_traceback(endpoint: str, seeded: Seeded, service: str) -> None:
    case = BY_NAME[service]
    result = diagnose(endpoint, service, "text")
    assert result.returncode == (1 if case.answer.failure else 0), result.stdout[:2000] + result.stderr
    assert "Traceback" not in result.stderr  # stdout may quote the application's own traceback
    _, doc = answer_of(endpoint, case)
    assert doc["findings"][0]["title"] in result.stdout
