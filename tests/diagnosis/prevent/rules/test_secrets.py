from __future__ import annotations

import pytest

from tests.builders.prevent import container, results, rule_ids, subject, taskdef

SECRET = "arn:aws:secretsmanager:eu-west-1:111122223333:secret:db-password-AbCdEf"


def test_secrets_without_an_execution_role_is_an_error() -> None:
    definition = taskdef(container(secrets=[{"name": "DB", "valueFrom": SECRET}]), executionRoleArn=None)
    [found] = results(definition, "execution_role")
    assert found.severity == "error"
    assert "fetch its secrets" in found.fact and "pull its ECR images" in found.fact
    assert "role/ecsTaskExecutionRole" in (found.fix.cli or "")


def test_ec2_with_a_public_image_and_no_secrets_needs_no_execution_role() -> None:
    definition = taskdef(
        container(image="nginx:1.25", logConfiguration=None),
        executionRoleArn=None,
        requiresCompatibilities=["EC2"],
    )
    assert "execution_role" not in rule_ids(definition)


def test_a_secret_in_another_region_or_account_is_a_warning() -> None:
    elsewhere = "arn:aws:secretsmanager:us-east-1:999988887777:secret:db-AbCdEf"
    definition = taskdef(container(secrets=[{"name": "DB", "valueFrom": elsewhere}]))
    [found] = results(subject(definition, region="eu-west-1"), "secret_location")
    assert found.severity == "warning"
    assert "region us-east-1" in found.fact and "account 999988887777" in found.fact


def test_a_secret_of_the_task_s_own_account_and_region_passes() -> None:
    definition = taskdef(container(secrets=[{"name": "DB", "valueFrom": SECRET}]))
    assert "secret_location" not in rule_ids(subject(definition, region="eu-west-1"))


def test_an_execution_role_that_may_not_read_the_secret_is_an_error() -> None:
    definition = taskdef(container(secrets=[{"name": "DB", "valueFrom": SECRET}]))
    roles = {"execution": frozenset({"ecr:GetAuthorizationToken"})}
    [found] = results(subject(definition, role_actions=roles), "secret_permission")
    assert "secretsmanager:GetSecretValue" in found.fact
    allowed = {"execution": frozenset({"secretsmanager:GetSecretValue"})}
    assert results(subject(definition, role_actions=allowed), "secret_permission") == []


def test_the_fixes_name_the_secret_without_its_json_key_and_version() -> None:
    """valueFrom ARN:json-key:version-stage:version-id: IAM and Secrets Manager know the secret by the ARN alone."""
    elsewhere = "arn:aws:secretsmanager:us-east-1:999988887777:secret:db-AbCdEf"
    definition = taskdef(
        container(secrets=[{"name": "DB", "valueFrom": elsewhere + ":password:AWSCURRENT:"}])
    )
    [found] = results(subject(definition, region="eu-west-1"), "secret_location")
    assert found.fix.cli == f"aws secretsmanager get-resource-policy --secret-id {elsewhere}"
    roles = {"execution": frozenset({"ecr:GetAuthorizationToken"})}
    [denied] = results(subject(definition, role_actions=roles), "secret_permission")
    assert f'Resource = "{elsewhere}"' in (denied.fix.terraform or "")


@pytest.mark.parametrize(
    ("where", "partition"),
    [
        ({"taskDefinitionArn": "arn:aws-cn:ecs:cn-north-1:111122223333:task-definition/web:3"}, "aws-cn"),
        ({"taskRoleArn": "arn:aws-us-gov:iam::111122223333:role/web-task"}, "aws-us-gov"),
        ({}, "aws"),
    ],
)
def test_the_execution_role_to_add_is_in_the_task_s_partition(where: dict[str, str], partition: str) -> None:
    definition = taskdef(
        container(secrets=[{"name": "DB", "valueFrom": SECRET}]), executionRoleArn=None, **where
    )
    [found] = results(definition, "execution_role")
    assert f'execution_role_arn = "arn:{partition}:iam::' in (found.fix.terraform or "")
    assert f'.executionRoleArn = "arn:{partition}:iam::' in (found.fix.cli or "")


def test_the_region_alone_says_the_partition() -> None:
    definition = taskdef(container(secrets=[{"name": "DB", "valueFrom": "/prod/db"}]), executionRoleArn=None)
    [found] = results(subject(definition, region="us-gov-west-1", account="111122223333"), "execution_role")
    assert "arn:aws-us-gov:iam::111122223333:role/ecsTaskExecutionRole" in (found.fix.cli or "")


def test_a_secret_of_another_partition_cannot_be_read_at_all() -> None:
    definition = taskdef(
        container(secrets=[{"name": "DB", "valueFrom": SECRET}]),
        taskDefinitionArn="arn:aws-cn:ecs:cn-north-1:111122223333:task-definition/web:3",
    )
    [found] = results(subject(definition), "secret_location")
    assert found.severity == "error"
    assert "from partition aws, but the task runs in aws-cn: no role reads across partitions" in found.fact
    china = SECRET.replace(":aws:", ":aws-cn:").replace("eu-west-1", "cn-north-1")
    same = taskdef(container(secrets=[{"name": "DB", "valueFrom": china}]))
    assert "secret_location" not in rule_ids(subject(same, region="cn-north-1"))
