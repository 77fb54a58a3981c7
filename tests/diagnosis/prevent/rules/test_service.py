from __future__ import annotations

from tests.builders.prevent import results, rule_ids, service, subject, taskdef

LB = [{"targetGroupArn": "tg", "containerName": "app", "containerPort": 8080}]


def test_no_circuit_breaker_is_a_warning_with_the_update_service_fix() -> None:
    bare = service(deploymentConfiguration={})
    [found] = results(subject(taskdef(), service=bare), "circuit_breaker")
    assert found.severity == "warning"
    assert found.fix.cli == (
        "aws ecs update-service --cluster prod --service web --deployment-configuration "
        '"deploymentCircuitBreaker={enable=true,rollback=true}"'
    )


def test_a_circuit_breaker_without_rollback_is_flagged_and_codedeploy_is_not() -> None:
    no_rollback = service(
        deploymentConfiguration={"deploymentCircuitBreaker": {"enable": True, "rollback": False}}
    )
    assert "without rollback" in results(subject(taskdef(), service=no_rollback), "circuit_breaker")[0].fact
    blue_green = service(deploymentConfiguration={}, deploymentController={"type": "CODE_DEPLOY"})
    assert "circuit_breaker" not in rule_ids(subject(taskdef(), service=blue_green))


def test_a_load_balancer_without_grace_period_is_a_warning() -> None:
    [found] = results(subject(taskdef(), service=service(loadBalancers=LB)), "grace_period")
    assert "0 s" in found.fact and "--health-check-grace-period-seconds" in (found.fix.cli or "")


def test_a_grace_period_covering_the_unhealthy_window_passes() -> None:
    group = {"TargetGroupArn": "tg", "HealthCheckIntervalSeconds": 10, "UnhealthyThresholdCount": 3}
    ok = subject(
        taskdef(), service=service(loadBalancers=LB, healthCheckGracePeriodSeconds=60), target_groups=(group,)
    )
    assert "grace_period" not in rule_ids(ok)
    short = subject(
        taskdef(), service=service(loadBalancers=LB, healthCheckGracePeriodSeconds=20), target_groups=(group,)
    )
    assert "30 s" in results(short, "grace_period")[0].fact


def test_one_subnet_or_one_zone_is_a_warning() -> None:
    one = service(networkConfiguration={"awsvpcConfiguration": {"subnets": ["subnet-a"]}})
    assert "one subnet" in results(subject(taskdef(), service=one), "availability_zones")[0].fact
    same_zone = (
        {"SubnetId": "subnet-a", "AvailabilityZone": "eu-west-1a"},
        {"SubnetId": "subnet-b", "AvailabilityZone": "eu-west-1a"},
    )
    assert (
        "eu-west-1a"
        in results(subject(taskdef(), service=service(), subnets=same_zone), "availability_zones")[0].fact
    )
    two_zones = (same_zone[0], {"SubnetId": "subnet-b", "AvailabilityZone": "eu-west-1b"})
    assert "availability_zones" not in rule_ids(subject(taskdef(), service=service(), subnets=two_zones))


def test_spot_without_an_on_demand_base_is_a_warning() -> None:
    spot = service(capacityProviderStrategy=[{"capacityProvider": "FARGATE_SPOT", "weight": 1}])
    assert "FARGATE_SPOT" in results(subject(taskdef(), service=spot), "spot_base")[0].fact
    based = service(
        capacityProviderStrategy=[
            {"capacityProvider": "FARGATE", "base": 1, "weight": 1},
            {"capacityProvider": "FARGATE_SPOT", "weight": 3},
        ]
    )
    assert "spot_base" not in rule_ids(subject(taskdef(), service=based))
