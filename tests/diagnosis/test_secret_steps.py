"""The steps of a secrets failure fit the store the secret is in: an SSM parameter is looked at with `aws ssm`,
a Secrets Manager secret with `aws secretsmanager`, an environment file with `aws s3`; when the input does
not say, both secret stores' ways are shown."""

from __future__ import annotations

import json
import re
import shlex
import subprocess
from itertools import pairwise

import jmespath
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
    ("region", "partition"),
    [("cn-northwest-1", "aws-cn"), ("us-gov-east-1", "aws-us-gov"), ("eu-west-3", "aws")],
)
def test_a_parameter_named_without_its_arn_is_simulated_in_its_partition(region: str, partition: str) -> None:
    text = (
        f"Task arn:{partition}:ecs:{region}:123456789012:task/shop/0f1e2d3c4b5a69788796a5b4c3d2e1f0 stopped\n"
        f"Stopped reason: {FROM_SSM}"
    )
    arn = f"arn:{partition}:ssm:{region}:123456789012:parameter/prod/api/DB_PASSWORD"
    assert f"--action-names ssm:GetParameters kms:Decrypt --resource-arns {arn} --region {region}" in fix_of(
        text
    )


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


# --- several secrets in one input: each is looked at in its own store, by its own name -----------------

# The ECS agent joins the invalid parameters of one GetParameters call with "," (amazon-ecs-agent
# agent/ssm/ssm.go: `invalid parameters: %s`, strings.Join(…, ",")), under "Fetching secret data from SSM
# Parameter Store in REGION" (agent/taskresource/ssmsecret); Fargate words it "invalid ssm parameters".
TWO_PARAMETERS = (
    "ResourceInitializationError: unable to pull secrets or registry auth: execution resource retrieval "
    "failed: unable to retrieve secrets from ssm: service call has been retried 1 time(s): invalid ssm "
    "parameters: /prod/api/DB_PASSWORD,/prod/api/API_KEY"
)
AGENT_PARAMETERS = (
    "Fetching secret data from SSM Parameter Store in eu-west-3: invalid parameters: "
    "arn:aws:ssm:eu-west-3:123456789012:parameter/shop/db,arn:aws:ssm:eu-west-3:123456789012:parameter/shop/mq"
)
# The agent fetches each Secrets Manager secret apart and joins their errors with ";"
# (agent/taskresource/asmsecret/asmsecret.go, strings.Join(terminalReasons, ";")).
TWO_SECRETS = (
    "ResourceInitializationError: unable to pull secrets or registry auth: execution resource retrieval "
    "failed: unable to retrieve secret from asm: service call has been retried 1 time(s): failed to fetch "
    "secret arn:aws:secretsmanager:us-east-1:123456789012:secret:prod/db-Ab12Cd from secrets manager: "
    "AccessDeniedException: User is not authorized to perform: secretsmanager:GetSecretValue;failed to fetch "
    "secret arn:aws:secretsmanager:us-east-1:123456789012:secret:prod/mq-Zx98Yw from secrets manager: "
    "ResourceNotFoundException: Secrets Manager can't find the specified secret."
)
SHOP_TASK = "arn:aws:ecs:us-east-1:123456789012:task/shop/{}"


def test_every_parameter_an_invalid_parameters_list_names_is_looked_at() -> None:
    fix = fix_of(TWO_PARAMETERS)
    for name in ("/prod/api/DB_PASSWORD", "/prod/api/API_KEY"):
        assert f"$ aws ssm get-parameter --name {name} --query" in fix
        assert f"For {name}: check the execution role may read it" in fix
    assert fix.count("an ssm interface VPC endpoint") == 1, "the store's endpoint is said once"
    assert "secretsmanager" not in fix


def test_parameters_the_agent_names_by_arn_are_simulated_each_on_its_own_arn() -> None:
    fix = fix_of(AGENT_PARAMETERS)
    for name in ("shop/db", "shop/mq"):
        arn = f"arn:aws:ssm:eu-west-3:123456789012:parameter/{name}"
        assert f"$ aws ssm get-parameter --name {arn} --query" in fix
        assert f"--action-names ssm:GetParameters kms:Decrypt --resource-arns {arn} --region eu-west-3" in fix


