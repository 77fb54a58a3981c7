"""The demo seeds are what the scenarios claim, read back through boto3 exactly as a diagnosis reads them.

One in-process moto account (`mock_aws`) for the module; every assertion goes through the AWS API.
"""

from __future__ import annotations

import ipaddress
import json
import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError
from moto import mock_aws
from moto.moto_api import state_manager

from bot.demo.catalog import SCENARIOS
from bot.demo.scenarios import CLUSTER, EXPECTED_CATEGORIES, NON_FAILURE_CATEGORIES, Sandbox, seed

ROOT = Path(__file__).resolve().parents[3]
REGION = "us-east-1"
ACCOUNT = "123456789012"

STOPPED_COUNTS = {
    "checkout": 10,
    "web": 6,
    "api": 4,
    "ingest": 4,
    "billing": 3,
    "orders": 5,
    "search": 5,
    "frontend": 0,
    "thumbnailer": 3,
    "media": 4,
    "reports": 0,  # never placed: its story is in the service events
    "relay": 5,
    "ledger": 4,
    "sync": 2,
}
LAUNCH_TYPES = {scenario.service: scenario.launch_type for scenario in SCENARIOS}
RUNNING_COUNTS = {"checkout": 2, "api": 2, "search": 2, "frontend": 2, "sync": 3}


def taxonomy() -> dict[str, bool]:
    """category -> failure, from the public contract docs/taxonomy.md."""
    rows = re.findall(
        r"^\|\s*\w+\s*\|\s*`(\w+)`\s*\|\s*(yes|no)\s*\|", (ROOT / "docs/taxonomy.md").read_text(), re.M
    )
    return {cat: flag == "yes" for cat, flag in rows}


@pytest.fixture(scope="module")
def account() -> Iterator[tuple[boto3.Session, Sandbox]]:
    with mock_aws():
        session = boto3.Session(
            aws_access_key_id="testing", aws_secret_access_key="testing", region_name=REGION
        )
        sandbox = seed(session, ACCOUNT, REGION)
        yield session, sandbox
    state_manager.unset_transition("ecs::task")


@pytest.fixture(scope="module")
def session(account: tuple[boto3.Session, Sandbox]) -> boto3.Session:
    return account[0]


@pytest.fixture(scope="module")
def sandbox(account: tuple[boto3.Session, Sandbox]) -> Sandbox:
    return account[1]


@pytest.fixture(scope="module")
def ecs(session: boto3.Session) -> Any:
    return session.client("ecs")


def stopped_tasks(ecs: Any, service: str) -> list[dict[str, Any]]:
    """What a diagnosis does: list STOPPED, describe in batches of 100, keep the service's group."""
    arns = ecs.list_tasks(cluster=CLUSTER, desiredStatus="STOPPED")["taskArns"]
    tasks: list[dict[str, Any]] = []
    for start in range(0, len(arns), 100):
        tasks += ecs.describe_tasks(cluster=CLUSTER, tasks=arns[start : start + 100])["tasks"]
    return [t for t in tasks if t["group"] == f"service:{service}"]


def running_tasks(ecs: Any, service: str) -> list[dict[str, Any]]:
    arns = ecs.list_tasks(cluster=CLUSTER, desiredStatus="RUNNING")["taskArns"]
    if not arns:
        return []
    return [
        t
        for t in ecs.describe_tasks(cluster=CLUSTER, tasks=arns)["tasks"]
        if t["group"] == f"service:{service}"
    ]


def describe_service(ecs: Any, service: str) -> dict[str, Any]:
    found = ecs.describe_services(cluster=CLUSTER, services=[service])["services"]
    assert len(found) == 1
    return dict(found[0])


def task_id(task: dict[str, Any]) -> str:
    return str(task["taskArn"].rsplit("/", 1)[1])


def log_messages(session: boto3.Session, service: str, task: dict[str, Any]) -> list[str]:
    ecs = session.client("ecs")
    definition = ecs.describe_task_definition(taskDefinition=task["taskDefinitionArn"])["taskDefinition"]
    container = definition["containerDefinitions"][0]
    options = container["logConfiguration"]["options"]
    stream = f"{options['awslogs-stream-prefix']}/{container['name']}/{task_id(task)}"
    events = session.client("logs").get_log_events(
        logGroupName=options["awslogs-group"], logStreamName=stream, startFromHead=True
    )["events"]
    return [e["message"] for e in events]


