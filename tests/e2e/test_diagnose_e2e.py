"""`ecs-why diagnose` end to end: the real process against the seeded demo account on a loopback moto server.

For every seeded failure: exit 1, `findings[0].category` is the expected taxonomy ID, and the JSON names
the scenario's facts. The healthy service: exit 0 and no failure finding. Plus target resolution (unknown
name, no --cluster) and the JSON contract, and the call budget (≤ 4 rounds, ≤ 15 calls).
"""

from __future__ import annotations

import json
import subprocess
from functools import cache
from typing import Any

import pytest

from bot.demo.scenarios import CLUSTER, EXPECTED_CATEGORIES, NON_FAILURE_CATEGORIES, Sandbox
from tests.e2e.conftest import run_cli, run_python

pytestmark = pytest.mark.e2e

FAILING = [
    name for name, c in EXPECTED_CATEGORIES.items() if c is not None and c not in NON_FAILURE_CATEGORIES
]
NORMAL = [name for name, c in EXPECTED_CATEGORIES.items() if c in NON_FAILURE_CATEGORIES]  # e.g. Spot
HEALTHY = [name for name, category in EXPECTED_CATEGORIES.items() if category is None]


@cache
def _diagnose(endpoint: str, *args: str) -> subprocess.CompletedProcess[str]:
    """One process per distinct command line: several tests read the same diagnosis."""
    return run_cli("diagnose", *args, endpoint=endpoint)


def diagnose_json(endpoint: str, service: str) -> tuple[subprocess.CompletedProcess[str], dict[str, Any]]:
    result = _diagnose(endpoint, service, "--cluster", CLUSTER, "--format", "json")
    assert result.returncode in (0, 1), (
        f"exit {result.returncode}\nstderr:\n{result.stderr}\nstdout:\n{result.stdout}"
    )
    assert "Traceback" not in result.stderr, result.stderr
    try:
        doc = json.loads(result.stdout)
    except json.JSONDecodeError as exc:
        pytest.fail(f"stdout is not JSON ({exc}):\n{result.stdout[:2000]}\nstderr:\n{result.stderr[-2000:]}")
    assert isinstance(doc, dict)
    return result, doc


def assert_contract(doc: dict[str, Any]) -> None:
    """The JSON contract of `ecs-why diagnose --format json` (docs/output.md)."""
    for key in ("target", "summary", "findings", "gaps", "stats"):
        assert key in doc, f"missing top-level key {key!r}"
    assert isinstance(doc["summary"], str)
    assert isinstance(doc["findings"], list)
    for finding in doc["findings"]:
        for key in (
            "category",
            "confidence",
            "title",
            "summary",
            "tasks",
            "task_count",
            "evidence",
            "remediations",
            "docs",
            "checks",
            "alternatives",
            "fingerprint",
        ):
            assert key in finding, f"finding lacks {key!r}: {sorted(finding)}"
        assert 0 <= finding["confidence"] <= 1
        assert isinstance(finding["tasks"], list)
        assert isinstance(finding["task_count"], int)
        for item in finding["evidence"]:
            assert {"source", "fact", "task"} <= set(item), item
        for item in finding["remediations"]:
            assert {"step", "command", "action"} <= set(item), item
        for item in finding["checks"]:
            assert {"name", "description", "iam_action", "outcome", "detail"} <= set(item), item
    assert isinstance(doc["gaps"], list)
    for gap in doc["gaps"]:
        assert {"what", "reason", "iam_action"} <= set(gap), gap
    assert isinstance(doc["stats"], dict)
    assert {"api_calls", "rounds"} <= set(doc["stats"]), doc["stats"]


# -- the harness itself (works before `ecs-why diagnose` exists) ---------------------------------------


def test_harness_serves_the_seeded_account(endpoint: str, sandbox: Sandbox) -> None:
    import boto3

    assert endpoint.startswith("http://127.0.0.1:")
    ecs = boto3.Session(
        aws_access_key_id="testing", aws_secret_access_key="testing", region_name="us-east-1"
    ).client("ecs", endpoint_url=endpoint)
    assert ecs.list_clusters()["clusterArns"] == [sandbox.ids["cluster_arn"]]
    services = {arn.rsplit("/", 1)[1] for arn in ecs.list_services(cluster=CLUSTER)["serviceArns"]}
    assert services == set(EXPECTED_CATEGORIES)
    (web,) = ecs.describe_services(cluster=CLUSTER, services=["web"])["services"]
    assert web["healthCheckGracePeriodSeconds"] == 10


def test_harness_child_process_reaches_the_server(endpoint: str, sandbox: Sandbox) -> None:
    """The environment run_cli gives ecs-why really points boto3 at the sandbox."""
    code = (
        "import sys, boto3\n"
        "ecs = boto3.client('ecs')\n"
        "arns = ecs.list_tasks(cluster='demo', desiredStatus='STOPPED')['taskArns']\n"
        "tasks = ecs.describe_tasks(cluster='demo', tasks=arns)['tasks']\n"
        "print(sum(t['group'] == 'service:' + sys.argv[1] for t in tasks))\n"
        "print(boto3.client('sts').get_caller_identity()['Account'])\n"
    )
    result = run_python(code, "checkout", endpoint=endpoint)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == [str(len(sandbox.stopped_tasks["checkout"])), sandbox.account]


def test_harness_runs_the_cli(endpoint: str) -> None:
    result = run_cli("--help", endpoint=endpoint)
    assert result.returncode == 0, result.stderr
    assert "diagnose" in result.stdout


# -- ecs-why diagnose ----------------------------------------------------------------------------------


