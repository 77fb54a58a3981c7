"""Each ECS Exec readiness check on plain data: pass, fail, could not check, with the fact it read."""

from __future__ import annotations

import json
from typing import Any

import pytest

from diagnosis.checks.evidence import LiveEvidence
from diagnosis.checks.exec import (
    AGENT_STATUS,
    NETWORK,
    PLATFORM,
    ROOT_FILESYSTEM,
    SERVICE,
    TASKS,
    ExecFacts,
    exec_command,
)
from diagnosis.checks.exec_iam import CHANNELS, KMS, LOGGING, TASK_ROLE, simulations
from diagnosis.exec_check import EXEC

ACCOUNT, REGION = "111122223333", "eu-west-1"
TD = f"arn:aws:ecs:{REGION}:{ACCOUNT}:task-definition/shell:3"
TASK_ROLE_ARN = f"arn:aws:iam::{ACCOUNT}:role/shell-task"
EXECUTION_ROLE_ARN = f"arn:aws:iam::{ACCOUNT}:role/ecsTaskExecutionRole"
ALLOWED = dict.fromkeys(CHANNELS, "allowed")


def agent(status: str = "RUNNING", reason: str | None = None) -> dict[str, Any]:
    found: dict[str, Any] = {"name": "ExecuteCommandAgent", "lastStatus": status}
    if reason:
        found["reason"] = reason
    return found


def task(
    ident: str = "0123456789abcdef0123456789abcdef",
    exec_on: bool = True,
    agents: list[dict[str, Any]] | None = None,
    **extra: Any,
) -> dict[str, Any]:
    return {
        "taskArn": f"arn:aws:ecs:{REGION}:{ACCOUNT}:task/tools/{ident}",
        "taskDefinitionArn": TD,
        "lastStatus": "RUNNING",
        "launchType": "FARGATE",
        "platformVersion": "1.4.0",
        "enableExecuteCommand": exec_on,
        "containers": [{"name": "app", "managedAgents": [agent()] if agents is None else agents}],
        **extra,
    }


def definition(**extra: Any) -> dict[str, Any]:
    container = {"name": "app", "image": "busybox", "essential": True, **extra.pop("container", {})}
    return {
        "taskDefinitionArn": TD,
        "networkMode": "awsvpc",
        "taskRoleArn": TASK_ROLE_ARN,
        "executionRoleArn": EXECUTION_ROLE_ARN,
        "containerDefinitions": [container],
        **extra,
    }


def facts(
    service: dict[str, Any] | None = None,
    tasks: list[dict[str, Any]] | None = None,
    td: dict[str, Any] | None = None,
    unread: dict[str, str] | None = None,
    **evidence: Any,
) -> ExecFacts:
    shown = {
        "serviceName": "shell",
        "serviceArn": f"arn:aws:ecs:{REGION}:{ACCOUNT}:service/tools/shell",
        "taskDefinition": TD,
        "enableExecuteCommand": True,
        "desiredCount": 1,
        **(service or {}),
    }
    return ExecFacts(
        LiveEvidence(
            region=REGION,
            service=shown,
            tasks=[task()] if tasks is None else tasks,
            task_definitions={TD: definition() if td is None else td},
            **evidence,
        ),
        cluster="tools",
        unread=unread or {},
    )


def test_every_check_is_declared_once_with_what_it_reads() -> None:
    names = [c.name for c in EXEC]
    assert len(names) == len(set(names)) == 9
    for check in EXEC:
        assert check.title and check.needs and check.iam_actions


# --- the service and its tasks -----------------------------------------------------------------------


def test_service_with_exec_on_passes() -> None:
    outcome = SERVICE.run(facts())
    assert outcome.status == "pass" and "enableExecuteCommand is true on shell" in outcome.fact