# -- the Sandbox description ---------------------------------------------------------------------------


def test_sandbox_describes_every_service_with_a_taxonomy_category(sandbox: Sandbox) -> None:
    categories = taxonomy()
    assert sandbox.cluster == "demo"
    assert (sandbox.region, sandbox.account) == (REGION, ACCOUNT)
    assert set(sandbox.services) == set(STOPPED_COUNTS)
    assert sandbox.healthy == ["frontend"]
    for name in sandbox.failing:
        exp = sandbox.expected(name)
        assert exp.category in categories, exp.category
        assert exp.facts, name
        if exp.category in NON_FAILURE_CATEGORIES:  # a normal stop told as the design it is (Spot)
            assert not categories[exp.category]
            assert exp.conclusions, f"{name}: say what makes the normal stop normal"
        else:
            assert categories[exp.category], f"{name}: {exp.category} is not a failure category"
    assert {c for c, failure in categories.items() if not failure} == NON_FAILURE_CATEGORIES


def test_sandbox_records_task_ids(sandbox: Sandbox) -> None:
    for name, count in STOPPED_COUNTS.items():
        assert len(sandbox.stopped_tasks.get(name, [])) == count, name
        assert all(re.fullmatch(r"[0-9a-f]{32}", t) for t in sandbox.stopped_tasks.get(name, []))
    for name, count in RUNNING_COUNTS.items():
        assert len(sandbox.running_tasks[name]) == count


def test_every_fact_is_discoverable_in_the_account(
    session: boto3.Session, ecs: Any, sandbox: Sandbox
) -> None:
    """A diagnosis can only name what AWS shows: each fact appears in what the APIs return."""
    for name in sandbox.failing:
        exp = sandbox.expected(name)
        seen: list[Any] = [describe_service(ecs, name)]
        tasks = stopped_tasks(ecs, name)
        seen += tasks
        for arn in {t["taskDefinitionArn"] for t in tasks}:
            seen.append(ecs.describe_task_definition(taskDefinition=arn))
        for task in tasks:
            if task.get("startedAt"):
                seen.append(log_messages(session, name, task))
        seen.append(session.client("ecr").describe_images(repositoryName=name)["imageDetails"])
        seen.append(session.client("elbv2").describe_target_groups()["TargetGroups"])
        seen.append(session.client("ec2").describe_subnets()["Subnets"])
        text = json.dumps(seen, default=str).lower()
        for fact in exp.facts:
            assert fact.lower() in text, f"{name}: {fact!r} is nowhere in what AWS returns"


# -- ECS: services, tasks, task definitions ------------------------------------------------------------


def test_list_tasks_tells_services_apart_by_group(ecs: Any) -> None:
    arns = ecs.list_tasks(cluster=CLUSTER, desiredStatus="STOPPED")["taskArns"]
    assert len(arns) == sum(STOPPED_COUNTS.values())
    for name, count in STOPPED_COUNTS.items():
        tasks = stopped_tasks(ecs, name)
        assert len(tasks) == count, name
        for task in tasks:
            assert task["lastStatus"] == "STOPPED"
            assert task["desiredStatus"] == "STOPPED"
            assert task["launchType"] == "FARGATE"
            assert task["stoppedAt"] >= task["createdAt"]
            assert task["stopCode"]
            assert task["stoppedReason"]
            details = {d["name"]: d["value"] for d in task["attachments"][0]["details"]}
            assert details["subnetId"].startswith("subnet-")
            assert details["networkInterfaceId"].startswith("eni-")
            assert task["taskArn"].startswith(f"arn:aws:ecs:{REGION}:{ACCOUNT}:task/{CLUSTER}/")


def test_running_tasks_stay_running(ecs: Any) -> None:
    for _ in range(3):  # describe-tasks must not walk them towards STOPPED
        for name, count in RUNNING_COUNTS.items():
            tasks = running_tasks(ecs, name)
            assert len(tasks) == count
            assert {t["lastStatus"] for t in tasks} == {"RUNNING"}
            assert all("stopCode" not in t for t in tasks)


