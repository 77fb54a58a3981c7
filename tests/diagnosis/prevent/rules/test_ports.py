from __future__ import annotations

from tests.builders.prevent import container, results, rule_ids, service, subject, taskdef

LB = [{"targetGroupArn": "tg", "containerName": "app", "containerPort": 8080}]
GROUP = {
    "TargetGroupArn": "tg",
    "TargetType": "ip",
    "HealthCheckIntervalSeconds": 30,
    "UnhealthyThresholdCount": 2,
}


def test_a_load_balancer_port_the_container_does_not_map_is_an_error() -> None:
    definition = taskdef(container(portMappings=[{"containerPort": 80}]))
    [found] = results(subject(definition, service=service(loadBalancers=LB)), "load_balancer_port")
    assert found.severity == "error" and "8080" in found.fact and "maps 80" in found.fact


def test_a_load_balancer_naming_a_missing_container_is_an_error() -> None:
    lb = [{**LB[0], "containerName": "web"}]
    [found] = results(subject(taskdef(), service=service(loadBalancers=lb)), "load_balancer_port")
    assert "container web" in found.fact


def test_awsvpc_host_port_other_than_the_container_port_is_an_error() -> None:
    definition = taskdef(container(portMappings=[{"containerPort": 8080, "hostPort": 80}]))
    assert "awsvpc_host_port" in rule_ids(definition)
    assert "awsvpc_host_port" not in rule_ids(
        taskdef(container(portMappings=[{"containerPort": 8080, "hostPort": 8080}]))
    )


def test_an_instance_target_group_for_awsvpc_tasks_is_caught_by_the_diagnosis_check() -> None:
    group = {**GROUP, "TargetType": "instance"}
    found = results(
        subject(taskdef(), service=service(loadBalancers=LB), target_groups=(group,)), "target_group_reach"
    )
    assert [r.severity for r in found] == ["error"] and "`ip`" in found[0].fact
    assert found[0].fix.cloudformation == "tg: TargetType: ip"


def test_a_health_check_port_other_than_the_container_s_is_an_error() -> None:
    group = {**GROUP, "HealthCheckPort": "9090"}
    found = results(
        subject(taskdef(), service=service(loadBalancers=LB), target_groups=(group,)), "target_group_reach"
    )
    assert found and "9090" in found[0].fact