def test_service_with_exec_off_fails_with_the_update_service_line() -> None:
    outcome = SERVICE.run(facts({"enableExecuteCommand": False}))
    assert outcome.status == "fail" and "false on shell" in outcome.fact
    assert outcome.fix == (
        "aws ecs update-service --cluster tools --service shell --enable-execute-command --force-new-deployment"
    )


def test_service_not_read_names_the_action() -> None:
    empty = ExecFacts(LiveEvidence(region=REGION), "tools", unread={"ecs:DescribeServices": "AccessDenied"})
    outcome = SERVICE.run(empty)
    assert outcome.status == "unknown" and outcome.iam_action == "ecs:DescribeServices"
    assert "AccessDenied" in outcome.fact


def test_tasks_started_before_exec_was_turned_on_need_a_new_deployment() -> None:
    old = task("a" * 32, exec_on=False, agents=[])
    outcome = TASKS.run(facts(tasks=[old, task("b" * 32)]))
    assert outcome.status == "fail" and "1 of 2 running tasks" in outcome.fact and "a" * 32 in outcome.fact
    assert outcome.fix is not None and outcome.fix.endswith("--force-new-deployment")
    assert "--enable-execute-command" not in outcome.fix, "the service has it on: only a new deployment"


def test_tasks_all_with_exec_pass_and_no_running_task_cannot_be_checked() -> None:
    assert TASKS.run(facts()).status == "pass"
    none = TASKS.run(facts(tasks=[]))
    assert none.status == "unknown" and "no running task" in none.fact and none.iam_action is None
    denied = TASKS.run(facts(tasks=[], unread={"ecs:DescribeTasks": "AccessDenied: the role lacks it"}))
    assert denied.status == "unknown" and denied.iam_action == "ecs:DescribeTasks"


# --- the task role ---------------------------------------------------------------------------------


def test_task_role_allowed_the_four_channels_passes() -> None:
    outcome = TASK_ROLE.run(facts(exec_simulations={"channels": ALLOWED}))
    assert outcome.status == "pass" and "shell-task" in outcome.fact


def test_task_role_denied_a_channel_fails_and_says_the_execution_role_has_them() -> None:
    denied = {**ALLOWED, "ssmmessages:OpenDataChannel": "implicitDeny"}
    outcome = TASK_ROLE.run(facts(exec_simulations={"channels": denied, "execution_channels": ALLOWED}))
    assert outcome.status == "fail"
    assert "ssmmessages:OpenDataChannel (implicitDeny)" in outcome.fact
    assert "CreateControlChannel" not in outcome.fact
    assert "allowed on the execution role" in outcome.fact
    assert outcome.fix is not None and "put-role-policy --role-name shell-task" in outcome.fix
    policy = json.loads(outcome.fix.split("--policy-document ", 1)[1].strip("'"))
    assert policy["Statement"][0]["Action"] == list(CHANNELS)


def test_no_task_role_fails_and_nothing_is_simulated() -> None:
    no_role = facts(td=definition(taskRoleArn=None))
    outcome = TASK_ROLE.run(no_role)
    assert outcome.status == "fail" and "has no task role" in outcome.fact
    assert simulations(no_role) == {}


def test_a_task_role_override_is_the_role_checked() -> None:
    override = f"arn:aws:iam::{ACCOUNT}:role/debug-override"
    found = facts(tasks=[task(overrides={"taskRoleArn": override})])
    assert simulations(found)["channels"][0] == override


def test_simulation_that_failed_cannot_be_checked() -> None:
    outcome = TASK_ROLE.run(
        facts(exec_simulations={"channels": None}, unread={"iam:SimulatePrincipalPolicy": "AccessDenied"})
    )
    assert outcome.status == "unknown" and outcome.iam_action == "iam:SimulatePrincipalPolicy"


# --- network ---------------------------------------------------------------------------------------

SUBNET = {"SubnetId": "subnet-1", "VpcId": "vpc-1"}
EGRESS = [{"GroupId": "sg-1", "IpPermissionsEgress": [{"IpProtocol": "-1"}]}]