def test_stopped_tasks_are_recent(ecs: Any) -> None:
    """ECS forgets stopped tasks after about an hour: the seeds stop within the last hour."""
    now = datetime.now(UTC)
    for name in STOPPED_COUNTS:
        for task in stopped_tasks(ecs, name):
            assert now - timedelta(hours=1) < task["stoppedAt"] <= now + timedelta(seconds=5)


def test_checkout_is_oom(ecs: Any) -> None:
    tasks = stopped_tasks(ecs, "checkout")
    for task in tasks:
        assert task["stopCode"] == "EssentialContainerExited"
        assert task["stoppedReason"] == "OutOfMemoryError: Container killed due to memory usage"
        (container,) = task["containers"]
        assert container["exitCode"] == 137
        assert container["reason"].startswith("OutOfMemoryError")
        assert task["memory"] == "512"
    definition = ecs.describe_task_definition(taskDefinition="checkout")["taskDefinition"]
    assert definition["memory"] == "512"


def test_web_fails_health_checks_with_a_short_grace_period(ecs: Any, sandbox: Sandbox) -> None:
    service = describe_service(ecs, "web")
    assert service["healthCheckGracePeriodSeconds"] == 10
    assert service["loadBalancers"][0]["containerPort"] == 8080
    tg = service["loadBalancers"][0]["targetGroupArn"]
    assert tg == sandbox.ids["tg_web"]
    unhealthy = [e["message"] for e in service["events"] if "is unhealthy in" in e["message"]]
    assert len(unhealthy) == STOPPED_COUNTS["web"]
    assert all(
        f"(port 8080) is unhealthy in (target-group {tg}) due to (reason Request timed out)." in m
        for m in unhealthy
    )
    for task in stopped_tasks(ecs, "web"):
        assert task["stoppedReason"] == f"Task failed ELB health checks in (target-group {tg})"
        assert task["containers"][0]["exitCode"] in (137, 143)
    definition = ecs.describe_task_definition(taskDefinition="web")["taskDefinition"]
    assert definition["containerDefinitions"][0]["portMappings"][0]["containerPort"] == 8080


def test_api_pulls_a_tag_that_does_not_exist(ecs: Any) -> None:
    image = f"{ACCOUNT}.dkr.ecr.{REGION}.amazonaws.com/api:v2.4.0"
    for task in stopped_tasks(ecs, "api"):
        assert task["stopCode"] == "TaskFailedToStart"
        assert "CannotPullContainerError" in task["stoppedReason"]
        assert f"manifest for {image} not found: manifest unknown" in task["stoppedReason"]
        assert "exitCode" not in task["containers"][0]
        assert "startedAt" not in task
        assert task["taskDefinitionArn"].endswith("task-definition/api:2")
    assert (
        ecs.describe_task_definition(taskDefinition="api:2")["taskDefinition"]["containerDefinitions"][0][
            "image"
        ]
        == image
    )


def test_ingest_cannot_reach_ecr(ecs: Any, sandbox: Sandbox) -> None:
    service = describe_service(ecs, "ingest")
    vpc = service["networkConfiguration"]["awsvpcConfiguration"]
    assert vpc["subnets"] == [sandbox.ids["subnet_isolated_a"]]
    assert vpc["assignPublicIp"] == "DISABLED"
    for task in stopped_tasks(ecs, "ingest"):
        assert task["stopCode"] == "TaskFailedToStart"
        assert task["stoppedReason"].startswith("CannotPullContainerError")
        assert re.search(r"dial tcp 52\.94\.\d+\.\d+:443: i/o timeout", task["stoppedReason"])
        details = {d["name"]: d["value"] for d in task["attachments"][0]["details"]}
        assert details["subnetId"] == sandbox.ids["subnet_isolated_a"]


