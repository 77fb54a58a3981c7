"""Live rules with plain evidence: each one fails the check exactly when the diagnosis check it runs would
confirm the cause, and passes on the good case."""

from __future__ import annotations

import json
from dataclasses import replace
from typing import Any

from diagnosis.prevent.model import Subject
from diagnosis.prevent.rules import LIVE
from diagnosis.prevent.run import check_subjects
from tests.builders.live_subject import live
from tests.builders.prevent import EXECUTION_ROLE, container, service, taskdef

SECRET = "arn:aws:secretsmanager:eu-west-1:111122223333:secret:db-AbCdEf"


def found(subject: Subject, rule: str) -> list[Any]:
    return [r for r in check_subjects([subject], LIVE).results if r.rule == rule]


def test_a_missing_tag_fails_with_the_tags_that_exist() -> None:
    missing = live(images={"web": ["v2.4.0"]}, ecr={"web": ["v2.3.0", "v2.3.1"]})
    [result] = found(missing, "image_exists")
    assert result.severity == "error" and "v2.4.0" in result.fact and "v2.3.1" in result.fact
    assert "aws ecr describe-images --repository-name web" in (result.fix.cli or "")
    assert found(live(images={"web": ["v2.3.1"]}, ecr={"web": ["v2.3.1"]}), "image_exists") == []


def _index(*architectures: str) -> dict[str, Any]:
    """What ECR BatchGetImage returns for a multi-platform image (an OCI index)."""
    manifests = [{"platform": {"architecture": a, "os": "linux"}} for a in architectures]
    return {
        "imageManifest": json.dumps({"manifests": manifests}),
        "imageManifestMediaType": "application/vnd.oci.image.index.v1+json",
    }


def test_an_image_manifest_without_the_task_s_platform_fails() -> None:
    definition = taskdef(runtimePlatform={"cpuArchitecture": "X86_64", "operatingSystemFamily": "LINUX"})
    [result] = found(live(definition, image_manifests={"web:1.4.2": _index("arm64")}), "image_platform")
    assert "linux/arm64" in result.fact and "linux/amd64" in result.fact
    assert (
        found(live(definition, image_manifests={"web:1.4.2": _index("arm64", "amd64")}), "image_platform")
        == []
    )


def test_a_secret_that_does_not_exist_fails() -> None:
    definition = taskdef(container(secrets=[{"name": "DB", "valueFrom": SECRET}]))
    [result, *_] = found(live(definition, secrets={SECRET: "ResourceNotFoundException"}), "secret_exists")
    assert SECRET in result.fact
    assert found(live(definition, secrets={SECRET: "exists"}), "secret_exists") == []


def test_a_missing_secret_s_fix_looks_in_the_store_it_is_in() -> None:
    parameter = "arn:aws:ssm:eu-west-1:111122223333:parameter/prod/db"
    for reference, missing, cli in (
        (SECRET, "ResourceNotFoundException", "aws secretsmanager describe-secret --secret-id "),
        (parameter, "ParameterNotFound", "aws ssm get-parameter --name "),
    ):
        definition = taskdef(container(secrets=[{"name": "DB", "valueFrom": reference}]))
        [result, *_] = found(live(definition, secrets={reference: missing}), "secret_exists")
        assert (result.fix.cli or "").startswith(cli + reference)


def test_a_denied_execution_role_action_fails() -> None:
    repository = "arn:aws:ecr:eu-west-1:111122223333:repository/app"  # the task's own image's repository
    decided = {(EXECUTION_ROLE, "ecr:GetAuthorizationToken", "*"): "allowed"}
    denied = live(simulation={**decided, (EXECUTION_ROLE, "ecr:BatchGetImage", repository): "implicitDeny"})
    [result] = found(denied, "execution_role_allowed")
    assert f"ecr:BatchGetImage on {repository}" in result.fact
    allowed = {
        (EXECUTION_ROLE, a, repository): "allowed"
        for a in ("ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer")
    }
    assert found(live(simulation={**decided, **allowed}), "execution_role_allowed") == []