def table(**route: str) -> list[dict[str, Any]]:
    routes = [{"DestinationCidrBlock": "0.0.0.0/0", **route}] if route else []
    return [
        {
            "RouteTableId": "rtb-1",
            "VpcId": "vpc-1",
            "Associations": [{"SubnetId": "subnet-1"}],
            "Routes": routes,
        }
    ]


def network(**evidence: Any) -> ExecFacts:
    return facts(subnets=[SUBNET], network_read=True, security_groups=EGRESS, endpoints=[], **evidence)


def test_a_nat_route_reaches_ssmmessages() -> None:
    outcome = NETWORK.run(network(route_tables=table(NatGatewayId="nat-1")))
    assert outcome.status == "pass" and "subnet-1 routes 0.0.0.0/0 to nat-1" in outcome.fact


def test_a_private_subnet_without_the_endpoint_fails_with_the_create_endpoint_line() -> None:
    outcome = NETWORK.run(network(route_tables=table()))
    assert (
        outcome.status == "fail"
        and "no NAT gateway" in outcome.fact
        and "no ssmmessages endpoint" in outcome.fact
    )
    assert outcome.fix is not None and f"com.amazonaws.{REGION}.ssmmessages" in outcome.fix


def test_the_ssmmessages_endpoint_with_private_dns_is_enough() -> None:
    endpoint = {
        "ServiceName": f"com.amazonaws.{REGION}.ssmmessages",
        "State": "available",
        "PrivateDnsEnabled": True,
    }
    outcome = NETWORK.run(
        facts(
            subnets=[SUBNET],
            network_read=True,
            security_groups=EGRESS,
            endpoints=[endpoint],
            route_tables=table(),
        )
    )
    assert outcome.status == "pass" and "VPC endpoints for ssmmessages" in outcome.fact


def test_a_public_subnet_needs_a_public_address() -> None:
    off = NETWORK.run(network(route_tables=table(GatewayId="igw-1")))
    assert off.status == "fail" and "assignPublicIp" in off.fact
    public = {"networkConfiguration": {"awsvpcConfiguration": {"assignPublicIp": "ENABLED"}}}
    on = NETWORK.run(
        facts(
            public,
            subnets=[SUBNET],
            network_read=True,
            security_groups=EGRESS,
            route_tables=table(GatewayId="igw-1"),
        )
    )
    assert on.status == "pass"


def test_no_https_egress_fails_without_an_endpoint_fix() -> None:
    closed = [{"GroupId": "sg-1", "IpPermissionsEgress": []}]
    outcome = NETWORK.run(
        facts(
            subnets=[SUBNET],
            network_read=True,
            security_groups=closed,
            route_tables=table(NatGatewayId="nat-1"),
        )
    )
    assert outcome.status == "fail" and "allow no outbound HTTPS" in outcome.fact and outcome.fix is None


def test_bridge_networking_and_unread_routes_cannot_be_checked() -> None:
    bridge = NETWORK.run(facts(td=definition(networkMode="bridge")))
    assert bridge.status == "unknown" and "bridge networking" in bridge.fact
    unread = NETWORK.run(facts(subnets=[SUBNET], unread={"ec2:DescribeRouteTables": "AccessDenied"}))
    assert unread.status == "unknown" and unread.iam_action == "ec2:DescribeRouteTables"


# --- platform and agent ----------------------------------------------------------------------------


def test_fargate_platform_version_below_1_4_0_fails() -> None:
    outcome = PLATFORM.run(facts(tasks=[task(platformVersion="1.3.0")]))
    assert outcome.status == "fail" and "1.3.0" in outcome.fact and "1.4.0 or later" in outcome.fact
    assert outcome.fix is not None and "--platform-version LATEST" in outcome.fix
    assert PLATFORM.run(facts()).status == "pass"


