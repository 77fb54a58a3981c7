"""`exec-check` collected against moto in-process: the rounds it plans, the simulations it asks IAM for
(moto lacks iam:SimulatePrincipalPolicy: a stand-in evaluator answers by what is asked, since a round asks
concurrently; botocore's Stubber denies), and the report a user reads."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from botocore.stub import Stubber

from diagnosis.checks.exec_iam import CHANNELS, LOG_ACTIONS
from diagnosis.collect.aws import Aws
from diagnosis.collect.reading import Reading
from diagnosis.collect.target import TargetError, TargetSpec
from diagnosis.contract import to_python
from diagnosis.exec_check import check_with, exec_check
from tests.builders.moto_world import ACCOUNT, REGION, World, moto_session
from tests.fakes.iam_simulator import IamSimulator

TASK_ROLE = f"arn:aws:iam::{ACCOUNT}:role/shell-task"
EXECUTION_ROLE = f"arn:aws:iam::{ACCOUNT}:role/ecsTaskExecutionRole"
KEY = f"arn:aws:kms:{REGION}:{ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab"


@pytest.fixture
def world() -> Iterator[World]:
    with moto_session() as session:
        yield World(session)


def seed(world: World, ready: bool) -> str:
    """A service with every prerequisite of ECS Exec (NAT, task role, exec on, agent running), or none."""
    config = {
        "executeCommandConfiguration": {
            "kmsKeyId": KEY,
            "logging": "OVERRIDE",
            "logConfiguration": {"cloudWatchLogGroupName": "/ecs/exec"},
        }
    }
    world.ecs.create_cluster(clusterName="tools", configuration=config if ready else {})
    if ready:
        nat = world.ec2.create_nat_gateway(SubnetId=world.subnet)["NatGateway"]["NatGatewayId"]
        table = world.ec2.create_route_table(VpcId=world.vpc)["RouteTable"]["RouteTableId"]
        world.ec2.create_route(RouteTableId=table, DestinationCidrBlock="0.0.0.0/0", NatGatewayId=nat)
        world.ec2.associate_route_table(RouteTableId=table, SubnetId=world.subnet)
    td = world.task_definition(family="shell")
    if ready:  # register_task_definition takes the task role beside the containers
        definition = world.ecs.describe_task_definition(taskDefinition=td)["taskDefinition"]
        td = world.ecs.register_task_definition(
            family="shell",
            taskRoleArn=TASK_ROLE,
            executionRoleArn=EXECUTION_ROLE,
            networkMode="awsvpc",
            requiresCompatibilities=["FARGATE"],
            cpu="256",
            memory="512",
            containerDefinitions=definition["containerDefinitions"],
        )["taskDefinition"]["taskDefinitionArn"]
    world.service("tools", "shell", td)
    if ready:
        world.ecs.update_service(cluster="tools", service="shell", enableExecuteCommand=True)
    arn = world.task("tools", "shell", td)
    task = world.backend.tasks["tools"][arn]
    task.enable_execute_command = ready
    task.platform_version = "1.4.0"
    if ready:
        task.containers[0].managed_agents = [{"name": "ExecuteCommandAgent", "lastStatus": "RUNNING"}]
    return arn


def test_a_ready_service_passes_every_check_in_four_rounds(world: World) -> None:
    arn = seed(world, ready=True)
    aws = Aws(world.session)
    log_group = f"arn:aws:logs:{REGION}:{ACCOUNT}:log-group:/ecs/exec:*"
    grants = [*((a, "*") for a in CHANNELS), ("kms:Decrypt", KEY), *((a, log_group) for a in LOG_ACTIONS)]
    iam = IamSimulator(aws.client("iam"), {TASK_ROLE: grants})  # the execution role is granted nothing
    report = check_with(Reading(aws, TargetSpec(cluster="tools", service="shell")), cache={})
    assert iam.asked() == {
        *((TASK_ROLE, a, "*") for a in CHANNELS),
        *((EXECUTION_ROLE, a, "*") for a in CHANNELS),
        (TASK_ROLE, "kms:Decrypt", KEY),
        *((TASK_ROLE, a, log_group) for a in LOG_ACTIONS),
    }
    assert len(iam.requests) == 4, "one simulation per role and question"
    by_name = {r.name: r for r in report.results}
    assert {n: r.status for n, r in by_name.items()} == dict.fromkeys(by_name, "pass"), report.results
    assert "nat-" in by_name["network_path"].fact
    assert "/ecs/exec" in by_name["session_logging"].fact
    assert report.summary() == "ECS Exec on tools/shell: ready"
    assert report.action is None, "no Enable button when ECS Exec is on"
    task_id = arn.rsplit("/", 1)[-1]
    assert report.command == (
        f"aws ecs execute-command --cluster tools --task {task_id} --container app --interactive "
        f'--command "/bin/sh" --region {REGION}'
    )
    assert report.stats.rounds == 4 and not report.gaps
    assert "ecs:DescribeClusters" in aws.log


def test_a_service_without_the_prerequisites_fails_and_offers_the_enable_button(world: World) -> None:
    seed(world, ready=False)
    aws = Aws(world.session)
    report = check_with(Reading(aws, TargetSpec(cluster="tools", service="shell")), cache={})
    status = {r.name: r.status for r in report.results}
    assert status["service_enabled"] == status["tasks_enabled"] == "fail"
    assert status["task_role"] == "fail" and status["network_path"] == "fail"
    assert status["managed_agent"] == "unknown"
    assert report.action is not None and report.action.kind == "enable_execute_command"
    assert to_python(report.action.params) == {"cluster": "tools", "service": "shell"}
    assert "4 of 9 checks fail" in report.summary()
    assert "iam:SimulatePrincipalPolicy" not in aws.log, "no task role: nothing to simulate"


def test_a_denied_simulation_is_a_gap_naming_the_action(world: World) -> None:
    seed(world, ready=True)
    aws = Aws(world.session)
    with Stubber(aws.client("iam")) as stub:
        for _ in range(4):
            stub.add_client_error("simulate_principal_policy", "AccessDenied", "not allowed")
        report = check_with(Reading(aws, TargetSpec(cluster="tools", service="shell")), cache={})
    role = next(r for r in report.results if r.name == "task_role")
    assert role.status == "unknown" and role.iam_action == "iam:SimulatePrincipalPolicy"
    assert "AccessDenied" in role.fact
    assert any(g.iam_action == "iam:SimulatePrincipalPolicy" for g in report.gaps)


def test_a_task_target_is_refused_with_what_to_type(world: World) -> None:
    with pytest.raises(TargetError, match="takes a service"):
        exec_check(world.session, "0123456789abcdef0123456789abcdef", cluster="tools")