def test_every_secret_of_errors_the_agent_joins_is_described() -> None:
    fix = fix_of(TWO_SECRETS)
    for name in ("prod/db-Ab12Cd", "prod/mq-Zx98Yw"):
        arn = f"arn:aws:secretsmanager:us-east-1:123456789012:secret:{name}"
        assert f"$ aws secretsmanager describe-secret --secret-id {arn} --region us-east-1" in fix
        assert f"--action-names secretsmanager:GetSecretValue kms:Decrypt --resource-arns {arn}" in fix
    assert "aws ssm " not in fix


def test_a_parameter_and_a_secret_each_get_their_own_stores_steps() -> None:
    """Two tasks of one paste, one failing on an SSM parameter, one on a Secrets Manager secret: both are
    looked at, each with its store's commands and actions, none with the other's."""
    parameter = "/prod/api/DB_PASSWORD"
    secret = "arn:aws:secretsmanager:us-east-1:123456789012:secret:prod/db-Ab12Cd"
    text = (
        f"Task {SHOP_TASK.format('0f1e2d3c4b5a69788796a5b4c3d2e1f0')} stopped: {FROM_SSM}\n"
        f"Task {SHOP_TASK.format('1f1e2d3c4b5a69788796a5b4c3d2e1f0')} stopped: {FROM_ASM}\n"
    )
    steps = [r for r in explain(text).findings[0].remediations if r.command]
    ssm = [r.command or "" for r in steps if parameter in r.step]
    asm = [r.command or "" for r in steps if secret in r.step]
    assert len(ssm) == 2 and ssm[0].startswith(f"aws ssm get-parameter --name {parameter} ")
    assert ssm[1].startswith("aws iam simulate-principal-policy") and (
        f"--action-names ssm:GetParameters kms:Decrypt --resource-arns arn:aws:ssm:us-east-1:123456789012:"
        f"parameter{parameter} " in ssm[1]
    )
    assert len(asm) == 2 and asm[0].startswith(f"aws secretsmanager describe-secret --secret-id {secret} ")
    assert f"--action-names secretsmanager:GetSecretValue kms:Decrypt --resource-arns {secret} " in asm[1]
    assert not any("secretsmanager" in command for command in ssm)
    assert not any("ssm:" in command or "aws ssm" in command for command in asm)


def test_a_secret_name_holding_a_token_is_redacted_in_every_step() -> None:
    """The steps quote the names the input holds, through the same redaction as everything else."""
    token = "ghp_abcdefghijklmnopqrstuvwxyz0123456789"
    text = TWO_PARAMETERS.replace("/prod/api/API_KEY", f"/prod/api/{token}")
    rendered = to_text(explain(text))
    assert token not in rendered
    assert "$ aws ssm get-parameter --name /prod/api/DB_PASSWORD" in rendered


# --- what a Secrets Manager reference asks for: ARN[:json-key[:version-stage[:version-id]]] ---------------

# How ECS reads `valueFrom` (amazon-ecs-agent agent/taskresource/asmsecret/asmsecret.go,
# getASMParametersFromInput): the secret is the ARN's first seven parts, then json-key, version-stage,
# version-id. Secrets Manager's own words for a missing version (GetSecretValue), as quoted in public notes:
# "Secrets Manager can't find the specified secret value for staging label: AWSCURRENT".
STAGE_MISSING = (
    "ResourceInitializationError: unable to pull secrets or registry auth: execution resource retrieval "
    "failed: unable to retrieve secret from asm: service call has been retried 5 time(s): failed to fetch "
    "secret arn:aws:secretsmanager:eu-west-1:123456789012:secret:prod/db-Ab12Cd:password:AWSPREVIOUS: from "
    "secrets manager: ResourceNotFoundException: Secrets Manager can't find the specified secret value for "
    "staging label: AWSPREVIOUS"
)
# agent/asm/asm.go: `retrieved secret from Secrets Manager did not contain json key %s`.
KEY_MISSING = (
    "ResourceInitializationError: unable to pull secrets or registry auth: execution resource retrieval "
    "failed: unable to retrieve secret from asm: service call has been retried 1 time(s): retrieved secret "
    "from Secrets Manager did not contain json key SUPABASE_SECRET_KEY"
)


