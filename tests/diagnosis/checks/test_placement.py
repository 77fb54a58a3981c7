"""placement: container instances against what the task asks, with plain data."""

from __future__ import annotations

from diagnosis.checks.placement import check_container_instances, resources, task_asks
from tests.builders.placement_evidence import evidence, instance


def test_task_asks_task_level_sizes_or_the_containers_sum_and_static_ports() -> None:
    assert task_asks({"cpu": "1024", "memory": "3072", "containerDefinitions": []}) == {
        "CPU": 1024,
        "MEMORY": 3072,
    }
    containers = [
        {"cpu": 256, "memory": 700, "portMappings": [{"containerPort": 80, "hostPort": 8080}]},
        {"cpu": 128, "memoryReservation": 300, "portMappings": [{"containerPort": 9000, "hostPort": 0}]},
    ]
    assert task_asks({"networkMode": "bridge", "containerDefinitions": containers}) == {
        "CPU": 384,
        "MEMORY": 1000,
        "port 8080": 8080,
    }
    assert "port 8080" not in task_asks({"networkMode": "awsvpc", "containerDefinitions": containers})


def test_resources_reads_integers_and_port_sets() -> None:
    read = resources(instance("a", (2048, 512), (7680, 100), ports=("8080",)), "remainingResources")
    assert read["CPU"] == 512
    assert read["MEMORY"] == 100
    assert "8080" in read["PORTS"]


def test_no_instance_is_a_finding_and_names_the_cluster() -> None:
    [result] = check_container_instances(
        evidence([], cpu="512", memory="2048"), "placement_insufficient_resources"
    )
    assert result.outcome == "confirms"
    assert "no container instance is registered in the cluster batch" in result.detail
    assert "512 CPU units, 2048 MiB" in result.detail
    assert result.recategorize == "placement_constraint_or_no_instances"


def test_memory_shortfall_names_the_largest_remaining() -> None:
    ev = evidence(
        [instance("0a1", (2048, 1536), (7680, 1024)), instance("0b2", (2048, 2048), (7680, 900))],
        cpu="512",
        memory="2048",
    )
    [result] = check_container_instances(ev, "placement_insufficient_resources")
    assert result.outcome == "confirms"
    assert "asks 2048 MiB, the largest container instance has 1024 MiB remaining" in result.detail
    assert "CPU units, the largest" not in result.detail  # CPU fits: only memory is short
    facts = " ".join(item.fact for item in result.evidence)
    assert "2 container instance(s) in batch, 2 ACTIVE" in facts
    assert "i-0a1 (m5.large) ACTIVE, agent connected: 1536 of 2048 CPU units and 1024 of 7680 MiB" in facts


def test_a_task_larger_than_any_instance_type() -> None:
    ev = evidence([instance("c3", (2048, 2048), (3943, 3943))], cpu="4096", memory="2048")
    [result] = check_container_instances(ev, "placement_insufficient_resources")
    assert "asks 4096 CPU units, more than any container instance has at all" in result.detail


def test_host_port_taken_everywhere() -> None:
    containers = [{"name": "r", "memory": 128, "portMappings": [{"containerPort": 80, "hostPort": 8080}]}]
    ev = evidence(
        [instance("d4", (2048, 2048), (7680, 7000), ports=("8080",))],
        networkMode="bridge",
        containerDefinitions=containers,
    )
    [result] = check_container_instances(ev, "placement_insufficient_resources")
    assert result.outcome == "confirms"
    assert "host port 8080 is already taken on every container instance" in result.detail


def test_disconnected_agents_leave_no_usable_instance() -> None:
    ev = evidence([instance("e5", (2048, 2048), (7680, 7680), connected=False)], memory="512")
    [result] = check_container_instances(ev, "placement_constraint_or_no_instances")
    assert result.outcome == "confirms"
    assert "no container instance is ACTIVE with its ECS agent connected" in result.detail
    assert "1 with the ECS agent disconnected" in result.detail


def test_room_enough_refutes_insufficient_resources() -> None:
    ev = evidence([instance("f6", (4096, 4096), (15000, 12000))], cpu="1024", memory="2048")
    [result] = check_container_instances(ev, "placement_insufficient_resources")
    assert result.outcome == "refutes"


def test_not_read_says_nothing() -> None:
    assert check_container_instances(evidence(None, memory="512"), "placement_insufficient_resources") == []
