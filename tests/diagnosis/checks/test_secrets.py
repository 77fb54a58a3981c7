"""secrets: which secret, whether it exists, which role, which network path, which KMS key."""

from __future__ import annotations

import pytest

from diagnosis.checks.secrets import check_secret_access, customer_managed
from tests.builders.secrets_evidence import PARAM, ROLE, SECRET, evidence


@pytest.mark.parametrize(
    ("key", "expected"),
    [
        (None, False),
        ("alias/aws/ssm", False),
        ("arn:aws:kms:ca-central-1:121212121212:alias/aws/secretsmanager", False),
        ("arn:aws:kms:ca-central-1:121212121212:key/1a2b3c4d-0000-1111-2222-333344445555", True),
        ("alias/payroll", True),
    ],
)
def test_customer_managed(key: str | None, expected: bool) -> None:
    assert customer_managed(key) is expected


def test_states_role_kms_and_path() -> None:
    key = "arn:aws:kms:ca-central-1:121212121212:key/1a2b3c4d-0000-1111-2222-333344445555"
    ev = evidence(
        {SECRET: "exists", PARAM: "exists"},
        {SECRET: {"KmsKeyId": key}, PARAM: {"KeyId": "alias/aws/ssm"}},
        subnets=[{"SubnetId": "subnet-0p", "VpcId": "vpc-9"}],
        route_tables=[
            {
                "VpcId": "vpc-9",
                "Associations": [{"SubnetId": "subnet-0p"}],
                "Routes": [{"DestinationCidrBlock": "0.0.0.0/0", "NatGatewayId": "nat-0abc"}],
            }
        ],
        network_read=True,
        endpoints=[],
        kms_keys={key: {"Arn": key, "KeyManager": "CUSTOMER", "KeyState": "Enabled"}},
    )
    [result] = check_secret_access(ev, "secrets_retrieval")
    assert result.outcome == "inconclusive"
    assert f"the execution role {ROLE} fetches them" in result.detail
    assert (
        f"the secret {SECRET} exists, encrypted with the customer-managed KMS key {key}: the execution role "
        f"{ROLE} needs kms:Decrypt on it" in result.detail
    )
    assert f"the parameter {PARAM} exists, encrypted with the AWS managed key" in result.detail
    assert "subnet-0p reaches secretsmanager through the NAT gateway nat-0abc" in result.detail
    assert result.names["role_name"] == "payroll-exec"


def test_missing_secret_and_endpoint_path() -> None:
    ev = evidence(
        {SECRET: "ResourceNotFoundException", PARAM: "exists"},
        {},
        subnets=[{"SubnetId": "subnet-0q", "VpcId": "vpc-9"}],
        network_read=True,
        endpoints=[{"ServiceName": "com.amazonaws.ca-central-1.secretsmanager", "PrivateDnsEnabled": True}],
    )
    [result] = check_secret_access(ev, "secrets_retrieval")
    assert SECRET not in result.detail  # secret_exists states the missing one, once
    assert f"the parameter {PARAM} exists" in result.detail
    assert "subnet-0q reaches secretsmanager through its VPC endpoint" in result.detail


def test_scheduled_for_deletion_cannot_be_read() -> None:
    ev = evidence({SECRET: "exists", PARAM: "exists"}, {SECRET: {"DeletedDate": "2026-11-30T08:00:00Z"}})
    [result] = check_secret_access(ev, "secrets_retrieval")
    assert result.outcome == "confirms"
    assert "is scheduled for deletion (2026-11-30T08:00:00Z)" in result.detail


def test_no_execution_role() -> None:
    [result] = check_secret_access(evidence({}, {}, role=""), "secrets_retrieval")
    assert result.outcome == "confirms"
    assert "has no execution role" in result.detail


ALIAS = "alias/payroll-secrets"
KEY_ARN = "arn:aws:kms:ca-central-1:121212121212:key/9e8d7c6b-5a49-3827-1605-f4e3d2c1b0a9"


def test_describe_key_decides_who_manages_the_key() -> None:
    """The key's name does not say who manages it: kms:DescribeKey does (KeyManager)."""
    details = {SECRET: {"KmsKeyId": ALIAS}, PARAM: {"KeyId": KEY_ARN}}
    read = {
        ALIAS: {"Arn": KEY_ARN.replace("9e8d", "1111"), "KeyManager": "CUSTOMER", "KeyState": "Enabled"},
        KEY_ARN: {"Arn": KEY_ARN, "KeyManager": "AWS", "KeyState": "Enabled"},
    }
    [result] = check_secret_access(
        evidence({SECRET: "exists", PARAM: "exists"}, details, kms_keys=read), "secrets_retrieval"
    )
    customer = read[ALIAS]["Arn"]
    assert (
        f"the secret {SECRET} exists, encrypted with the customer-managed KMS key {ALIAS} ({customer})"
        in (result.detail)
    )
    assert f"the parameter {PARAM} exists, encrypted with the AWS managed key" in result.detail


@pytest.mark.parametrize(
    ("state", "phrase"), [("Disabled", "is Disabled"), ("PendingDeletion", "is PendingDeletion")]
)
def test_a_key_that_cannot_decrypt_confirms(state: str, phrase: str) -> None:
    read = {ALIAS: {"Arn": KEY_ARN, "KeyManager": "CUSTOMER", "KeyState": state}}
    ev = evidence({SECRET: "exists", PARAM: "exists"}, {SECRET: {"KmsKeyId": ALIAS}}, kms_keys=read)
    [result] = check_secret_access(ev, "secrets_retrieval")
    assert result.outcome == "confirms"
    assert f"the KMS key {ALIAS} ({KEY_ARN}) that encrypts the secret {SECRET} {phrase}" in result.detail


def test_a_key_that_does_not_exist_confirms_and_an_unread_one_is_said() -> None:
    details = {SECRET: {"KmsKeyId": ALIAS}}
    [gone] = check_secret_access(
        evidence({SECRET: "exists", PARAM: "exists"}, details, kms_keys={ALIAS: "NotFoundException"}),
        "secrets_retrieval",
    )
    assert (
        gone.outcome == "confirms"
        and f"the KMS key {ALIAS} that encrypts the secret {SECRET} does not exist" in (gone.detail)
    )
    [unread] = check_secret_access(
        evidence({SECRET: "exists", PARAM: "exists"}, details, kms_keys={ALIAS: "AccessDeniedException"}),
        "secrets_retrieval",
    )
    assert unread.outcome == "inconclusive"
    assert f"encrypted with the KMS key {ALIAS} (not described: AccessDeniedException)" in unread.detail
