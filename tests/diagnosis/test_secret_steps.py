"""The steps of a secrets failure fit the store the secret is in: an SSM parameter is looked at with `aws ssm`,
a Secrets Manager secret with `aws secretsmanager`, an environment file with `aws s3`; when the input does
not say, both secret stores' ways are shown."""

from __future__ import annotations

import pytest

from diagnosis.engine import diagnose
from diagnosis.intake import read_input
from diagnosis.models import Diagnosis
from diagnosis.report import to_text

ROLE = "arn:aws:sts::123456789012:assumed-role/ecsTaskExecutionRole/9e05ad12"
# The developer guide's wordings (resource-initialization-error.html, specifying-sensitive-data.html).
FROM_SSM = (
    "ResourceInitializationError: unable to pull secrets or registry auth: execution resource retrieval "
    "failed: unable to retrieve secrets from ssm: service call has been retried 1 time(s): invalid ssm "
    "parameters: /prod/api/DB_PASSWORD"
)
PARAMETER_DENIED = (
    f"Fetching secret data from SSM Parameter Store in us-east-1: AccessDeniedException: User: {ROLE} is not "
    "authorized to perform: ssm:GetParameters on resource: "
    "arn:aws:ssm:us-east-1:123456789012:parameter/prod/db-password status code: 400"
)
# An SSM parameter that references a Secrets Manager secret (/aws/reference/secretsmanager/…) is fetched
# through SSM: it is an SSM parameter to ECS.
SECRETS_MANAGER_REFERENCE = (
    f"Fetching secret data from SSM Parameter Store in us-east-1: AccessDeniedException: User: {ROLE} is not "
    "authorized to perform: ssm:GetParameters on resource: "
    "arn:aws:ssm:us-east-1:123456789012:parameter/aws/reference/secretsmanager/prod-db status code: 400"
)
FROM_ASM = (
    "ResourceInitializationError: unable to pull secrets or registry auth: execution resource retrieval "
    "failed: unable to retrieve secret from asm: service call has been retried 5 time(s): failed to fetch "
    "secret arn:aws:secretsmanager:us-east-1:123456789012:secret:prod/db-Ab12Cd from secrets manager: "
    "AccessDeniedException: User is not authorized to perform: secretsmanager:GetSecretValue"
)
UNSAID = "ResourceInitializationError: unable to pull secrets or registry auth"


def explain(text: str) -> Diagnosis:
    intake = read_input(text)
    return diagnose(intake.observations, gaps=intake.gaps)


def fix_of(text: str) -> str:
    """The Fix section a person reads."""
    rendered = to_text(explain(text))
    return rendered.split("\nFix\n", 1)[1].split("\n\n", 1)[0]


@pytest.mark.parametrize(
    ("text", "parameter"),
    [
        (FROM_SSM, "/prod/api/DB_PASSWORD"),
        (PARAMETER_DENIED, "arn:aws:ssm:us-east-1:123456789012:parameter/prod/db-password"),
        (
            SECRETS_MANAGER_REFERENCE,
            "arn:aws:ssm:us-east-1:123456789012:parameter/aws/reference/secretsmanager/prod-db",
        ),
    ],
)
def test_a_parameter_store_secret_is_looked_at_with_ssm(text: str, parameter: str) -> None:
    fix = fix_of(text)
    assert (
        f"$ aws ssm get-parameter --name {parameter} --query 'Parameter.[Name,Type,Version,LastModifiedDate]'"
        in fix
    )
    assert "secretsmanager describe-secret" not in fix and "--with-decryption" not in fix
    assert (
        "--action-names ssm:GetParameters kms:Decrypt" in fix and "secretsmanager:GetSecretValue" not in fix
    )
    assert "an ssm interface VPC endpoint" in fix


def test_a_secrets_manager_secret_is_looked_at_with_secretsmanager() -> None:
    fix = fix_of(FROM_ASM)
    arn = "arn:aws:secretsmanager:us-east-1:123456789012:secret:prod/db-Ab12Cd"
    assert f"$ aws secretsmanager describe-secret --secret-id {arn}" in fix
    assert "aws ssm " not in fix and "ssm:GetParameters" not in fix
    assert f"--action-names secretsmanager:GetSecretValue kms:Decrypt --resource-arns {arn}" in fix
    assert "a secretsmanager interface VPC endpoint" in fix


