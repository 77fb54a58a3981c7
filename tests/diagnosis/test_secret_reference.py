"""The parts of a secrets[].valueFrom: the forms the ECS developer guide lists (specifying-sensitive-data,
secrets-envvar-secrets-manager, secrets-envvar-ssm-paramstore)."""

from __future__ import annotations

import boto3
import pytest

from diagnosis.secret_reference import parse_reference, partition_of

SECRET = "arn:aws:secretsmanager:us-west-2:111122223333:secret:prod/db-AbCdEf"


@pytest.mark.parametrize(
    ("reference", "key", "stage", "version"),
    [
        (SECRET, "", "", ""),
        (SECRET + ":password::", "password", "", ""),
        (SECRET + ":password", "password", "", ""),  # a stopped reason cuts the trailing "::"
        (SECRET + "::AWSPREVIOUS:", "", "AWSPREVIOUS", ""),
        (
            SECRET + ":password::9e4b2a1c-0000-4d3e-8f00-1a2b3c4d5e6f",
            "password",
            "",
            "9e4b2a1c-0000-4d3e-8f00-1a2b3c4d5e6f",
        ),
    ],
)
def test_a_secrets_manager_reference_is_the_secret_and_what_it_asks_of_it(
    reference: str, key: str, stage: str, version: str
) -> None:
    ref = parse_reference(reference)
    assert (ref.store, ref.secret_id, ref.arn()) == ("secretsmanager", SECRET, SECRET)
    assert (ref.json_key, ref.version_stage, ref.version_id) == (key, stage, version)
    assert (ref.region, ref.account) == ("us-west-2", "111122223333")


def test_an_ssm_parameter_by_name_or_by_arn() -> None:
    by_name = parse_reference("/prod/db-password")
    assert (by_name.store, by_name.secret_id, by_name.parameter_name) == (
        "ssm",
        "/prod/db-password",
        "/prod/db-password",
    )
    assert by_name.arn() == "", "a name alone does not say its region and account"
    assert (
        by_name.arn("eu-west-3", "123456789012")
        == "arn:aws:ssm:eu-west-3:123456789012:parameter/prod/db-password"
    )
    by_arn = parse_reference("arn:aws:ssm:eu-west-3:123456789012:parameter/prod/db-password")
    assert (by_arn.parameter_name, by_arn.region, by_arn.account) == (
        "/prod/db-password",
        "eu-west-3",
        "123456789012",
    )
    assert by_arn.arn("us-east-1", "999999999999") == by_arn.secret_id


@pytest.mark.parametrize(
    ("region", "arn"),
    [
        ("eu-west-3", "arn:aws:ssm:eu-west-3:123456789012:parameter/prod/db"),
        ("cn-north-1", "arn:aws-cn:ssm:cn-north-1:123456789012:parameter/prod/db"),
        ("us-gov-west-1", "arn:aws-us-gov:ssm:us-gov-west-1:123456789012:parameter/prod/db"),
    ],
)
def test_a_parameter_named_without_its_arn_is_in_its_regions_partition(region: str, arn: str) -> None:
    assert parse_reference("/prod/db").arn(region, "123456789012") == arn


def test_every_region_botocore_knows_is_in_the_partition_botocore_says() -> None:
    session = boto3.session.Session()
    regions = [
        region
        for partition in session.get_available_partitions()
        for region in session.get_available_regions("ssm", partition_name=partition)
    ]
    assert len(regions) > 30
    assert {r: partition_of(r) for r in regions} == {r: session.get_partition_for_region(r) for r in regions}


def test_an_environment_file_is_an_s3_object() -> None:
    ref = parse_reference("arn:aws:s3:::my-config-bucket/prod.env")
    assert (ref.store, ref.secret_id) == ("s3", "arn:aws:s3:::my-config-bucket/prod.env")