def test_the_secret_is_described_by_its_arn_without_the_key_and_version() -> None:
    diagnosis = explain(STAGE_MISSING)
    fix = fix_of(STAGE_MISSING)
    secret = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:prod/db-Ab12Cd"
    assert f"$ aws secretsmanager describe-secret --secret-id {secret} --region eu-west-1\n" in fix
    assert f"--resource-arns {secret} --region eu-west-1" in fix
    assert ":password:AWSPREVIOUS" not in fix, "no command is given the reference's suffix"
    assert "has no version labelled AWSPREVIOUS" in diagnosis.findings[0].summary
    assert "carries the staging label AWSPREVIOUS, which ECS asks for" in fix
    assert f"$ aws secretsmanager describe-secret --secret-id {secret} --query VersionIdsToStages" in fix
    assert "the key password, which the reference asks for" in fix


def test_a_json_key_the_value_lacks_is_said_and_checked_without_printing_the_value() -> None:
    diagnosis = explain(KEY_MISSING)
    assert "has no JSON key SUPABASE_SECRET_KEY" in diagnosis.findings[0].summary
    fix = fix_of(KEY_MISSING)
    command = (
        "$ aws secretsmanager get-secret-value --secret-id $SECRET --query SecretString --output text "
        "| jq --arg key SUPABASE_SECRET_KEY 'has($key)'"
    )
    assert command in fix, "the value goes only to jq, which prints true or false"
    assert "aws ssm " not in fix


@pytest.mark.parametrize(
    ("text", "said"),
    [
        (
            PARAMETER_DENIED,
            "the execution role ecsTaskExecutionRole is not allowed ssm:GetParameters on "
            "arn:aws:ssm:us-east-1:123456789012:parameter/prod/db-password",
        ),
        (
            # GiamPy5/terraform-aws-directus#10: a customer-managed key the execution role may not use
            "ResourceInitializationError: unable to pull secrets or registry auth: execution resource retrieval "
            "failed: unable to retrieve secret from asm: service call has been retried 1 time(s): failed to "
            "fetch secret arn:aws:secretsmanager:eu-central-1:123456789012:secret:algo-dev-EaPYTy from secrets "
            "manager: AccessDeniedException: Access to KMS is not allowed status code: 400",
            "may not decrypt the secret with its KMS key (kms:Decrypt",
        ),
    ],
)
def test_a_refusal_names_the_action_and_the_resource(text: str, said: str) -> None:
    assert said in explain(text).findings[0].summary


def test_the_fix_for_a_refusal_grants_exactly_the_refused_action_on_its_resource() -> None:
    fix = fix_of(PARAMETER_DENIED)
    policy = (
        '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"ssm:GetParameters","Resource":'
        '"arn:aws:ssm:us-east-1:123456789012:parameter/prod/db-password"}]}'
    )
    assert (
        "$ aws iam put-role-policy --role-name ecsTaskExecutionRole --policy-name ecs-secrets-access-"
    ) in fix
    assert f" --policy-document '{policy}'" in fix
    assert "put-role-policy" not in fix_of(FROM_SSM), "nothing was refused: nothing to grant"


def test_a_secret_without_a_current_value_is_said_so_and_its_versions_looked_at() -> None:
    """A secret created without a value (Terraform's aws_secretsmanager_secret alone) has no AWSCURRENT
    version; GetSecretValue says "can't find the specified secret value for staging label: AWSCURRENT"."""
    text = (
        "ResourceInitializationError: unable to pull secrets or registry auth: execution resource retrieval "
        "failed: unable to retrieve secret from asm: service call has been retried 1 time(s): failed to fetch "
        "secret arn:aws:secretsmanager:us-east-1:123456789012:secret:youspeak/database-url-staging-Qw12Er from "
        "secrets manager: ResourceNotFoundException: Secrets Manager can't find the specified secret value for "
        "staging label: AWSCURRENT"
    )
    assert "has no current value (no version labelled AWSCURRENT" in explain(text).findings[0].summary
    fix = fix_of(text)
    secret = "arn:aws:secretsmanager:us-east-1:123456789012:secret:youspeak/database-url-staging-Qw12Er"
    assert "carries the staging label AWSCURRENT, which ECS asks for" in fix
    assert f"$ aws secretsmanager describe-secret --secret-id {secret} --query VersionIdsToStages" in fix