def test_when_the_input_does_not_say_which_store_both_ways_are_shown() -> None:
    fix = fix_of(UNSAID)
    assert (
        "If it is an SSM parameter: check it exists" in fix
        and "$ aws ssm get-parameter --name $SECRET" in fix
    )
    assert "If it is a Secrets Manager secret: check it exists" in fix
    assert "$ aws secretsmanager describe-secret --secret-id $SECRET" in fix
    assert "--action-names secretsmanager:GetSecretValue ssm:GetParameters kms:Decrypt" in fix


def test_a_parameter_named_without_its_arn_is_simulated_by_its_arn() -> None:
    """secrets[].valueFrom may name an SSM parameter of the task's own region without its ARN; IAM needs
    the ARN, built from the task's account and region."""
    text = (
        f"Task arn:aws:ecs:eu-west-3:123456789012:task/shop/0f1e2d3c4b5a69788796a5b4c3d2e1f0 stopped\n"
        f"Stopped reason: {FROM_SSM}"
    )
    fix = fix_of(text)
    assert "--resource-arns arn:aws:ssm:eu-west-3:123456789012:parameter/prod/api/DB_PASSWORD" in fix
    assert "$ aws ssm get-parameter --name /prod/api/DB_PASSWORD" in fix


@pytest.mark.parametrize(
    ("reference", "command"),
    [
        ("/prod/api/DB_PASSWORD", "$ aws ssm get-parameter --name /prod/api/DB_PASSWORD"),
        (
            "arn:aws:ssm:eu-west-3:123456789012:parameter/prod/db",
            "$ aws ssm get-parameter --name arn:aws:ssm:",
        ),
        (
            "arn:aws:secretsmanager:eu-west-3:123456789012:secret:prod/db-Ab12Cd",
            "$ aws secretsmanager describe-secret --secret-id arn:aws:secretsmanager:",
        ),
    ],
)
def test_the_reference_the_live_evidence_read_decides_the_store(reference: str, command: str) -> None:
    """Live, the secret is the task definition's secrets[].valueFrom: the reference alone says the store."""
    observations = read_input(UNSAID).observations
    read = {"secret": reference, "region": "eu-west-3", "account": "123456789012"}
    fix = to_text(diagnose(observations, names_read=lambda _category: read)).split("\nFix\n", 1)[1]
    assert command in fix
    assert "If it is" not in fix, "the store is known: one way to look"


def test_the_reference_decides_over_what_the_message_said() -> None:
    """The message says "from ssm" without naming the parameter; the live evidence names the reference the
    task definition holds, in Secrets Manager: the steps act on that reference, so they are its store's."""
    said = (
        "ResourceInitializationError: unable to pull secrets or registry auth: execution resource retrieval "
        "failed: unable to retrieve secrets from ssm: service call has been retried 5 time(s): "
        "RequestCanceled: request context canceled caused by: context deadline exceeded"
    )
    secret = "arn:aws:secretsmanager:eu-west-3:123456789012:secret:prod/db-Ab12Cd"
    observations = read_input(said).observations
    fix = to_text(diagnose(observations, names_read=lambda _category: {"secret": secret})).split(
        "\nFix\n", 1
    )[1]
    assert f"$ aws secretsmanager describe-secret --secret-id {secret}" in fix and "aws ssm " not in fix


def test_an_environment_file_is_looked_at_in_s3() -> None:
    env_file = (
        "ResourceInitializationError: failed to download env files: file download command: non empty error "
        "stream: failed to download env file arn:aws:s3:::my-config-bucket/prod.env: NoSuchKey: The specified "
        "key does not exist."
    )
    fix = fix_of(env_file)
    assert "$ aws s3 ls s3://my-config-bucket/prod.env" in fix
    assert (
        "--action-names s3:GetObject kms:Decrypt --resource-arns arn:aws:s3:::my-config-bucket/prod.env"
        in fix
    )
    assert "an s3 gateway VPC endpoint" in fix
    assert "secretsmanager" not in fix and "aws ssm " not in fix