@pytest.mark.parametrize("service", FAILING)
def test_failing_service_is_diagnosed(endpoint: str, sandbox: Sandbox, service: str) -> None:
    result, doc = diagnose_json(endpoint, service)
    expected = sandbox.expected(service)
    assert result.returncode == 1, f"a failure was seeded: exit should be 1\nstderr:\n{result.stderr}"
    assert doc["findings"], f"no findings for {service}: {doc.get('summary')}"
    got = [f["category"] for f in doc["findings"]]
    assert got[0] == expected.category, f"{service}: expected {expected.category}, got {got}"
    text = result.stdout.lower()
    missing = [fact for fact in expected.named if fact.lower() not in text]
    assert not missing, f"{service}: the diagnosis never names {missing}"
    leaked = [secret for secret in expected.absent if secret in result.stdout]
    assert not leaked, f"{service}: not redacted: {leaked}"


@pytest.mark.parametrize("service", FAILING)
def test_json_follows_the_contract(endpoint: str, sandbox: Sandbox, service: str) -> None:
    _, doc = diagnose_json(endpoint, service)
    assert_contract(doc)
    stopped = len(sandbox.stopped_tasks.get(service, []))
    # a service that never placed a task is diagnosed from its events alone
    assert (
        doc["findings"][0]["task_count"] == stopped if not stopped else doc["findings"][0]["task_count"] >= 1
    )


@pytest.mark.parametrize("service", NORMAL)
def test_normal_stop_is_explained_with_its_facts(endpoint: str, sandbox: Sandbox, service: str) -> None:
    """A lifecycle stop (a Spot interruption) is not a failure: exit 0, but the diagnosis still says why."""
    result, doc = diagnose_json(endpoint, service)
    expected = sandbox.expected(service)
    assert result.returncode == 0, result.stdout[:2000]
    assert doc["findings"][0]["category"] == expected.category
    missing = [fact for fact in expected.named if fact.lower() not in result.stdout.lower()]
    assert not missing, f"{service}: the diagnosis never names {missing}"


@pytest.mark.parametrize("service", HEALTHY)
def test_healthy_service_has_no_failure(endpoint: str, service: str) -> None:
    result, doc = diagnose_json(endpoint, service)
    assert result.returncode == 0, f"nothing failed: exit should be 0\nstdout:\n{result.stdout[:2000]}"
    assert_contract(doc)
    failures = [f["category"] for f in doc["findings"] if f["category"] not in NON_FAILURE_CATEGORIES]
    assert not failures, failures


def test_checkout_stays_within_the_call_budget(endpoint: str, sandbox: Sandbox) -> None:
    _, doc = diagnose_json(endpoint, "checkout")
    stats = doc["stats"]
    assert len(sandbox.stopped_tasks["checkout"]) == 10
    assert stats["rounds"] <= 4, stats
    assert stats["api_calls"] <= 15, stats


def test_unknown_service_names_the_closest(endpoint: str) -> None:
    result = _diagnose(endpoint, "checkuot", "--cluster", CLUSTER)
    assert result.returncode == 2, result.stdout + result.stderr
    assert "Traceback" not in result.stderr
    assert "checkout" in result.stderr


def test_unknown_service_is_a_usage_error(endpoint: str) -> None:
    result = _diagnose(endpoint, "nosuch", "--cluster", CLUSTER)
    assert result.returncode == 2, result.stdout + result.stderr
    assert "Traceback" not in result.stderr
    assert "nosuch" in result.stderr
    assert any(name in result.stderr for name in EXPECTED_CATEGORIES), "name the services that do exist"


FORGOTTEN = "f" * 32  # a task ID ECS does not have (it forgets stopped tasks after about an hour)


@pytest.mark.parametrize(
    "target", [FORGOTTEN, f"arn:aws:ecs:us-east-1:123456789012:task/{CLUSTER}/{FORGOTTEN}"]
)
def test_a_forgotten_task_says_not_found_and_where_to_look(endpoint: str, target: str) -> None:
    """A task ARN ECS no longer has gets the task ID's answer: not found, and `ecs-why history` keeps it."""
    result = _diagnose(endpoint, target)
    assert result.returncode == 2, result.stdout + result.stderr
    assert result.stderr.strip() == (
        f"ecs-why: task {FORGOTTEN} was not found in {CLUSTER} (ECS forgets stopped tasks after about an "
        "hour; `ecs-why history` keeps them)"
    )


def test_a_service_arn_that_does_not_exist_is_named_with_the_closest(endpoint: str) -> None:
    result = _diagnose(endpoint, f"arn:aws:ecs:us-east-1:123456789012:service/{CLUSTER}/checkuot")
    assert result.returncode == 2, result.stdout + result.stderr
    assert result.stderr.startswith(f"ecs-why: no service named checkuot in {CLUSTER}; closest:")
    assert f"{CLUSTER}/checkout" in result.stderr and "held no task" not in result.stderr


def test_service_is_found_without_cluster(endpoint: str, sandbox: Sandbox) -> None:
    result = _diagnose(endpoint, "checkout", "--format", "json")
    assert result.returncode == 1, result.stderr
    doc = json.loads(result.stdout)
    assert doc["findings"][0]["category"] == sandbox.expected("checkout").category
    assert CLUSTER in json.dumps(doc["target"])


def test_a_secret_failure_names_the_role_and_the_network_path(endpoint: str, sandbox: Sandbox) -> None:
    """Which role fetches the secrets and how the task's subnet reaches Secrets Manager (billing: via NAT)."""
    _, doc = diagnose_json(endpoint, "billing")
    [finding] = [f for f in doc["findings"] if f["category"] == "secrets_retrieval"]
    facts = " ".join(item["fact"] for item in finding["evidence"])
    assert f"the execution role {sandbox.ids['execution_role']} fetches them" in facts
    assert f"reaches secretsmanager through the NAT gateway {sandbox.ids['nat_gateway']}" in facts