@pytest.mark.parametrize(
    ("reason", "says", "command"),
    [
        (
            # GiamPy5/terraform-aws-directus#10's wording, with the secret in another account than the task
            "ResourceInitializationError: unable to pull secrets or registry auth: execution resource retrieval "
            "failed: unable to retrieve secret from asm: service call has been retried 1 time(s): failed to "
            "fetch secret arn:aws:secretsmanager:us-east-1:444455556666:secret:shared/db-Ab12Cd from secrets "
            "manager: AccessDeniedException: Access to KMS is not allowed status code: 400",
            "It is in account 444455556666, not the task's: ECS reads it only when its resource policy",
            "$ aws secretsmanager get-resource-policy --secret-id "
            "arn:aws:secretsmanager:us-east-1:444455556666:secret:shared/db-Ab12Cd --region us-east-1",
        ),
        (
            "ResourceInitializationError: unable to pull secrets or registry auth: execution resource retrieval "
            "failed: unable to retrieve secrets from ssm: service call has been retried 1 time(s): invalid ssm "
            "parameters: arn:aws:ssm:us-east-1:444455556666:parameter/shared/db",
            "It is in account 444455556666, not the task's: the execution role reads it only if that account "
            "shares it",
            "$ aws ssm get-parameter --name arn:aws:ssm:us-east-1:444455556666:parameter/shared/db",
        ),
    ],
)
def test_a_secret_of_another_account_says_what_that_needs(reason: str, says: str, command: str) -> None:
    task = SHOP_TASK.format("0f1e2d3c4b5a69788796a5b4c3d2e1f0")
    fix = fix_of(f"Task {task} stopped: {reason}")
    assert says in fix and command in fix
    same_account = fix_of(f"Task {task} stopped: {reason.replace('444455556666', '123456789012')}")
    assert "not the task's" not in same_account


def test_one_stopped_reason_naming_a_parameter_and_a_secret_covers_both() -> None:
    """The two stores' errors in one reason (as a console copy or an alert joins them)."""
    secret = "arn:aws:secretsmanager:us-east-1:123456789012:secret:prod/db-Ab12Cd"
    text = f"{FROM_SSM}; {FROM_ASM}"
    fix = fix_of(text)
    assert "For /prod/api/DB_PASSWORD: check that an SSM parameter exists" in fix
    assert "$ aws ssm get-parameter --name /prod/api/DB_PASSWORD --query" in fix
    assert f"For {secret}: check that a Secrets Manager secret exists" in fix
    assert f"$ aws secretsmanager describe-secret --secret-id {secret} --region us-east-1" in fix
    assert "an ssm interface VPC endpoint" in fix and "a secretsmanager interface VPC endpoint" in fix
    assert "If it is" not in fix, "each secret's store is known"


def test_a_pasted_name_is_one_shell_word_in_every_command() -> None:
    """A name a paste carries (`$(rm -rf ~)`) is quoted where it fills a command, so running the step cannot
    run it; a plain name prints as it is."""
    rendered = to_text(explain(FROM_SSM.replace("/prod/api/DB_PASSWORD", "/prod/$(touch${IFS}x)")))
    assert "aws ssm get-parameter --name '/prod/$(touch${IFS}x)'" in rendered
    assert "--name /prod/$(" not in rendered
    assert "aws ssm get-parameter --name /prod/api/DB_PASSWORD " in to_text(explain(FROM_SSM))


@pytest.mark.parametrize(
    ("reason", "blocked_by"),
    [
        ("with an explicit deny in an identity-based policy", "an explicit deny in an identity-based policy"),
        ("with an explicit deny in a service control policy", "an explicit deny in a service control policy"),
        (
            "because no permissions boundary allows the ssm:GetParameters action",
            "no Allow in a permissions boundary",
        ),
        ("with an explicit deny in a resource-based policy", "an explicit deny in a resource-based policy"),
    ],
)
def test_a_refusal_an_allow_cannot_mend_gets_no_allow_fix(reason: str, blocked_by: str) -> None:
    """An Allow never overrides an explicit Deny (nor a boundary or SCP that allows nothing): the Fix says
    what blocks the read instead of offering put-role-policy."""
    fix = fix_of(PARAMETER_DENIED.replace(" status code", f" {reason} status code"))
    assert "put-role-policy" not in fix
    assert f"The refusal comes from {blocked_by}" in fix