def test_a_missing_log_group_fails_unless_the_task_creates_it() -> None:
    [result] = found(live(log_stream=("/ecs/app", "ecs/app/abc"), log_groups=[]), "log_group_exists")
    assert "/ecs/app" in result.fact
    assert (
        found(live(log_stream=("/ecs/app", "ecs/app/abc"), log_groups=["/ecs/app"]), "log_group_exists") == []
    )
    creates = container(
        logConfiguration={
            "logDriver": "awslogs",
            "options": {"awslogs-group": "/ecs/app", "awslogs-create-group": "true"},
        }
    )
    assert (
        found(live(taskdef(creates), log_stream=("/ecs/app", "x"), log_groups=[]), "log_group_exists") == []
    )


SUBNET = {
    "SubnetId": "subnet-a",
    "VpcId": "vpc-1",
    "AvailabilityZone": "eu-west-1a",
    "AvailableIpAddressCount": 200,
}
ISOLATED = [
    {"RouteTableId": "rtb-1", "VpcId": "vpc-1", "Associations": [{"SubnetId": "subnet-a"}], "Routes": []}
]
NATTED = [{**ISOLATED[0], "Routes": [{"DestinationCidrBlock": "0.0.0.0/0", "NatGatewayId": "nat-1"}]}]


def test_an_isolated_subnet_without_endpoints_fails() -> None:
    isolated = live(subnets=[SUBNET], route_tables=ISOLATED, network_read=True, endpoints=[])
    results = found(isolated, "network_path")
    assert results and all(r.severity == "error" for r in results) and "subnet-a" in results[0].fact
    assert (
        found(live(subnets=[SUBNET], route_tables=NATTED, network_read=True, endpoints=[]), "network_path")
        == []
    )


def test_too_few_free_addresses_for_a_deployment_fails() -> None:
    tight = [{**SUBNET, "AvailableIpAddressCount": 5}]
    results = found(
        live(svc=service(desiredCount=4), subnets=tight, route_tables=NATTED, network_read=True),
        "subnet_addresses",
    )
    assert any("5 free addresses" in r.fact and "needs 8" in r.fact for r in results)
    assert (
        found(
            live(svc=service(desiredCount=4), subnets=[SUBNET], route_tables=NATTED, network_read=True),
            "subnet_addresses",
        )
        == []
    )


def test_memory_at_the_limit_warns() -> None:
    near = [{"Id": "m0", "Timestamps": [1, 2, 3], "Values": [700.0, 900.0, 1010.0]}]
    [result] = found(live(memory=near), "memory_headroom")
    assert result.severity == "warning" and "1010" in result.fact
    assert (
        found(live(memory=[{"Id": "m0", "Timestamps": [1, 2], "Values": [300.0, 320.0]}]), "memory_headroom")
        == []
    )


def test_health_checks_that_fire_before_the_app_has_started_fail() -> None:
    lb = [{"targetGroupArn": "tg", "containerName": "app", "containerPort": 8080}]
    group = {
        "TargetGroupArn": "tg",
        "TargetType": "ip",
        "HealthCheckIntervalSeconds": 30,
        "UnhealthyThresholdCount": 3,
        "HealthCheckTimeoutSeconds": 5,
    }
    start = [
        {"timestamp": 0, "message": "starting"},
        {"timestamp": 95_000, "message": "Started WebApplication in 94.8 seconds"},
    ]
    slow = live(
        svc=service(loadBalancers=lb, healthCheckGracePeriodSeconds=10),
        target_groups=[group],
        log_events=start,
    )
    [result] = found(slow, "load_balancer_health")
    assert "95 s" in result.fact
    patient = live(
        svc=service(loadBalancers=lb, healthCheckGracePeriodSeconds=200),
        target_groups=[group],
        log_events=start,
    )
    assert found(patient, "load_balancer_health") == []


def test_an_ec2_cluster_without_instances_fails() -> None:
    ec2 = taskdef(requiresCompatibilities=["EC2"], networkMode="bridge")
    [result] = found(live(ec2, svc=service(launchType="EC2"), container_instances=[]), "cluster_capacity")
    assert "no container instance" in result.fact
    room = [
        {
            "status": "ACTIVE",
            "agentConnected": True,
            "remainingResources": [
                {"name": "CPU", "integerValue": 4096},
                {"name": "MEMORY", "integerValue": 8192},
            ],
            "registeredResources": [
                {"name": "CPU", "integerValue": 4096},
                {"name": "MEMORY", "integerValue": 8192},
            ],
        }
    ]
    assert found(live(ec2, svc=service(launchType="EC2"), container_instances=room), "cluster_capacity") == []


