"""`exec-check` end to end on the moto sandbox: its own cluster `exec-lab` with a service that has the ECS
Exec prerequisites (`shell-ready`: exec on, task role, NAT route, agent running) and one that has none
(`shell-off`), through the real CLI and the running `ecs-why serve`; the "Enable ECS Exec" click through the
confirm modal changes the service once. Everything seeded here is removed after the module.

moto does not implement iam:SimulatePrincipalPolicy: the task role check is "could not check" naming that
action here (its pass and fail are covered with botocore's Stubber in tests/diagnosis/test_exec_check.py).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from moto.backends import get_backend

from bot.demo.scenarios import DEFAULT_ACCOUNT, DEFAULT_REGION, Sandbox
from tests.builders.served_bot import OPERATOR, SECRET, audit, buttons, headline
from tests.e2e.conftest import run_cli
from tests.fakes.slack_api import FakeSlackApi
from tests.fakes.slack_requests import click_on, send, slash_command, view_submission

pytestmark = pytest.mark.e2e
CLUSTER = "exec-lab"
READY, OFF = "shell-ready", "shell-off"
ROLE = "exec-lab-task"


def clients(endpoint: str) -> tuple[Any, Any]:
    return client("ecs", endpoint), client("iam", endpoint)


def client(name: str, endpoint: str) -> Any:
    session = boto3.Session(
        aws_access_key_id="testing", aws_secret_access_key="testing", region_name=DEFAULT_REGION
    )
    return session.client(name, endpoint_url=endpoint)  # type: ignore[call-overload]


@pytest.fixture(scope="module")
def lab(endpoint: str, sandbox: Sandbox) -> Iterator[dict[str, str]]:
    """Seed exec-lab; afterwards remove its tasks, services, task definitions, cluster and role."""
    ecs, iam = clients(endpoint)
    ec2 = client("ec2", endpoint)
    free_before = free_addresses(ec2, sandbox)
    trust = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"Service": "ecs-tasks.amazonaws.com"},
                "Action": "sts:AssumeRole",
            }
        ],
    }
    role = iam.create_role(RoleName=ROLE, AssumeRolePolicyDocument=json.dumps(trust))["Role"]["Arn"]
    ecs.create_cluster(clusterName=CLUSTER)
    ids = sandbox.ids
    tasks: dict[str, str] = {}
    for name, subnet, ready in (
        (READY, ids["subnet_private_a"], True),
        (OFF, ids["subnet_isolated_a"], False),
    ):
        revision = ecs.register_task_definition(
            family=name,
            networkMode="awsvpc",
            requiresCompatibilities=["FARGATE"],
            cpu="256",
            memory="512",
            **({"taskRoleArn": role} if ready else {}),
            containerDefinitions=[{"name": "app", "image": "busybox:1.36", "essential": True, "memory": 512}],
        )["taskDefinition"]["taskDefinitionArn"]
        network = {"awsvpcConfiguration": {"subnets": [subnet], "securityGroups": [ids["sg_app"]]}}
        ecs.create_service(
            cluster=CLUSTER,
            serviceName=name,
            taskDefinition=revision,
            desiredCount=1,
            launchType="FARGATE",
            networkConfiguration=network,
        )
        if ready:  # moto's create_service drops enableExecuteCommand; update_service keeps it
            ecs.update_service(cluster=CLUSTER, service=name, enableExecuteCommand=True)
        arn = ecs.run_task(
            cluster=CLUSTER,
            taskDefinition=revision,
            launchType="FARGATE",
            group=f"service:{name}",
            networkConfiguration=network,
        )["tasks"][0]["taskArn"]
        task = get_backend("ecs")[DEFAULT_ACCOUNT][DEFAULT_REGION].tasks[CLUSTER][arn]
        task.last_status = task.desired_status = "RUNNING"
        task.platform_version = "1.4.0"
        task.enable_execute_command = ready
        if ready:
            task.containers[0].managed_agents = [{"name": "ExecuteCommandAgent", "lastStatus": "RUNNING"}]
        tasks[name] = arn.rsplit("/", 1)[-1]
    try:
        yield tasks
    finally:
        # moto keeps deleted clusters, services and revisions as INACTIVE (listed): take them off its backend
        backend = get_backend("ecs")[DEFAULT_ACCOUNT][DEFAULT_REGION]
        for task in backend.tasks.pop(CLUSTER, {}).values():
            for detail in (d for a in task.attachments for d in a["details"]):
                if detail["name"] == "networkInterfaceId":  # the address it took in the demo's subnet
                    ec2.delete_network_interface(NetworkInterfaceId=detail["value"])
        for name in (READY, OFF):
            backend.services.pop(f"{CLUSTER}:{name}", None)
            backend.task_definitions.pop(name, None)
        backend.clusters.pop(CLUSTER, None)
        iam.delete_role(RoleName=ROLE)
    assert free_addresses(ec2, sandbox) == free_before, "the demo's subnets are left as they were"
    assert CLUSTER not in str(ecs.list_clusters()["clusterArns"])


def free_addresses(ec2: Any, sandbox: Sandbox) -> dict[str, int]:
    ids = [sandbox.ids["subnet_private_a"], sandbox.ids["subnet_isolated_a"]]
    return {
        s["SubnetId"]: s["AvailableIpAddressCount"] for s in ec2.describe_subnets(SubnetIds=ids)["Subnets"]
    }


def exec_json(endpoint: str, service: str) -> tuple[int, dict[str, Any]]:
    result = run_cli("exec-check", service, "--cluster", CLUSTER, "--json", endpoint=endpoint)
    assert result.returncode in (0, 1), f"exit {result.returncode}\n{result.stderr}"
    assert "Traceback" not in result.stderr
    return result.returncode, json.loads(result.stdout)


def statuses(report: dict[str, Any]) -> dict[str, str]:
    return {r["name"]: r["status"] for r in report["results"]}


def test_a_ready_service_passes_what_can_be_checked_and_prints_the_line(
    endpoint: str, lab: dict[str, str]
) -> None:
    code, report = exec_json(endpoint, READY)
    found = statuses(report)
    assert code == 0 and "fail" not in found.values(), report["results"]
    assert found["task_role"] == "unknown"
    role = next(r for r in report["results"] if r["name"] == "task_role")
    assert role["iam_action"] == "iam:SimulatePrincipalPolicy"
    assert {k: v for k, v in found.items() if k != "task_role"} == dict.fromkeys(
        (n for n in found if n != "task_role"), "pass"
    )
    network = next(r for r in report["results"] if r["name"] == "network_path")
    assert "nat-" in network["fact"]
    assert report["command"] == (
        f"aws ecs execute-command --cluster {CLUSTER} --task {lab[READY]} --container app --interactive "
        f'--command "/bin/sh" --region {DEFAULT_REGION}'
    )
    assert report["action"] is None
    assert report["stats"]["rounds"] <= 4


def test_a_service_without_the_prerequisites_fails_with_the_facts(endpoint: str, lab: dict[str, str]) -> None:
    code, report = exec_json(endpoint, OFF)
    found = statuses(report)
    assert code == 1
    assert found["service_enabled"] == found["tasks_enabled"] == found["task_role"] == "fail"
    assert found["network_path"] == "fail"
    facts = {r["name"]: r["fact"] for r in report["results"]}
    assert lab[OFF] in facts["tasks_enabled"]
    assert "has no task role" in facts["task_role"]
    assert "no NAT gateway" in facts["network_path"] and "ssmmessages" in facts["network_path"]
    assert report["action"]["kind"] == "enable_execute_command"


def test_the_text_report_says_pass_and_fail_per_check(endpoint: str, lab: dict[str, str]) -> None:
    result = run_cli("exec-check", OFF, "--cluster", CLUSTER, endpoint=endpoint)
    assert result.returncode == 1, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].startswith(f"ECS Exec on {CLUSTER}/{OFF}: ") and "checks fail" in lines[0]
    assert any(line.startswith("FAIL  ECS Exec is turned on for the service") for line in lines)
    assert any(line.strip().startswith("fix: aws ecs update-service") for line in lines)


def test_a_task_id_is_refused_with_what_to_type(endpoint: str) -> None:
    result = run_cli("exec-check", "0123456789abcdef0123456789abcdef", endpoint=endpoint)
    assert result.returncode == 2 and "takes a service" in result.stderr and "Traceback" not in result.stderr


def ecs_exec_on(endpoint: str, service: str) -> bool:
    ecs, _iam = clients(endpoint)
    return (
        ecs.describe_services(cluster=CLUSTER, services=[service])["services"][0].get("enableExecuteCommand")
        is True
    )


def test_slack_exec_check_of_a_ready_service_shows_the_line_and_no_button(
    bot: str,
    slack: FakeSlackApi,
    lab: dict[str, str],
) -> None:
    slack.clear()
    status, body, _ = send(
        bot, slash_command(f"exec-check {READY} --cluster {CLUSTER}", user_id=OPERATOR), SECRET
    )
    assert status == 200 and not body
    top = headline(slack, f"ECS Exec on {CLUSTER}/{READY}")
    assert top["blocks"][0]["type"] == "header"
    shown = json.dumps(top["blocks"])
    assert lab[READY] in shown and "execute-command" in shown
    assert [b["text"]["text"] for b in buttons(top)] == ["Re-run"]


def test_slack_enable_ecs_exec_goes_through_the_modal_and_changes_the_service_once(
    bot: str,
    slack: FakeSlackApi,
    endpoint: str,
    redis_url: str,
    lab: dict[str, str],
) -> None:
    slack.clear()
    send(bot, slash_command(f"exec-check {OFF} --cluster {CLUSTER}", user_id=OPERATOR), SECRET)
    top = headline(slack, f"ECS Exec on {CLUSTER}/{OFF}")
    assert "checks fail" in top["blocks"][0]["text"]["text"]
    fix = next(b for b in buttons(top) if b["action_id"].startswith("ecs_why_fix"))
    assert fix["text"]["text"] == "Enable ECS Exec"
    send(
        bot,
        click_on(top, fix, OPERATOR),
        SECRET,
    )
    modal = slack.wait_for("views.open", timeout=30).params["view"]
    shown = json.dumps(modal)
    assert "enableExecuteCommand" in shown and "false" in shown and "true" in shown
    assert "--enable-execute-command --force-new-deployment" in shown
    assert not ecs_exec_on(endpoint, OFF), "nothing changes before the confirmation"

    view = slack.views()[-1]
    for _ in range(2):  # the same confirmation twice
        send(
            bot,
            view_submission("ecs_why_confirm", view["private_metadata"], user_id=OPERATOR, view=view),
            SECRET,
        )
    slack.wait_for(
        "chat.postMessage",
        lambda c: "applied" in c.params.get("text", "") and c.params.get("thread_ts") == top["ts"],
        timeout=30,
    )
    assert ecs_exec_on(endpoint, OFF)
    slack.wait_for("chat.postEphemeral", lambda c: c.params.get("user") == OPERATOR, timeout=30)
    applied = [
        r
        for r in audit(redis_url)
        if r.get("event") == "applied" and r.get("kind") == "enable_execute_command"
    ]
    assert len(applied) == 1 and applied[0]["user"] == OPERATOR
    assert applied[0]["target"]["service"] == OFF