def test_a_refusal_no_identity_policy_allows_gets_the_allow_fix() -> None:
    reason = " because no identity-based policy allows the ssm:GetParameters action status code"
    assert "put-role-policy" in fix_of(PARAMETER_DENIED.replace(" status code", reason))


def test_a_second_grant_does_not_replace_the_first() -> None:
    """put-role-policy replaces a policy of the same name: each grant is put under a name of its own, and
    the same grant again under the same name (it replaces only itself)."""
    other = PARAMETER_DENIED.replace("prod/db-password", "prod/api-key")
    name = re.compile(r"--policy-name (\S+)")
    first, second = name.search(fix_of(PARAMETER_DENIED)), name.search(fix_of(other))
    assert first and second and first.group(1) != second.group(1)
    assert re.fullmatch(r"[\w+=,.@-]{1,128}", first.group(1))
    again = name.search(fix_of(PARAMETER_DENIED))
    assert again and again.group(1) == first.group(1)


def test_a_kms_key_a_refusal_names_is_not_looked_up_as_a_secret() -> None:
    key = "arn:aws:kms:us-east-1:123456789012:key/1a2b3c4d-5e6f-7a8b-9c0d-1e2f3a4b5c6d"
    rendered = to_text(
        explain(
            "ResourceInitializationError: unable to pull secrets or registry auth: execution resource retrieval "
            f"failed: unable to retrieve secrets from ssm: AccessDeniedException: User: {ROLE} is not authorized "
            f"to perform: kms:Decrypt on resource: {key} because no identity-based policy allows the "
            "kms:Decrypt action"
        )
    )
    assert f"--name {key}" not in rendered
    assert f"--secret-id {key}" not in rendered
    assert "aws ssm get-parameter --name $SECRET" in rendered


def test_a_version_id_is_looked_for_among_every_version_labelled_or_not() -> None:
    secret = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:prod/db-Ab12Cd"
    fix = fix_of(
        "ResourceInitializationError: unable to pull secrets or registry auth: execution resource retrieval "
        f"failed: unable to retrieve secret from asm: failed to fetch secret {secret}::AWSCURRENT:7c6d-v9 from "
        "secrets manager: ResourceNotFoundException: Secrets Manager can't find the specified secret value "
        "for VersionId: 7c6d-v9"
    )
    assert "the version 7c6d-v9, which the reference asks for" in fix
    assert f"$ aws secretsmanager list-secret-version-ids --secret-id {secret} --include-deprecated" in fix


@pytest.mark.parametrize(
    ("suffix", "version"),
    [
        (":password::", ""),  # neither: ECS reads AWSCURRENT, as get-secret-value does by default
        (":password:AWSPREVIOUS:", " --version-stage AWSPREVIOUS"),
        (":password::7c6d-v9", " --version-id 7c6d-v9"),
        (":password:AWSPENDING:7c6d-v9", " --version-stage AWSPENDING --version-id 7c6d-v9"),
    ],
)
def test_the_json_key_is_looked_for_in_the_version_the_reference_asks_for(suffix: str, version: str) -> None:
    """ECS reads the JSON key from the version the valueFrom names (getASMParametersFromInput passes both
    VersionStage and VersionId to GetSecretValue): the check reads that same version, once."""
    secret = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:prod/db-Ab12Cd"
    fix = fix_of(
        "ResourceInitializationError: unable to pull secrets or registry auth: execution resource retrieval "
        f"failed: unable to retrieve secret from asm: failed to fetch secret {secret}{suffix} from secrets "
        "manager: ResourceNotFoundException: Secrets Manager can't find the specified secret."
    )
    reads = [line for line in fix.splitlines() if "get-secret-value" in line]
    assert reads == [
        f"     $ aws secretsmanager get-secret-value --secret-id {secret}{version} --query SecretString "
        "--output text --region eu-west-1 | jq --arg key password 'has($key)'"
    ]