def test_windows_on_fargate_needs_1_0_0() -> None:
    windows = task(platformVersion="1.0.0", platformFamily="WINDOWS_SERVER_2019_CORE")
    assert PLATFORM.run(facts(tasks=[windows])).status == "pass"


def test_ec2_agent_version_is_read_from_the_tasks_instance() -> None:
    instance = f"arn:aws:ecs:{REGION}:{ACCOUNT}:container-instance/tools/ci-1"
    on_ec2 = task(launchType="EC2", containerInstanceArn=instance)
    old = [{"containerInstanceArn": instance, "versionInfo": {"agentVersion": "1.48.1"}}]
    outcome = PLATFORM.run(facts(tasks=[on_ec2], container_instances=old))
    assert outcome.status == "fail" and "ECS agent 1.48.1" in outcome.fact and "ci-1" in outcome.fact
    new = [{"containerInstanceArn": instance, "versionInfo": {"agentVersion": "1.87.0"}}]
    assert PLATFORM.run(facts(tasks=[on_ec2], container_instances=new)).status == "pass"
    unread = PLATFORM.run(facts(tasks=[on_ec2], unread={"ecs:DescribeContainerInstances": "AccessDenied"}))
    assert unread.status == "unknown" and unread.iam_action == "ecs:DescribeContainerInstances"


def test_a_stopped_agent_fails_with_its_reason() -> None:
    stopped = task(agents=[agent("STOPPED", "Failed to start the agent")])
    outcome = AGENT_STATUS.run(facts(tasks=[stopped]))
    assert (
        outcome.status == "fail" and "STOPPED" in outcome.fact and "Failed to start the agent" in outcome.fact
    )


def test_agent_running_passes_pending_cannot_be_checked_yet() -> None:
    assert AGENT_STATUS.run(facts()).status == "pass"
    pending = AGENT_STATUS.run(facts(tasks=[task(agents=[agent("PENDING")])]))
    assert pending.status == "unknown" and "still starting" in pending.fact


def test_a_task_with_exec_on_and_no_agent_fails() -> None:
    outcome = AGENT_STATUS.run(facts(tasks=[task(agents=[])]))
    assert outcome.status == "fail" and "no ExecuteCommandAgent" in outcome.fact


def test_read_only_root_filesystem_fails() -> None:
    outcome = ROOT_FILESYSTEM.run(facts(td=definition(container={"readonlyRootFilesystem": True})))
    assert outcome.status == "fail" and "app in shell:3" in outcome.fact
    assert ROOT_FILESYSTEM.run(facts()).status == "pass"


# --- KMS and logging -------------------------------------------------------------------------------

KEY = f"arn:aws:kms:{REGION}:{ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab"


def cluster(**config: Any) -> dict[str, Any]:
    return {"clusterName": "tools", "configuration": {"executeCommandConfiguration": config}}


def test_no_kms_key_passes_and_a_denied_decrypt_fails() -> None:
    assert KMS.run(facts(cluster=cluster())).status == "pass"
    keyed = facts(cluster=cluster(kmsKeyId=KEY), exec_simulations={"kms": {"kms:Decrypt": "implicitDeny"}})
    assert simulations(keyed)["kms"] == (TASK_ROLE_ARN, ("kms:Decrypt",), (KEY,))
    outcome = KMS.run(keyed)
    assert outcome.status == "fail" and "kms:Decrypt (implicitDeny)" in outcome.fact
    allowed = KMS.run(
        facts(cluster=cluster(kmsKeyId=KEY), exec_simulations={"kms": {"kms:Decrypt": "allowed"}})
    )
    assert allowed.status == "pass" and "kms:GenerateDataKey" in allowed.fact


def test_a_key_id_is_simulated_as_its_arn() -> None:
    keyed = facts(cluster=cluster(kmsKeyId="1234abcd-12ab-34cd-56ef-1234567890ab"))
    assert simulations(keyed)["kms"][2] == (KEY,)


