"""Who manages a service (a CloudFormation stack in moto, CDK, declared tags, CloudTrail user agents through
botocore Stubber, since moto has no LookupEvents), the code each fix becomes in each tool, and what
ECS_WHY_MANAGED_SERVICES=code-only refuses."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import boto3
import pytest
from botocore.stub import Stubber
from slack_sdk import WebClient

from bot.app import build_services
from bot.authz import Operators
from bot.remediation.as_code import code_change
from bot.remediation.executor import Remediator
from bot.remediation.iac import Owner, owner_from_agent, owner_from_tags, stack_owner, who_manages
from bot.remediation.kinds import Plan
from bot.remediation.why_not import CodeOnly
from bot.settings import ConfigError, load_settings
from bot.store import Store
from tests.builders.ecs_service import ACCOUNT, REGION
from tests.builders.remediation import pending

SERVICE_ARN = f"arn:aws:ecs:{REGION}:{ACCOUNT}:service/prod/web"
TEMPLATE = {
    "Resources": {
        "Cluster": {"Type": "AWS::ECS::Cluster", "Properties": {"ClusterName": "prod"}},
        "WebTask": {
            "Type": "AWS::ECS::TaskDefinition",
            "Properties": {
                "Family": "web",
                "Cpu": "256",
                "Memory": "512",
                "RequiresCompatibilities": ["FARGATE"],
                "NetworkMode": "awsvpc",
                "ContainerDefinitions": [{"Name": "app", "Image": "nginx:1.27", "Memory": 512}],
            },
        },
        "WebService": {
            "Type": "AWS::ECS::Service",
            "Properties": {
                "Cluster": {"Ref": "Cluster"},
                "ServiceName": "web",
                "TaskDefinition": {"Ref": "WebTask"},
                "DesiredCount": 1,
            },
        },
    }
}


def stack(session: boto3.Session, tag: bool = True) -> str:
    """The stack `web-stack` in moto; `tag`: the `aws:cloudformation:stack-name` tag CloudFormation puts on
    the services it creates (moto does not), so the service says which stack owns it."""
    session.client("cloudformation").create_stack(StackName="web-stack", TemplateBody=json.dumps(TEMPLATE))
    ecs = session.client("ecs")
    arn = str(ecs.describe_services(cluster="prod", services=["web"])["services"][0]["serviceArn"])
    if tag:
        ecs.tag_resource(
            resourceArn=arn, tags=[{"key": "aws:cloudformation:stack-name", "value": "web-stack"}]
        )
    return arn


def cloudtrail(events: list[dict[str, Any]] | Exception) -> Any:
    client = boto3.client("cloudtrail", region_name=REGION)
    stubber = Stubber(client)
    if isinstance(events, Exception):
        stubber.add_client_error("lookup_events", "AccessDeniedException", "not allowed")
    else:
        expected = {
            "LookupAttributes": [{"AttributeKey": "ResourceName", "AttributeValue": SERVICE_ARN}],
            "MaxResults": 50,
        }
        stubber.add_response("lookup_events", {"Events": events}, expected)
    stubber.activate()
    return client


def event(name: str, agent: str) -> dict[str, Any]:
    return {
        "EventName": name,
        "EventTime": datetime(2026, 11, 30, 9, 15, tzinfo=UTC),
        "CloudTrailEvent": json.dumps({"eventName": name, "userAgent": agent}),
    }


@pytest.fixture
def session(aws_env: None) -> Any:
    from moto import mock_aws

    with mock_aws():
        yield boto3.Session(region_name=REGION)


def manages(session: boto3.Session, trail: Any = None, declared: dict[str, str] | None = None) -> Any:
    return who_manages(
        session.client("ecs"),
        session.client("cloudformation"),
        trail or cloudtrail([]),
        "prod",
        "web",
        declared or {},
    )


def test_a_cloudformation_stack_is_found_from_the_service_s_tag(session: boto3.Session) -> None:
    stack(session)
    found = manages(session)
    assert found.owner == Owner(
        "cloudformation",
        "web-stack",
        "its tag `aws:cloudformation:stack-name=web-stack`",
        "WebService",
        "WebTask",
    )
    assert found.owner.undo() == "The next update of CloudFormation stack web-stack will undo this API change"


def test_a_cdk_stack_is_cloudformation_with_cdk_metadata() -> None:
    resources = [
        {"LogicalResourceId": "CDKMetadata", "PhysicalResourceId": "x"},
        {"LogicalResourceId": "WebServiceC3B2", "PhysicalResourceId": SERVICE_ARN},
    ]
    owner = stack_owner("WebStack", resources, SERVICE_ARN, "")
    assert (owner.tool, owner.name, owner.logical_id) == ("cdk", "WebStack", "WebServiceC3B2")
    assert owner.undo() == "The next `cdk deploy` of stack WebStack will undo this API change"


def test_declared_tags_name_terraform_and_its_workspace() -> None:
    declared = {"managed-by=terraform": "terraform", "tf-workspace": "terraform"}
    assert owner_from_tags({"tf-workspace": "payments-prod"}, declared) == Owner(
        "terraform", "payments-prod", "its tag `tf-workspace=payments-prod` (ECS_WHY_IAC_TAGS)"
    )
    assert owner_from_tags({"managed-by": "terraform"}, declared).name == ""  # type: ignore[union-attr]
    assert owner_from_tags({"managed-by": "hand"}, declared) is None


def test_a_backtick_in_a_value_from_aws_cannot_end_the_code_span_it_is_shown_in() -> None:
    """Tag values and user agents come from AWS: shown in `code`, a backtick of theirs would end it early."""
    tagged = owner_from_tags({"tf-workspace": "pay`ments"}, {"tf-workspace": "terraform"})
    agent = owner_from_agent("Terraform/1.7 `rm -rf`", "UpdateService", "")
    stack = stack_owner("web`stack", [], "arn:service", "arn:task")
    for owner in (tagged, agent, stack):
        assert owner is not None and owner.how.count("`") == 2, owner
    assert tagged is not None and "pay'ments" in tagged.how and tagged.name == "pay`ments"


def test_declared_tags_are_read_from_the_service(session: boto3.Session) -> None:
    stack(session, tag=False)
    session.client("ecs").tag_resource(
        resourceArn=SERVICE_ARN, tags=[{"key": "tf-workspace", "value": "prod"}]
    )
    found = manages(session, declared={"tf-workspace": "terraform"})
    assert found.owner is not None and found.owner.undo() == (
        "The next `terraform apply` of prod will undo this API change"
    )


@pytest.mark.parametrize(
    ("agent", "tool"),
    [
        (
            "APN/1.0 HashiCorp/1.0 Terraform/1.9.5 (+https://www.terraform.io) terraform-provider-aws/5.70.0",
            "terraform",
        ),
        ("cloudformation.amazonaws.com", "cloudformation"),
        ("aws-cli/2.15.0 Python/3.11 Linux/6.1 exe/x86_64", None),
        ("console.amazonaws.com", None),
    ],
)
def test_a_user_agent_names_the_tool(agent: str, tool: str | None) -> None:
    owner = owner_from_agent(agent, "UpdateService", "")
    assert (owner.tool if owner else None) == tool


def test_untagged_the_cloudtrail_events_tell(session: boto3.Session) -> None:
    stack(session, tag=False)
    trail = cloudtrail(
        [
            event("UpdateService", "aws-cli/2.15.0"),  # a person, later: the code still owns it
            event("CreateService", "HashiCorp/1.0 Terraform/1.9.5 terraform-provider-aws/5.70.0"),
        ]
    )
    found = manages(session, trail)
    assert found.owner is not None and found.owner.tool == "terraform"
    assert "CreateService on 2026-11-30 09:15 UTC came from" in found.owner.how


def test_nothing_says_managed_and_nothing_is_missing(session: boto3.Session) -> None:
    stack(session, tag=False)
    found = manages(session, cloudtrail([event("CreateService", "aws-cli/2.15.0")]))
    assert found.owner is None and not found.unknown


def test_an_unreadable_cloudtrail_is_said_not_guessed(session: boto3.Session) -> None:
    stack(session, tag=False)
    found = manages(session, cloudtrail(PermissionError()))
    assert found.owner is None
    assert found.unknown == "who created or last updated it in CloudTrail (AccessDeniedException)"


# ---------------------------------------------------------------- the fix as code


def plan(kind: str, params: dict[str, Any], changes: list[tuple[str, str, str]] | None = None) -> Plan:
    return Plan(
        kind, "t", changes or [], "cli", "update_service", {"cluster": "prod", "service": "web", **params}
    )


CFN = Owner("cloudformation", "web-stack", "tag", "WebService", "WebTask")
TERRAFORM = Owner("terraform", "prod", "tag")
CDK = Owner("cdk", "WebStack", "tag", "WebServiceC3B2")


def test_the_grace_period_in_each_language() -> None:
    grace = plan("raise_grace_period", {"healthCheckGracePeriodSeconds": 190})
    assert code_change(grace, CFN, "web") == (
        "Resources:\n  WebService:  # AWS::ECS::Service\n    Properties:\n      HealthCheckGracePeriodSeconds: 190"
    )
    assert code_change(grace, TERRAFORM, "web") == (
        'resource "aws_ecs_service" "web" {\n  health_check_grace_period_seconds = 190\n}'
    )
    assert "healthCheckGracePeriod: Duration.seconds(190)," in code_change(grace, CDK, "web")


def test_more_memory_is_a_task_definition_change() -> None:
    memory = plan("increase_memory", {}, [("task memory", "512 MiB", "1024 MiB"), ("task cpu", "256", "512")])
    assert code_change(memory, CFN, "web") == (
        'Resources:\n  WebTask:  # AWS::ECS::TaskDefinition\n    Properties:\n      Memory: "1024"\n      Cpu: "512"'
    )
    assert code_change(memory, TERRAFORM, "web-api") == (
        'resource "aws_ecs_task_definition" "web_api" {\n  memory = "1024"\n  cpu    = "512"\n}'
    )


def test_the_circuit_breaker_exec_and_rollback() -> None:
    breaker = code_change(plan("enable_circuit_breaker", {}), TERRAFORM, "web")
    assert "deployment_circuit_breaker {\n    enable   = true\n    rollback = true\n  }" in breaker
    assert "EnableExecuteCommand: true" in code_change(plan("enable_execute_command", {}), CFN, "web")
    target = f"arn:aws:ecs:{REGION}:{ACCOUNT}:task-definition/web:41"
    assert 'task_definition = "web:41"' in code_change(
        plan("rollback", {"taskDefinition": target}), TERRAFORM, "web"
    )


def test_a_new_deployment_changes_no_code() -> None:
    assert code_change(plan("force_new_deployment", {"forceNewDeployment": True}), CFN, "web") == ""


# ---------------------------------------------------------------- code-only refuses the API change


def sessions(user: str, account: str | None, region: str | None, policy: dict[str, Any]) -> boto3.Session:
    return boto3.Session(region_name=REGION)


def test_code_only_refuses_an_api_change_to_a_managed_service(session: boto3.Session, store: Store) -> None:
    stack(session)
    r = Remediator(store, Operators(["U0OP"], lambda g: set()), sessions, code_only=True)
    target = {"account": ACCOUNT, "region": REGION, "cluster": "prod", "service": "web"}
    where = {"cluster": "prod", "service": "web"}
    grace = r.offer(pending({"kind": "raise_grace_period", "params": {**where, "seconds": 90}}, target))
    _, shown = r.plan("U0OP", grace)
    assert shown.ownership.owner is not None and shown.ownership.owner.name == "web-stack"
    result = r.apply("U0OP", grace)
    assert not result.ok and result.why_not == CodeOnly(
        service="web", owner="CloudFormation", name="web-stack"
    )
    failed = store.audit_log()[0]
    assert failed["event"] == "failed" and failed["why_not"] == {
        "code": "code_only",
        "service": "web",
        "owner": "CloudFormation",
        "name": "web-stack",
    }
    ecs = session.client("ecs")
    assert not ecs.describe_services(cluster="prod", services=["web"])["services"][0].get(
        "healthCheckGracePeriodSeconds"
    ), "no API change"
    redeploy = r.offer(pending({"kind": "force_new_deployment", "params": where}, target))
    assert r.apply("U0OP", redeploy).ok, "a new deployment changes nothing the code holds"


@pytest.mark.parametrize(
    ("name", "value", "line"),
    [
        (
            "ECS_WHY_IAC_TAGS",
            "tf-workspace",
            'ECS_WHY_IAC_TAGS: not valid JSON; expected e.g. {"tf-workspace"',
        ),
        ("ECS_WHY_IAC_TAGS", '{"managed-by": "chef"}', "ECS_WHY_IAC_TAGS.managed-by: Input should be"),
        (
            "ECS_WHY_MANAGED_SERVICES",
            "never",
            "ECS_WHY_MANAGED_SERVICES: Input should be 'warn' or 'code-only'",
        ),
    ],
)
def test_bad_iac_settings_are_one_line(
    monkeypatch: pytest.MonkeyPatch, name: str, value: str, line: str
) -> None:
    monkeypatch.setenv(name, value)
    with pytest.raises(ConfigError) as error:
        load_settings()
    assert len(error.value.lines) == 1 and line in error.value.lines[0], error.value.lines


def test_iac_settings_reach_the_remediator(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ECS_WHY_IAC_TAGS", '{"tf-workspace": "terraform"}')
    monkeypatch.setenv("ECS_WHY_MANAGED_SERVICES", "code-only")
    services = build_services(load_settings(), WebClient(token="xoxb-x"), Store.from_url(None))
    assert services.remediator.iac_tags == {"tf-workspace": "terraform"} and services.remediator.code_only