def test_billing_references_a_missing_secret(session: boto3.Session, ecs: Any, sandbox: Sandbox) -> None:
    missing = sandbox.ids["secret_missing"]
    for task in stopped_tasks(ecs, "billing"):
        assert task["stopCode"] == "TaskFailedToStart"
        assert task["stoppedReason"].startswith("ResourceInitializationError: unable to pull secrets")
        assert f"failed to fetch secret {missing} from secrets manager" in task["stoppedReason"]
        assert "ResourceNotFoundException" in task["stoppedReason"]
    definition = ecs.describe_task_definition(taskDefinition="billing")["taskDefinition"]
    refs = {s["name"]: s["valueFrom"] for s in definition["containerDefinitions"][0]["secrets"]}
    assert refs["STRIPE_API_KEY"] == missing
    secrets = session.client("secretsmanager")
    with pytest.raises(ClientError) as err:
        secrets.describe_secret(SecretId=missing)
    assert err.value.response["Error"]["Code"] == "ResourceNotFoundException"
    assert secrets.describe_secret(SecretId=refs["DB_PASSWORD"])["Name"] == "billing/db-password"


def test_orders_exits_with_a_telling_log_line(session: boto3.Session, ecs: Any) -> None:
    for task in stopped_tasks(ecs, "orders"):
        assert task["stopCode"] == "EssentialContainerExited"
        assert task["stoppedReason"] == "Essential container in task exited"
        assert task["containers"][0]["exitCode"] == 1
        lines = log_messages(session, "orders", task)
        assert lines[0].startswith("INFO orders-service 4.2.0 starting")
        assert lines[-1].startswith(
            "psycopg2.OperationalError: could not connect to server: Connection refused"
        )
        assert "port 5432" in lines[-1]
        assert any("postgresql://orders_app:hunter2-Zq8vR4tLm9@" in line for line in lines)  # to be redacted


def test_search_failed_after_a_healthy_deployment(session: boto3.Session, ecs: Any) -> None:
    service = describe_service(ecs, "search")
    primary, active = service["deployments"]
    assert (primary["status"], primary["taskDefinition"].rsplit("/", 1)[1]) == ("PRIMARY", "search:2")
    assert primary["rolloutState"] in ("FAILED", "IN_PROGRESS")
    assert primary["failedTasks"] == STOPPED_COUNTS["search"]
    assert (active["status"], active["taskDefinition"].rsplit("/", 1)[1], active["rolloutState"]) == (
        "ACTIVE",
        "search:1",
        "COMPLETED",
    )
    tasks = stopped_tasks(ecs, "search")
    first_failure = min(t["stoppedAt"] for t in tasks)
    steady = [
        e["createdAt"]
        for e in service["events"]
        if e["message"] == "(service search) has reached a steady state."
    ]
    assert steady and max(steady) < first_failure
    for task in tasks:
        assert task["taskDefinitionArn"].endswith("search:2")
        assert task["containers"][0]["exitCode"] == 1
        assert (task["stoppedAt"] - task["startedAt"]).total_seconds() < 30
        assert log_messages(session, "search", task)[-1] == "KeyError: 'ELASTICSEARCH_URL'"
    old = ecs.describe_task_definition(taskDefinition="search:1")["taskDefinition"]["containerDefinitions"][0]
    new = ecs.describe_task_definition(taskDefinition="search:2")["taskDefinition"]["containerDefinitions"][0]
    assert (old["image"].rsplit(":", 1)[1], new["image"].rsplit(":", 1)[1]) == ("1.8.0", "1.9.0")
    assert old["command"] != new["command"]
    assert {e["name"] for e in old["environment"]} - {e["name"] for e in new["environment"]} == {
        "ELASTICSEARCH_URL"
    }
    assert {t["taskDefinitionArn"].rsplit("/", 1)[1] for t in running_tasks(ecs, "search")} == {"search:1"}


def test_frontend_is_healthy(ecs: Any) -> None:
    service = describe_service(ecs, "frontend")
    assert service["events"][0]["message"] == "(service frontend) has reached a steady state."
    assert service["runningCount"] == service["desiredCount"] == 2
    assert [d["rolloutState"] for d in service["deployments"]] == ["COMPLETED"]
    assert stopped_tasks(ecs, "frontend") == []
    assert len(running_tasks(ecs, "frontend")) == 2