def test_live_the_json_key_is_looked_for_in_the_version_the_task_definition_names() -> None:
    """A "did not contain json key" message names no secret: live, the task definition's valueFrom says
    which secret, and which version of it ECS read."""
    secret = "arn:aws:secretsmanager:eu-west-3:123456789012:secret:prod/db-Ab12Cd"
    read = {"secret": f"{secret}:SUPABASE_SECRET_KEY:AWSPREVIOUS:"}
    fix = to_text(diagnose(read_input(KEY_MISSING).observations, names_read=lambda _category: read))
    assert (
        f"$ aws secretsmanager get-secret-value --secret-id {secret} --version-stage AWSPREVIOUS --query "
        "SecretString --output text --region eu-west-3 | jq --arg key SUPABASE_SECRET_KEY 'has($key)'"
    ) in fix
    assert fix.count("get-secret-value") == 1


def _run_as_a_user_would(command: str, task_definition: dict[str, object]) -> str:
    """What the step's command prints for this task definition: its --query (the AWS CLI's JMESPath) on
    describe-task-definition's answer, piped into its jq filter."""
    aws, jq = command.removeprefix("$ ").split(" | ", 1)
    query = shlex.split(aws)[shlex.split(aws).index("--query") + 1]
    listed = jmespath.search(query, {"taskDefinition": task_definition})
    ran = subprocess.run(
        shlex.split(jq), input=json.dumps(listed), capture_output=True, text=True, check=True
    )
    return ran.stdout


def test_a_json_key_error_that_names_no_secret_says_how_to_find_it() -> None:
    """The agent's "did not contain json key K" names no secret: with no task definition read, the first step
    finds the secret whose valueFrom asks for K (its ARN without `:K:stage:id`, as describe-secret takes it),
    and every step that then needs it says to set $SECRET to it; none is handed a raw valueFrom."""
    lines = fix_of(KEY_MISSING).splitlines()
    assert lines[0].startswith(
        "  1. Find the secret that lacks the key SUPABASE_SECRET_KEY (the error does not"
    )
    assert "set $SECRET to it" in lines[0]
    steps = pairwise(lines)
    asks = [
        step for step, command in steps if re.match(r"  \d\. ", step) and re.search(r"\$SECRET\b", command)
    ]
    assert len(asks) == 2, "describe-secret and the JSON key's check act on the secret found"
    assert all("set $SECRET to the secret the container's secrets[].valueFrom names" in step for step in asks)
    assert all("without the :json-key:version-stage:version-id" in step for step in asks)
    secret = "arn:aws:secretsmanager:eu-west-3:123456789012:secret:prod/supabase-Ab12Cd"
    definition = {
        "containerDefinitions": [
            {"name": "web", "secrets": [{"name": "DB", "valueFrom": f"{secret}:DB_URL::"}]},
            {"name": "sidecar"},
            {
                "name": "api",
                "secrets": [
                    {"name": "P", "valueFrom": "/prod/api/SUPABASE_SECRET_KEY"},
                    {"name": "K", "valueFrom": f"{secret}:SUPABASE_SECRET_KEY:AWSPREVIOUS:"},
                ],
            },
        ]
    }
    assert _run_as_a_user_would(lines[1].strip(), definition) == secret + "\n"


def test_the_task_definition_a_stopped_task_names_is_the_one_to_search() -> None:
    task = {
        "taskArn": "arn:aws:ecs:eu-west-3:123456789012:task/prod/0123456789abcdef0123456789abcdef",
        "taskDefinitionArn": "arn:aws:ecs:eu-west-3:123456789012:task-definition/api:7",
        "lastStatus": "STOPPED",
        "stopCode": "TaskFailedToStart",
        "stoppedReason": KEY_MISSING,
    }
    fix = fix_of(json.dumps({"tasks": [task]}))
    assert "$ aws ecs describe-task-definition --task-definition api:7 --query " in fix
    assert "$TASK_DEF" not in fix


def test_a_json_key_error_that_names_its_secret_is_not_searched_for() -> None:
    secret = "arn:aws:secretsmanager:eu-west-3:123456789012:secret:prod/supabase-Ab12Cd"
    text = KEY_MISSING.replace("from asm: ", f"from asm: {secret}: ")
    fix = fix_of(text)
    assert "Find the secret" not in fix and "$SECRET" not in fix
    assert f"describe-secret --secret-id {secret} --region eu-west-3" in fix
