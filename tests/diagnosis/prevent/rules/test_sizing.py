from __future__ import annotations

import pytest

from tests.builders.prevent import container, results, rule_ids, taskdef


@pytest.mark.parametrize(
    ("cpu", "memory"), [("256", "512"), ("1024", "8192"), ("1 vCPU", "2GB"), ("4096", "30720")]
)
def test_valid_fargate_sizes_pass(cpu: str, memory: str) -> None:
    assert "fargate_task_size" not in rule_ids(taskdef(container(memory=None), cpu=cpu, memory=memory))


def test_an_invalid_fargate_pair_is_an_error_with_the_next_valid_size() -> None:
    [found] = results(taskdef(cpu="256", memory="4096"), "fargate_task_size")
    assert found.severity == "error"
    assert "256 CPU units" in found.fact and "4096" in found.fact
    assert '.cpu = "512"' in (found.fix.cli or "") and '.memory = "4096"' in (found.fix.cli or "")


def test_fargate_without_task_memory_is_an_error() -> None:
    [found] = results(taskdef(memory=None), "fargate_task_size")
    assert "no memory" in found.fact


def test_ec2_task_definitions_are_not_held_to_fargate_sizes() -> None:
    ec2 = taskdef(cpu="300", memory="700", requiresCompatibilities=["EC2"])
    assert "fargate_task_size" not in rule_ids(ec2)


def test_containers_reserving_more_than_the_task_is_an_error() -> None:
    definition = taskdef(
        container("app", memory=768), container("sidecar", memoryReservation=512), memory="1024"
    )
    found = results(definition, "container_memory_sum")
    assert [r.severity for r in found] == ["error"]
    assert "1280 MiB" in found[0].fact and "1024" in found[0].fact
    assert '.memory = "2048"' in (found[0].fix.cli or "")


def test_a_container_hard_limit_above_the_task_is_an_error() -> None:
    found = results(taskdef(container(memory=2048), memory="1024"), "container_memory_sum")
    assert any("2048 MiB hard limit" in r.fact for r in found)


def test_ec2_container_without_any_memory_is_an_error_and_reservation_only_a_warning() -> None:
    definition = taskdef(
        container("app"),
        container("worker", memoryReservation=256),
        requiresCompatibilities=["EC2"],
        cpu=None,
        memory=None,
        networkMode="bridge",
    )
    by_container = {r.fact.split(" ")[1]: r for r in results(definition, "container_memory_limit")}
    assert by_container["app"].severity == "error"
    assert by_container["worker"].severity == "warning"
    assert '"worker")).memory = 512' in (by_container["worker"].fix.cli or "")


def test_memory_values_from_parameters_are_not_guessed() -> None:
    unknown = taskdef(memory={"Ref": "Memory"})
    assert not {"fargate_task_size", "container_memory_sum"} & rule_ids(unknown)