@pytest.mark.parametrize("service", list(STOPPED_COUNTS))
def test_task_definitions_are_realistic(ecs: Any, service: str) -> None:
    definition = ecs.describe_task_definition(taskDefinition=service)["taskDefinition"]
    assert definition["requiresCompatibilities"] == [LAUNCH_TYPES[service]]
    assert definition["networkMode"] == "awsvpc"
    assert definition["executionRoleArn"] == f"arn:aws:iam::{ACCOUNT}:role/ecsTaskExecutionRole"
    assert definition["cpu"] and definition["memory"]
    options = definition["containerDefinitions"][0]["logConfiguration"]["options"]
    assert definition["containerDefinitions"][0]["logConfiguration"]["logDriver"] == "awslogs"
    assert options == {
        "awslogs-group": f"/ecs/{service}",
        "awslogs-region": REGION,
        "awslogs-stream-prefix": "ecs",
    }


@pytest.mark.parametrize("service", [s for s, n in STOPPED_COUNTS.items() if n])
def test_service_events_name_the_stopped_tasks(ecs: Any, service: str) -> None:
    events = describe_service(ecs, service)["events"]
    times = [e["createdAt"] for e in events]
    assert times == sorted(times, reverse=True), "newest first, as ECS lists them"
    messages = " ".join(e["message"] for e in events)
    for task in stopped_tasks(ecs, service):
        assert f"(task {task_id(task)})" in messages


def test_every_started_task_has_its_log_stream(session: boto3.Session, ecs: Any) -> None:
    for name in STOPPED_COUNTS:
        for task in stopped_tasks(ecs, name) + running_tasks(ecs, name):
            if task.get("startedAt"):
                assert log_messages(session, name, task), f"{name} {task_id(task)}"


def test_web_logs_show_a_95_second_start(session: boto3.Session, ecs: Any) -> None:
    for task in stopped_tasks(ecs, "web"):
        lines = log_messages(session, "web", task)
        assert "Started WebApplication in 94.8 seconds (process running for 96.3)" in lines
        assert (task["stoppedAt"] - task["startedAt"]).total_seconds() > 94.8


# -- the other services --------------------------------------------------------------------------------


def test_ecr_holds_the_other_api_tags(session: boto3.Session) -> None:
    ecr = session.client("ecr")
    tags = {
        t for d in ecr.describe_images(repositoryName="api")["imageDetails"] for t in d.get("imageTags", [])
    }
    assert tags == {"v2.3.0", "v2.3.1"}
    with pytest.raises(ClientError) as err:
        ecr.describe_images(repositoryName="api", imageIds=[{"imageTag": "v2.4.0"}])
    assert err.value.response["Error"]["Code"] == "ImageNotFoundException"
    ingest = ecr.describe_images(repositoryName="ingest", imageIds=[{"imageTag": "v0.9.2"}])["imageDetails"]
    assert len(ingest) == 1  # ingest's image exists: its failure is the network


def test_isolated_subnet_has_no_way_out(session: boto3.Session, sandbox: Sandbox) -> None:
    ec2 = session.client("ec2")
    isolated = sandbox.ids["subnet_isolated_a"]
    tables = ec2.describe_route_tables(Filters=[{"Name": "association.subnet-id", "Values": [isolated]}])[
        "RouteTables"
    ]
    assert len(tables) == 1
    routes = tables[0]["Routes"]
    assert [r.get("GatewayId") for r in routes] == ["local"]
    assert not any(r.get("NatGatewayId") for r in routes)
    vpc = sandbox.ids["vpc"]
    assert ec2.describe_vpc_endpoints(Filters=[{"Name": "vpc-id", "Values": [vpc]}])["VpcEndpoints"] == []
    subnet = ec2.describe_subnets(SubnetIds=[isolated])["Subnets"][0]
    assert subnet["VpcId"] == vpc
    assert subnet["MapPublicIpOnLaunch"] is False


def test_private_and_public_subnets_route_out(session: boto3.Session, sandbox: Sandbox) -> None:
    ec2: Any = session.client("ec2")

    def default_route(subnet: str) -> dict[str, Any]:
        table = ec2.describe_route_tables(Filters=[{"Name": "association.subnet-id", "Values": [subnet]}])[
            "RouteTables"
        ][0]
        return next(r for r in table["Routes"] if r.get("DestinationCidrBlock") == "0.0.0.0/0")

    for key in ("subnet_private_a", "subnet_private_b"):
        assert default_route(sandbox.ids[key])["NatGatewayId"] == sandbox.ids["nat_gateway"]
    for key in ("subnet_public_a", "subnet_public_b"):
        assert default_route(sandbox.ids[key])["GatewayId"] == sandbox.ids["internet_gateway"]
    nat = ec2.describe_nat_gateways(NatGatewayIds=[sandbox.ids["nat_gateway"]])["NatGateways"][0]
    assert nat["SubnetId"] == sandbox.ids["subnet_public_a"]


