"""health.check_load_balancer and suggested_grace with plain data (ELBv2 / ECS API shapes)."""

from __future__ import annotations

from typing import Any

import pytest

from diagnosis.checks.evidence import LiveEvidence
from diagnosis.checks.health import check_load_balancer, suggested_grace

TG = "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/web/0123456789abcdef"
TD = "arn:aws:ecs:us-east-1:123456789012:task-definition/web:3"


def group(**overrides: Any) -> dict[str, Any]:
    base = {
        "TargetGroupArn": TG,
        "TargetType": "ip",
        "Port": 8080,
        "Protocol": "HTTP",
        "HealthCheckProtocol": "HTTP",
        "HealthCheckPort": "traffic-port",
        "HealthCheckPath": "/health",
        "HealthCheckIntervalSeconds": 30,
        "UnhealthyThresholdCount": 2,
    }
    return {**base, **overrides}


def evidence(
    target_group: dict[str, Any] | None = None,
    grace: int | None = 10,
    logs: list[dict[str, Any]] | None = None,
    network_mode: str = "awsvpc",
    groups: list[dict[str, Any]] | None = None,
    health: list[dict[str, Any]] | None = None,
) -> LiveEvidence:
    service: dict[str, Any] = {
        "serviceName": "web",
        "loadBalancers": [{"targetGroupArn": TG, "containerName": "app", "containerPort": 8080}],
    }
    if grace is not None:
        service["healthCheckGracePeriodSeconds"] = grace
    return LiveEvidence(
        region="us-east-1",
        service=service,
        task_definitions={TD: {"taskDefinitionArn": TD, "networkMode": network_mode}},
        target_groups=[target_group or group()],
        target_health=health or [],
        log_events=logs,
        security_groups=groups or [],
    )


def started(seconds: float) -> list[dict[str, Any]]:
    return [
        {"timestamp": 1_000, "message": "Starting App using Java 21"},
        {"timestamp": 2_000, "message": f"Started App in {seconds} seconds (process running for 96.1)"},
    ]


def test_instance_target_type_with_awsvpc_confirms() -> None:
    [result] = check_load_balancer(evidence(group(TargetType="instance"), grace=600), "elb_health_check")
    assert result.outcome == "confirms"
    assert "`instance`" in result.detail and "`ip`" in result.detail
    assert result.names["target_group"] == TG


def test_instance_target_type_with_bridge_mode_is_fine() -> None:
    [result] = check_load_balancer(
        evidence(group(TargetType="instance"), grace=600, network_mode="bridge"), "elb_health_check"
    )
    assert result.outcome == "inconclusive"


def test_health_check_port_mismatch_confirms() -> None:
    [result] = check_load_balancer(evidence(group(HealthCheckPort="9090"), grace=600), "elb_health_check")
    assert result.outcome == "confirms"
    assert "port 9090" in result.detail and "8080" in result.detail


def test_health_check_on_the_container_port_is_fine() -> None:
    [result] = check_load_balancer(evidence(group(HealthCheckPort="8080"), grace=600), "elb_health_check")
    assert result.outcome == "inconclusive"
    assert "look right" in result.detail


def test_grace_plus_window_shorter_than_logged_start_confirms_and_suggests_twice_the_start() -> None:
    [result] = check_load_balancer(evidence(logs=started(95.0)), "elb_health_check")
    assert result.outcome == "confirms"
    assert "10 s" in result.detail  # the grace period
    assert "95 s" in result.detail  # the start time
    assert result.names["grace_period"] == "190"
    assert result.names["container_port"] == "8080"
    assert any("95 s to start" in item.fact for item in result.evidence)


@pytest.mark.parametrize(("start", "expected"), [(94.8, "190"), (95.0, "190"), (101.0, "210"), (3.2, "10")])
def test_suggested_grace_is_twice_the_start_rounded_up_to_ten(start: float, expected: str) -> None:
    ev = evidence(logs=started(start), grace=0)
    [result] = check_load_balancer(ev, "elb_health_check")
    assert result.names["grace_period"] == expected