def test_an_efs_mount_target_closed_to_the_task_fails() -> None:
    volumes = [{"name": "data", "efsVolumeConfiguration": {"fileSystemId": "fs-0a1"}}]
    subnet = {"SubnetId": "subnet-1", "AvailabilityZone": "eu-west-1a", "CidrBlock": "10.1.1.0/24"}
    target = {"MountTargetId": "fsmt-1", "SubnetId": "subnet-1", "AvailabilityZoneName": "eu-west-1a"}

    def subject(nfs_from: str) -> Subject:
        rule = {
            "IpProtocol": "tcp",
            "FromPort": 2049,
            "ToPort": 2049,
            "UserIdGroupPairs": [{"GroupId": nfs_from}],
        }
        return live(
            taskdef(volumes=volumes),
            subnets=[subnet],
            security_groups=[{"GroupId": "sg-task"}],
            file_systems={"fs-0a1": {"LifeCycleState": "available"}},
            mount_targets={"fs-0a1": [target]},
            mount_target_groups={"fsmt-1": ["sg-efs"]},
            vpc_security_groups=[{"GroupId": "sg-efs", "IpPermissions": [rule]}],
        )

    [result] = found(subject("sg-other"), "efs_volume")
    assert "allows no NFS 2049 from sg-task" in result.fact
    assert found(subject("sg-task"), "efs_volume") == []


def test_a_backgrounded_command_fails() -> None:
    background = taskdef(container(command=["sh", "-c", "./worker & echo up"]))
    [result] = found(live(background), "foreground_command")
    assert "background" in result.fact
    assert found(live(taskdef(container(command=["./worker", "--foreground"]))), "foreground_command") == []


def test_a_health_check_that_gives_up_before_the_start_fails() -> None:
    check = {"command": ["CMD", "/ok"], "interval": 10, "retries": 3, "startPeriod": 20}
    slow = [{"message": "Started App in 80.5 seconds"}]
    [result] = found(live(taskdef(container(healthCheck=check)), log_events=slow), "health_check_window")
    assert "needs 80 s to start" in result.fact
    fast = [{"message": "Started App in 12.0 seconds"}]
    assert found(live(taskdef(container(healthCheck=check)), log_events=fast), "health_check_window") == []


def test_offline_rules_produce_nothing_from_the_live_family_without_evidence() -> None:
    offline = replace(live(images={"web": ["v2.4.0"]}, ecr={"web": []}), evidence=None)
    assert check_subjects([offline], LIVE).results == []


def test_every_live_rule_has_a_test_here() -> None:
    tested = {
        "image_exists",
        "image_platform",
        "secret_exists",
        "execution_role_allowed",
        "log_group_exists",
        "network_path",
        "subnet_addresses",
        "memory_headroom",
        "load_balancer_health",
        "cluster_capacity",
        "efs_volume",
        "foreground_command",
        "health_check_window",
    }
    assert {rule.id for rule in LIVE} == tested


def test_live_rules_run_registered_diagnosis_checks_for_causes_they_speak_about() -> None:
    from diagnosis.checks import ALL as CHECKS

    for rule in LIVE:
        assert rule.uses, rule.id
        for use in rule.uses:
            assert use.check in CHECKS, f"{rule.id}: {use.check.name} is not a registered check"
            assert use.category in use.check.categories, (
                f"{rule.id}: {use.check.name} says nothing of {use.category}"
            )
            assert use.category in rule.prevents


def test_the_collector_fetches_only_what_applies() -> None:
    from diagnosis.checks import needs
    from diagnosis.prevent.rules.live import needs_of_rules

    bare = needs_of_rules(LIVE, live(taskdef(container(logConfiguration=None)), svc=service()))
    with_secrets = needs_of_rules(
        LIVE, live(taskdef(container(secrets=[{"name": "DB", "valueFrom": SECRET}])), svc=service())
    )
    assert needs.SECRETS.name in with_secrets and needs.SECRETS.name not in bare
    assert needs.LOG_GROUPS.name in with_secrets and needs.LOG_GROUPS.name not in bare  # awslogs or not
    assert needs.ECR_IMAGES.name in bare