def test_task_ips_are_in_their_subnets(session: boto3.Session, ecs: Any) -> None:
    ec2 = session.client("ec2")
    cidrs = {s["SubnetId"]: s["CidrBlock"] for s in ec2.describe_subnets()["Subnets"]}
    for task in stopped_tasks(ecs, "web") + running_tasks(ecs, "frontend"):
        details = {d["name"]: d["value"] for d in task["attachments"][0]["details"]}
        ip = ipaddress.ip_address(details["privateIPv4Address"])
        assert ip in ipaddress.ip_network(cidrs[details["subnetId"]])
        eni = ec2.describe_network_interfaces(NetworkInterfaceIds=[details["networkInterfaceId"]])[
            "NetworkInterfaces"
        ][0]
        assert eni["PrivateIpAddress"] == str(ip)


def test_web_target_group_settings(session: boto3.Session, sandbox: Sandbox) -> None:
    (tg,) = session.client("elbv2").describe_target_groups(Names=["web-tg"])["TargetGroups"]
    assert tg["TargetGroupArn"] == sandbox.ids["tg_web"]
    assert tg["TargetType"] == "ip"
    assert tg["Port"] == 8080
    assert tg["HealthCheckPath"] == "/healthz"
    assert tg["HealthCheckIntervalSeconds"] == 30
    assert tg["UnhealthyThresholdCount"] == 3
    assert tg["LoadBalancerArns"] == [sandbox.ids["alb_arn"]]


def test_web_security_group_admits_the_load_balancer(session: boto3.Session, sandbox: Sandbox) -> None:
    (group,) = session.client("ec2").describe_security_groups(GroupIds=[sandbox.ids["sg_web"]])[
        "SecurityGroups"
    ]
    (rule,) = group["IpPermissions"]
    assert (rule["FromPort"], rule["ToPort"]) == (8080, 8080)
    assert rule["UserIdGroupPairs"][0]["GroupId"] == sandbox.ids["sg_alb"]


def memory_series(session: boto3.Session, dimensions: list[dict[str, str]], metric: str) -> list[float]:
    now = datetime.now(UTC)
    cloudwatch: Any = session.client("cloudwatch")
    result = cloudwatch.get_metric_data(
        MetricDataQueries=[
            {
                "Id": "m",
                "MetricStat": {
                    "Metric": {
                        "Namespace": "ECS/ContainerInsights",
                        "MetricName": metric,
                        "Dimensions": dimensions,
                    },
                    "Period": 60,
                    "Stat": "Maximum",
                },
            }
        ],
        StartTime=now - timedelta(hours=2),
        EndTime=now + timedelta(minutes=1),
        ScanBy="TimestampAscending",
    )["MetricDataResults"][0]
    return [float(v) for v in result["Values"]]


def test_container_insights_shows_memory_climbing_to_the_limit(
    session: boto3.Session, sandbox: Sandbox
) -> None:
    service_dims = [{"Name": "ClusterName", "Value": CLUSTER}, {"Name": "ServiceName", "Value": "checkout"}]
    assert max(memory_series(session, service_dims, "MemoryUtilized")) >= 500
    assert set(memory_series(session, service_dims, "MemoryReserved")) == {512.0}
    for tid in sandbox.stopped_tasks["checkout"]:
        values = memory_series(session, [*service_dims, {"Name": "TaskId", "Value": tid}], "MemoryUtilized")
        assert len(values) >= 4
        assert values == sorted(values), "memory climbs until the kill"
        assert values[-1] >= 500
        assert values[0] < 300


def test_expectations_match_the_published_categories(sandbox: Sandbox) -> None:
    assert {name: exp.category for name, exp in sandbox.expectations.items()} == EXPECTED_CATEGORIES