def test_start_within_the_grace_period_is_not_a_problem() -> None:
    [result] = check_load_balancer(evidence(grace=120, logs=started(95.0)), "elb_health_check")
    assert result.outcome == "inconclusive"


def test_start_from_timestamps_when_the_app_does_not_say() -> None:
    logs = [
        {"timestamp": 0, "message": "booting"},
        {"timestamp": 50_000, "message": "loading caches"},
        {"timestamp": 120_000, "message": "Listening on :8080"},
    ]
    [result] = check_load_balancer(evidence(logs=logs), "elb_health_check")
    assert result.outcome == "confirms"
    assert result.names["grace_period"] == "240"


def test_no_start_time_suggests_from_the_window_and_notes_a_short_grace() -> None:
    [result] = check_load_balancer(evidence(grace=10), "elb_health_check")
    assert result.outcome == "inconclusive"
    assert "shorter than one unhealthy window" in result.detail
    assert int(result.names["grace_period"]) >= 70  # at least current + 60


@pytest.mark.parametrize(
    ("start", "interval", "threshold", "current", "expected"),
    [
        (95.0, 30, 2, 10, 190),
        (None, 30, 2, 10, 120),  # 2 × window
        (None, 5, 2, 0, 60),  # floor of 60 s
        (None, 30, 2, 300, 600),  # 2 × current
        (5000.0, 30, 2, 0, 7200),  # capped at ECS's maximum
    ],
)
def test_suggested_grace(
    start: float | None, interval: int, threshold: int, current: int, expected: int
) -> None:
    assert suggested_grace(start, interval, threshold, current) == expected


def test_security_group_without_ingress_on_the_container_port_confirms() -> None:
    groups = [
        {"GroupId": "sg-app", "IpPermissions": [{"IpProtocol": "tcp", "FromPort": 443, "ToPort": 443}]},
    ]
    [result] = check_load_balancer(evidence(grace=600, groups=groups), "elb_health_check")
    assert result.outcome == "confirms"
    assert "sg-app" in result.detail and "port 8080" in result.detail


def test_security_group_with_ingress_on_the_port_is_fine() -> None:
    groups = [
        {
            "GroupId": "sg-app",
            "IpPermissions": [
                {
                    "IpProtocol": "tcp",
                    "FromPort": 8080,
                    "ToPort": 8080,
                    "UserIdGroupPairs": [{"GroupId": "sg-lb"}],
                }
            ],
        },
    ]
    [result] = check_load_balancer(evidence(grace=600, groups=groups), "elb_health_check")
    assert result.outcome == "inconclusive"


def test_unhealthy_target_reasons_are_reported() -> None:
    health = [
        {
            "Target": {"Id": "10.0.1.5", "Port": 8080},
            "TargetHealth": {
                "State": "unhealthy",
                "Reason": "Target.ResponseCodeMismatch",
                "Description": "Health checks failed with these codes: [404]",
            },
        }
    ]
    [result] = check_load_balancer(evidence(grace=600, health=health), "elb_health_check")
    assert "Target.ResponseCodeMismatch" in result.detail
    assert "[404]" in result.detail


def test_no_target_group_says_nothing() -> None:
    ev = evidence()
    ev.target_groups = []
    assert check_load_balancer(ev, "elb_health_check") == []


def test_ingress_only_from_another_group_than_the_load_balancers_confirms() -> None:
    from diagnosis.checks.health import _ingress_problem

    ev = LiveEvidence(
        security_groups=[
            {
                "GroupId": "sg-task",
                "IpPermissions": [
                    {
                        "IpProtocol": "tcp",
                        "FromPort": 8080,
                        "ToPort": 8080,
                        "UserIdGroupPairs": [{"GroupId": "sg-bastion"}],
                    }
                ],
            }
        ],
        load_balancer_groups=["sg-alb"],
    )
    problem = _ingress_problem(ev, 8080)
    assert "sg-bastion" in problem and "sg-alb" in problem
    ev.security_groups[0]["IpPermissions"][0]["UserIdGroupPairs"].append({"GroupId": "sg-alb"})
    assert _ingress_problem(ev, 8080) == ""