def test_cluster_not_read_cannot_check_kms_or_logging() -> None:
    unread = facts(unread={"ecs:DescribeClusters": "AccessDenied"})
    for check in (KMS, LOGGING):
        outcome = check.run(unread)
        assert outcome.status == "unknown" and outcome.iam_action == "ecs:DescribeClusters"


def test_logging_override_simulates_the_group_and_bucket_and_names_what_is_denied() -> None:
    config = cluster(
        logging="OVERRIDE",
        logConfiguration={
            "cloudWatchLogGroupName": "/ecs/exec",
            "s3BucketName": "exec-logs",
            "s3KeyPrefix": "out/",
        },
    )
    planned = simulations(facts(cluster=config))
    assert planned["logs"][2] == (f"arn:aws:logs:{REGION}:{ACCOUNT}:log-group:/ecs/exec:*",)
    assert planned["s3"] == (TASK_ROLE_ARN, ("s3:PutObject",), ("arn:aws:s3:::exec-logs/out/*",))
    logs_ok = dict.fromkeys(planned["logs"][1], "allowed")
    outcome = LOGGING.run(
        facts(cluster=config, exec_simulations={"logs": logs_ok, "s3": {"s3:PutObject": "explicitDeny"}})
    )
    assert outcome.status == "fail" and "s3:PutObject (explicitDeny) on exec-logs" in outcome.fact
    assert "logs:" not in outcome.fact
    assert outcome.fix is not None and "arn:aws:s3:::exec-logs/out/*" in outcome.fix
    passed = LOGGING.run(
        facts(cluster=config, exec_simulations={"logs": logs_ok, "s3": {"s3:PutObject": "allowed"}})
    )
    assert passed.status == "pass" and "/ecs/exec" in passed.fact


def test_default_logging_says_where_output_goes() -> None:
    awslogs = {"logConfiguration": {"logDriver": "awslogs", "options": {"awslogs-group": "/ecs/shell"}}}
    outcome = LOGGING.run(facts(cluster=cluster(), td=definition(container=awslogs)))
    assert outcome.status == "pass" and "/ecs/shell" in outcome.fact
    assert "not logged" in LOGGING.run(facts(cluster=cluster())).fact
    assert "not logged" in LOGGING.run(facts(cluster=cluster(logging="NONE"))).fact


# --- the command line ------------------------------------------------------------------------------


def test_the_command_names_a_ready_task_and_its_container() -> None:
    ready, old = task("c" * 32), task("d" * 32, exec_on=False, agents=[])
    line = exec_command(facts(tasks=[old, ready]))
    assert line == (
        f"aws ecs execute-command --cluster tools --task {'c' * 32} --container app --interactive "
        f'--command "/bin/sh" --region {REGION}'
    )
    assert exec_command(facts(tasks=[])) is None


@pytest.mark.parametrize("check", EXEC, ids=lambda c: c.name)
def test_every_check_speaks_on_a_ready_service(check: Any) -> None:
    """On a service with every prerequisite, each check passes: none is declared and silent."""
    ready = facts(
        cluster=cluster(),
        subnets=[SUBNET],
        network_read=True,
        security_groups=EGRESS,
        endpoints=[],
        route_tables=table(NatGatewayId="nat-1"),
        exec_simulations={"channels": ALLOWED},
    )
    outcome = check.run(ready)
    assert outcome.status == "pass", outcome.fact
    assert outcome.fact


def test_without_a_running_task_the_services_launch_decides() -> None:
    strategy = {
        "capacityProviderStrategy": [{"capacityProvider": "FARGATE_SPOT", "weight": 1}],
        "platformVersion": "1.3.0",
    }
    fargate = PLATFORM.run(facts(strategy, tasks=[]))
    assert fargate.status == "fail" and "1.3.0" in fargate.fact
    ec2 = PLATFORM.run(facts({"launchType": "EC2"}, tasks=[]))
    assert ec2.status == "unknown" and "read from a running task" in ec2.fact
