"""A well-made task definition and service pass every offline rule: the rules do not cry wolf."""

from __future__ import annotations

from tests.builders.prevent import container, results, service, subject, taskdef


def test_a_good_fargate_task_definition_has_no_finding() -> None:
    assert results(taskdef()) == []


def test_a_good_service_with_load_balancer_has_no_finding() -> None:
    lb = [{"targetGroupArn": "tg", "containerName": "app", "containerPort": 8080}]
    group = {
        "TargetGroupArn": "tg",
        "TargetType": "ip",
        "HealthCheckIntervalSeconds": 30,
        "UnhealthyThresholdCount": 3,
    }
    good = subject(
        taskdef(
            container(healthCheck={"command": ["CMD-SHELL", "curl -f localhost:8080/"], "startPeriod": 60})
        ),
        service=service(loadBalancers=lb, healthCheckGracePeriodSeconds=120),
        target_groups=(group,),
    )
    assert results(good) == []