def offers_grace_button(names: dict[str, str]) -> bool:
    from diagnosis.actions import RaiseGracePeriod, ServiceParams

    where = ServiceParams(cluster="prod", service="web")
    return RaiseGracePeriod.applies(where, names) is not None


def test_an_app_up_long_before_the_grace_period_ends_gets_no_grace_button() -> None:
    """Up in 3 s with 120 s of grace: a longer grace period only delays the same failure (the button once
    offered to 'raise' it to 10 s)."""
    [result] = check_load_balancer(evidence(grace=120, logs=started(3.0)), "elb_health_check")
    assert not offers_grace_button(result.names)


def test_a_slow_start_past_the_grace_period_keeps_its_button() -> None:
    [result] = check_load_balancer(evidence(grace=10, logs=started(95.0)), "elb_health_check")
    assert offers_grace_button(result.names)
    assert result.names["grace_period"] == "190"


def test_no_start_time_and_nothing_wrong_found_keeps_the_button() -> None:
    [result] = check_load_balancer(evidence(grace=10), "elb_health_check")
    assert offers_grace_button(result.names)


def test_health_check_codes_in_the_service_events_confirm_the_path_and_drop_the_grace_button() -> None:
    ev = evidence(grace=60)
    assert ev.service is not None
    ev.service["events"] = [
        {
            "message": f"(service web) (task 0f1e) (port 8080) is unhealthy in (target-group {TG}) due to "
            "(reason Health checks failed with these codes: [404])."
        },
        {"message": "(service web) (port 8080) is unhealthy in (target-group arn:other) due to (reason "
         "Health checks failed with these codes: [502])."},
    ]  # fmt: skip
    [result] = check_load_balancer(ev, "elb_health_check")
    assert result.outcome == "confirms"
    assert "/health on traffic-port got HTTP 404 where the target group expects 200" in result.detail
    assert "502" not in result.detail  # another target group's event
    assert not offers_grace_button(result.names)  # the app answered: it was up


def test_a_matcher_of_several_codes_is_quoted_as_the_target_group_has_it() -> None:
    health = [
        {
            "TargetHealth": {
                "State": "unhealthy",
                "Description": "Health checks failed with these codes: [301]",
            }
        }
    ]
    [result] = check_load_balancer(
        evidence(group(Matcher={"HttpCode": "200-299"}), grace=600, health=health), "elb_health_check"
    )
    assert "got HTTP 301 where the target group expects 200-299" in result.detail


def test_no_ingress_at_all_names_the_load_balancers_group_it_should_admit() -> None:
    from diagnosis.checks.health import _ingress_problem

    ev = LiveEvidence(
        security_groups=[{"GroupId": "sg-task", "IpPermissions": []}], load_balancer_groups=["sg-alb"]
    )
    assert _ingress_problem(ev, 8080) == (
        "the task's security groups (sg-task) allow no inbound traffic on port 8080 from the load balancer's "
        "security group (sg-alb)"
    )
    ev.load_balancer_groups = []
    assert _ingress_problem(ev, 8080).endswith("allow no inbound traffic on port 8080")


def test_a_server_error_from_the_health_check_is_no_wrong_path_and_keeps_the_grace_button() -> None:
    """A 503 is what an app still warming up answers: a longer grace period is a fix, the path is not wrong."""
    health = [
        {
            "TargetHealth": {
                "State": "unhealthy",
                "Description": "Health checks failed with these codes: [503]",
            }
        }
    ]
    [result] = check_load_balancer(evidence(grace=0, health=health), "elb_health_check")
    assert "not on that path" not in result.detail
    assert any("got HTTP 503" in e.fact and "server error" in e.fact for e in result.evidence)
    assert offers_grace_button(result.names)
