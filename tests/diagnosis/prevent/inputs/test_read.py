"""Every input shape `ecs-why check` takes, read into the same task definition shape; bad input says what to pass."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from diagnosis.parse import InputError
from diagnosis.prevent.inputs import read_subjects
from tests.builders.prevent import container, taskdef

DATA = Path(__file__).resolve().parents[1] / "data"


def test_register_input_and_describe_output_read_the_same() -> None:
    definition = taskdef(container())
    described = {
        "taskDefinition": {
            **definition,
            "taskDefinitionArn": "arn:aws:ecs:eu-west-1:111122223333:task-definition/web:7",
            "revision": 7,
        }
    }
    [bare] = read_subjects(json.dumps(definition), "td.json")
    [full] = read_subjects(json.dumps(described), "out.json")
    assert bare.containers == full.containers
    assert (full.name, full.region, full.account) == ("web:7", "eu-west-1", "111122223333")
    assert bare.account == "111122223333"  # from the execution role's ARN


def test_a_json_list_holds_many_task_definitions() -> None:
    found = read_subjects(json.dumps([taskdef(family="a"), taskdef(family="b")]), "many.json")
    assert [s.name for s in found] == ["a", "b"]


def test_a_cloudformation_yaml_template_links_service_target_group_log_group_and_role() -> None:
    [subject] = read_subjects((DATA / "cloudformation-web.yaml").read_text(), "cfn.yaml")
    assert subject.kind == "CloudFormation" and subject.name == "TaskDef"
    assert subject.task_definition["memory"] == "3072"  # the parameter's default
    [app] = subject.containers
    assert app["portMappings"] == [{"containerPort": 8080}]
    assert app["logConfiguration"]["options"]["awslogs-group"] == "/ecs/web"
    assert subject.service is not None and subject.service["serviceName"] == "web"
    assert subject.service["loadBalancers"][0]["containerPort"] == 80
    assert [g["TargetGroupArn"] for g in subject.target_groups] == ["TG"]
    assert subject.declared_log_groups == frozenset({"/ecs/web"})
    assert subject.role_actions is not None and "ecr:BatchGetImage" in subject.role_actions["execution"]
    assert subject.line == 11  # the TaskDef resource


def test_a_cloudformation_json_template_reads_like_yaml() -> None:
    template = {
        "Resources": {
            "TD": {
                "Type": "AWS::ECS::TaskDefinition",
                "Properties": {
                    "Cpu": 256,
                    "Memory": 512,
                    "ContainerDefinitions": [
                        {"Name": "app", "Image": "nginx:1.25", "HealthCheck": {"Command": ["CMD", "true"]}}
                    ],
                },
            }
        }
    }
    [subject] = read_subjects(json.dumps(template), "t.json")
    assert subject.containers[0]["healthCheck"] == {"command": ["CMD", "true"]}
    assert subject.service is None and subject.declared_log_groups == frozenset()


def test_a_terraform_plan_links_the_resources_through_the_configuration() -> None:
    [subject] = read_subjects((DATA / "terraform-plan.json").read_text(), "plan.json")
    assert subject.kind == "Terraform" and subject.name == "aws_ecs_task_definition.api"
    assert subject.region == "eu-west-1"
    assert subject.task_definition["runtimePlatform"] == {
        "cpuArchitecture": "X86_64",
        "operatingSystemFamily": "LINUX",
    }
    assert subject.task_definition["executionRoleArn"]  # known only at apply: present, not missing
    assert subject.containers[0]["name"] == "api"
    assert subject.service is not None and subject.service["healthCheckGracePeriodSeconds"] == 30
    assert subject.service["deploymentConfiguration"]["deploymentCircuitBreaker"] == {
        "enable": True,
        "rollback": False,
    }
    assert [g["TargetGroupArn"] for g in subject.target_groups] == ["aws_lb_target_group.api"]
    assert subject.target_groups[0]["HealthCheckPath"] == "/health"
    assert subject.declared_log_groups == frozenset({"/ecs/api-service"})
    assert subject.role_actions is not None
    assert "ssmmessages:CreateControlChannel" in subject.role_actions["execution"]
    assert subject.role_actions["task"] == frozenset()


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("", "is empty"),
        ("{not json: [", "neither JSON nor YAML"),
        ('{"services": []}', "no ECS task definition"),
        ('{"Resources": {"B": {"Type": "AWS::S3::Bucket"}}}', "no ECS task definition"),
        ("just words", "no ECS task definition"),
        ('{"a":' * 1200 + "1" + "}" * 1200, "nested too deeply"),  # beyond json's recursion limit
        ("[" * 100_000 + "]" * 100_000, "nested too deeply"),
        ("".join("  " * i + "- \n" for i in range(3000)), "nested too deeply"),  # YAML, as deep
    ],
    ids=[
        "empty",
        "broken",
        "no task definition",
        "template without one",
        "prose",
        "deep JSON object",
        "deep JSON list",
        "deep YAML",
    ],
)
def test_unusable_input_is_one_clear_error(text: str, says: str) -> None:
    with pytest.raises(InputError, match=says) as caught:
        read_subjects(text, "x.json")
    assert "x.json" in str(caught.value) and "CloudFormation" in str(caught.value)
