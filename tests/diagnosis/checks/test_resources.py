"""resources: the Fargate size table and check_memory with Container Insights data."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from diagnosis.checks.evidence import LiveEvidence
from diagnosis.checks.resources import FARGATE_SIZES, check_memory, next_fargate_size, next_memory

TD = "arn:aws:ecs:us-east-1:123456789012:task-definition/web:3"
EXPECTED_ROWS = {
    256: [512, 1024, 2048],
    512: [1024, 2048, 3072, 4096],
    1024: [m * 1024 for m in range(2, 9)],
    2048: [m * 1024 for m in range(4, 17)],
    4096: [m * 1024 for m in range(8, 31)],
    8192: [m * 1024 for m in range(16, 61, 4)],
    16384: [m * 1024 for m in range(32, 121, 8)],
}


def test_the_table_matches_the_documented_fargate_sizes() -> None:
    assert FARGATE_SIZES == EXPECTED_ROWS


@pytest.mark.parametrize("cpu", sorted(EXPECTED_ROWS))
def test_next_size_within_every_cpu_row(cpu: int) -> None:
    row = EXPECTED_ROWS[cpu]
    for now, then in itertools.pairwise(row):
        assert next_fargate_size(cpu, now) == (cpu, then)


@pytest.mark.parametrize(
    ("cpu", "memory", "expected"),
    [
        (256, 512, (256, 1024)),
        (256, 1024, (256, 2048)),
        (256, 2048, (512, 3072)),  # the row is full: the smallest bigger size needs 512 CPU
        (512, 4096, (1024, 5120)),
        (1024, 8192, (2048, 9216)),
        (2048, 16384, (4096, 17408)),
        (4096, 30720, (8192, 32768)),
        (8192, 61440, (16384, 65536)),
        (16384, 122880, None),  # the largest size: nothing bigger
        (256, 700, (256, 1024)),  # an odd value moves to the next valid one
    ],
)
def test_next_size_edges(cpu: int, memory: int, expected: tuple[int, int] | None) -> None:
    assert next_fargate_size(cpu, memory) == expected


def test_next_memory_for_ec2_doubles_and_needs_a_memory() -> None:
    assert next_memory({"cpu": "512", "memory": "768"}, fargate=False) == (512, 1536)
    assert next_memory({"cpu": "256", "memory": "512"}, fargate=True) == (256, 1024)
    assert next_memory({}, fargate=True) is None


def series(values: list[float], query_id: str = "m0") -> dict[str, Any]:
    start = datetime(2026, 1, 1, tzinfo=UTC)
    stamps = [start + timedelta(minutes=i) for i in range(len(values))]
    # CloudWatch returns newest first; the check must sort by time.
    return {"Id": query_id, "Timestamps": stamps[::-1], "Values": values[::-1], "StatusCode": "Complete"}


def evidence(values: list[float] | None, memory: str = "512", cpu: str = "256") -> LiveEvidence:
    definition = {
        "taskDefinitionArn": TD,
        "cpu": cpu,
        "memory": memory,
        "requiresCompatibilities": ["FARGATE"],
    }
    task = {
        "taskArn": "arn:aws:ecs:us-east-1:123456789012:task/prod/" + "a" * 32,
        "lastStatus": "STOPPED",
        "launchType": "FARGATE",
        "taskDefinitionArn": TD,
    }
    memory_data = None if values is None else [series(values), series([float(memory)] * len(values), "m1")]
    return LiveEvidence(
        region="us-east-1", tasks=[task], task_definitions={TD: definition}, memory=memory_data
    )


def test_memory_at_the_limit_confirms_with_the_next_size() -> None:
    [result] = check_memory(evidence([300, 480, 200, 505, 350]), "oom")
    assert result.outcome == "confirms"
    assert "99% of the memory reserved (505 of 512 MiB" in result.detail
    assert "undersized" in result.detail
    assert result.names == {"next_cpu": "256", "next_memory": "1024"}
    assert "1024 MiB with 256 CPU units" in result.detail


def test_memory_below_the_limit_is_inconclusive() -> None:
    [result] = check_memory(evidence([200, 250, 180, 240]), "oom")
    assert result.outcome == "inconclusive"
    assert "49% of the memory reserved" in result.detail


def test_climbing_memory_says_leak() -> None:
    [result] = check_memory(evidence([100, 180, 260, 330, 420, 510]), "oom")
    assert result.outcome == "confirms"
    assert "leak" in result.detail


def test_flat_memory_is_not_a_leak() -> None:
    [result] = check_memory(evidence([505, 505, 505, 505, 505, 505]), "oom")
    assert "leak" not in result.detail


def test_no_container_insights_data_is_inconclusive() -> None:
    [result] = check_memory(evidence([]), "oom")
    assert result.outcome == "inconclusive"
    assert "Container Insights" in result.detail
    assert result.names["next_memory"] == "1024"


def test_unread_memory_says_nothing() -> None:
    assert check_memory(evidence(None), "oom") == []


def test_largest_fargate_size_gives_no_next_size() -> None:
    [result] = check_memory(evidence([122000, 122500], memory="122880", cpu="16384"), "oom")
    assert result.outcome == "confirms"
    assert "next_memory" not in result.names
    assert "next valid size" not in result.detail


def two_tasks(used_each: list[float]) -> LiveEvidence:
    """Service-level Container Insights for two running tasks of 512 MiB: both metrics are sums."""
    ev = evidence([2 * u for u in used_each])
    ev.memory = [series([2 * u for u in used_each]), series([1024.0] * len(used_each), "m1")]
    return ev


def test_service_level_memory_is_compared_with_the_memory_reserved_not_one_tasks_limit() -> None:
    [result] = check_memory(two_tasks([200, 260, 300, 310]), "oom")  # 620 MiB summed, over one task's 512
    assert result.outcome == "inconclusive"
    assert "61% of the memory reserved (620 of 1024 MiB" in result.detail
    assert "about 310 MiB of a task's 512 MiB" in result.detail
    [full] = check_memory(two_tasks([300, 420, 480, 500]), "oom")
    assert full.outcome == "confirms"
    assert "98% of the memory reserved" in full.detail


def test_without_memory_reserved_it_says_what_it_compared() -> None:
    ev = evidence([300, 505])
    ev.memory = [series([300, 505])]
    [result] = check_memory(ev, "oom")
    assert "505 MiB of the 512 MiB limit" in result.detail
    assert "no MemoryReserved" in result.detail
