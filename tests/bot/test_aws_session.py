"""Sessions per account: which role is assumed, with which external ID, session name, source identity and
session policy (botocore Stubber on the STS client, so the exact AssumeRole request is asserted), and which
region wins (`--region`, then the account's `regions`, then AWS_REGION)."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from datetime import UTC, timedelta
from typing import Any

import boto3
import pytest
from botocore.stub import Stubber
from botocore.utils import parse_timestamp
from moto import mock_aws

from bot import aws_session
from bot.aws_session import (
    SessionError,
    regions_of,
    remediation_session_for,
    session_for,
    session_name,
)
from bot.settings import AccountConfig, Settings

READ = "arn:aws:iam::210987654321:role/ecs-why-read"
FIX = "arn:aws:iam::210987654321:role/ecs-why-remediation"
HUB_FIX = "arn:aws:iam::123456789012:role/ecs-why-remediation"
POLICY = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Action": ["ecs:UpdateService"], "Resource": "x"}],
}
ANSWER = {
    "Credentials": {
        "AccessKeyId": "ASIAEXAMPLEEXAMPLE01",
        "SecretAccessKey": "secret-secret-secret-secret-secret-secret",
        "SessionToken": "token",
        "Expiration": "2030-01-01T00:00:00Z",
    },
    "AssumedRoleUser": {
        "AssumedRoleId": "AROAEXAMPLE:x",
        "Arn": "arn:aws:sts::210987654321:assumed-role/r/x",
    },
}


def settings(**kwargs: Any) -> Settings:
    values: dict[str, Any] = {
        "aws_region": "us-east-1",
        "accounts": [
            AccountConfig(
                alias="payments", role_arn=READ, regions=["eu-west-1", "us-east-1"], external_id="x-pay"
            ),
            AccountConfig(alias="payments-fix", role_arn=READ, remediation_role_arn=FIX, external_id="x-pay"),
            AccountConfig(alias="hub-eu", regions=["eu-central-1"]),
        ],
    }
    return Settings(**{**values, **kwargs})


@pytest.fixture
def sts(monkeypatch: pytest.MonkeyPatch) -> Iterator[Stubber]:
    """Every session the module makes hands out one stubbed STS client; unexpected calls fail."""
    for name in ("AWS_PROFILE", "AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_STS"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    client = boto3.Session(region_name="us-east-1").client("sts")
    stubber = Stubber(client)
    real_base = aws_session._base

    def base(settings: Settings, profile: str | None, region: str | None) -> boto3.Session:
        session = real_base(settings, profile, region)
        session.client = lambda *a, **k: client  # type: ignore[method-assign]
        return session

    monkeypatch.setattr(aws_session, "_base", base)
    with stubber:
        yield stubber
    stubber.assert_no_pending_responses()


def expect(sts: Stubber, **params: Any) -> None:
    sts.add_response("assume_role", ANSWER, params)


def test_no_account_uses_the_bot_s_own_credentials_in_aws_region(sts: Stubber) -> None:
    session = session_for(settings())
    assert session.region_name == "us-east-1"
    assert session.get_credentials().access_key == "testing"


def test_an_account_role_is_assumed_with_its_external_id_as_ecs_why(sts: Stubber) -> None:
    expect(sts, RoleArn=READ, RoleSessionName="ecs-why", ExternalId="x-pay")
    session = session_for(settings(), "payments")
    assert session.get_credentials().access_key == "ASIAEXAMPLEEXAMPLE01"


def test_an_account_without_external_id_sends_none(sts: Stubber) -> None:
    accounts = [AccountConfig(alias="search", role_arn=READ)]
    expect(sts, RoleArn=READ, RoleSessionName="ecs-why")
    session_for(settings(accounts=accounts), "search")


@pytest.mark.parametrize(
    ("account", "region", "expected"),
    [
        (None, None, "us-east-1"),  # AWS_REGION
        (None, "ap-south-1", "ap-south-1"),  # --region
        ("hub-eu", None, "eu-central-1"),  # the account's first region beats AWS_REGION
        ("hub-eu", "ap-south-1", "ap-south-1"),  # --region beats both
    ],
)
def test_region_precedence(sts: Stubber, account: str | None, region: str | None, expected: str) -> None:
    assert session_for(settings(), account, region).region_name == expected


def test_the_account_s_first_region_is_the_assumed_session_s_region(sts: Stubber) -> None:
    expect(sts, RoleArn=READ, RoleSessionName="ecs-why", ExternalId="x-pay")
    assert session_for(settings(), "payments").region_name == "eu-west-1"


def test_a_bare_name_is_looked_for_in_every_region_of_the_account() -> None:
    assert regions_of(settings(), "payments") == ["eu-west-1", "us-east-1"]
    assert regions_of(settings(), None) == ["us-east-1"]
    assert regions_of(settings(aws_region=None), None) == []


def test_an_unknown_account_names_the_known_ones() -> None:
    with pytest.raises(SessionError, match="unknown account 'nope'; known accounts: payments, payments-fix"):
        session_for(settings(), "nope")


def test_a_refused_assume_role_is_a_session_error(sts: Stubber) -> None:
    sts.add_client_error("assume_role", "AccessDenied", "not authorized to perform: sts:AssumeRole")
    with pytest.raises(SessionError, match=f"cannot assume {READ}: .*AccessDenied"):
        session_for(settings(), "payments")


# ---------------------------------------------------------------- remediation: one change, one user


def fix_params(role: str, external_id: str | None = None, user: str = "U012AB3CD") -> dict[str, Any]:
    params = {
        "RoleArn": role,
        "RoleSessionName": f"slack-{user}",
        "Policy": json.dumps(POLICY, separators=(",", ":")),
        "SourceIdentity": f"slack-{user}",
    }
    return params | ({"ExternalId": external_id} if external_id else {})


def test_a_change_assumes_the_account_s_remediation_role_scoped_and_named_after_the_user(
    sts: Stubber,
) -> None:
    expect(sts, **fix_params(FIX, "x-pay"))
    session = remediation_session_for(settings(), "U012AB3CD", "payments-fix", None, POLICY)
    assert session.get_credentials().token == "token"


def test_an_account_without_a_remediation_role_changes_with_its_read_role(sts: Stubber) -> None:
    expect(sts, **fix_params(READ, "x-pay"))
    session = remediation_session_for(
        settings(remediation_role_arn=HUB_FIX), "U012AB3CD", "payments", None, POLICY
    )
    assert session.region_name == "eu-west-1"


def test_the_hub_s_remediation_role_serves_the_hub_without_external_id(sts: Stubber) -> None:
    expect(sts, **fix_params(HUB_FIX))
    remediation_session_for(settings(remediation_role_arn=HUB_FIX), "U012AB3CD", None, None, POLICY)
    expect(sts, **fix_params(HUB_FIX))
    session = remediation_session_for(
        settings(remediation_role_arn=HUB_FIX), "U012AB3CD", "hub-eu", None, POLICY
    )
    assert session.region_name == "eu-central-1"


def test_without_any_role_the_change_uses_the_bot_s_credentials(sts: Stubber) -> None:
    session = remediation_session_for(settings(), "U012AB3CD", None, "us-west-2", POLICY)  # no STS call
    assert session.region_name == "us-west-2" and session.get_credentials().access_key == "testing"


def test_a_slack_user_id_becomes_a_valid_sts_name(sts: Stubber) -> None:
    expect(sts, **fix_params(HUB_FIX, user="W0------x-"))
    remediation_session_for(settings(remediation_role_arn=HUB_FIX), "W0/ü é;<x>", None, None, POLICY)


@pytest.mark.parametrize(
    ("who", "expected"),
    [
        ("slack-U012AB3CD", "slack-U012AB3CD"),
        ("slack-Zoë O'Brien", "slack-Zo--O-Brien"),
        ("x", "ecs-why"),
        ("slack-" + "U" * 80, "slack-" + "U" * 58),
        ("a+b=c,d.e@f-g_h", "a+b=c,d.e@f-g_h"),
    ],
)
def test_session_names_keep_to_sts_characters_and_lengths(who: str, expected: str) -> None:
    name = session_name(who)
    assert name == expected
    assert 2 <= len(name) <= 64 and name.isascii()


def test_moto_sts_accepts_the_request_and_names_the_user(monkeypatch: pytest.MonkeyPatch) -> None:
    """The same request against moto's STS: the caller is the assumed role's session `slack-USER`."""
    for name in ("AWS_PROFILE", "AWS_ENDPOINT_URL"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    with mock_aws():
        iam = boto3.client("iam", region_name="us-east-1")
        trust = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"AWS": "*"},
                 "Action": ["sts:AssumeRole", "sts:SetSourceIdentity"]}]}  # fmt: skip
        role = iam.create_role(RoleName="ecs-why-remediation", AssumeRolePolicyDocument=json.dumps(trust))
        arn = role["Role"]["Arn"]
        session = remediation_session_for(settings(remediation_role_arn=arn), "U012AB3CD", None, None, POLICY)
        caller = session.client("sts").get_caller_identity()["Arn"]
    assert caller.endswith(":assumed-role/ecs-why-remediation/slack-U012AB3CD")


def test_sessions_share_one_model_loader_and_keep_their_own_credentials(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A session per diagnosis must not read every AWS model again (the diagnosis processes grew by each)."""
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    first = session_for(settings(), region="eu-west-1")
    first.client("ecs")
    loader = first._session.get_component("data_loader")
    paths = list(loader.search_paths)
    later = [
        aws_session.new_session(aws_access_key_id=f"AKIA{i}", aws_secret_access_key="s") for i in range(20)
    ]
    assert all(s._session.get_component("data_loader") is loader for s in later)
    assert loader.search_paths == paths, "boto3's data directory is listed once, not once per session"
    model = loader.load_service_model("ecs", "service-2")
    assert later[-1]._session.get_component("data_loader").load_service_model("ecs", "service-2") is model
    assert later[3].get_credentials().access_key == "AKIA3" and first.region_name == "eu-west-1"


@pytest.mark.parametrize(
    "value",
    [
        1_700_000_000,
        1_700_000_000.125,
        "1700000000.5",
        "2023-11-14T22:13:20.125Z",
        "Tue, 14 Nov 2023 22:13:20 GMT",
    ],
)
def test_a_timestamp_is_the_instant_botocore_reads_in_utc(value: object) -> None:
    parsed = aws_session.utc_timestamp(value)
    assert parsed == parse_timestamp(value), "the same instant as botocore's own parser"
    assert parsed.utcoffset() == timedelta(0)


def test_a_timestamp_out_of_the_platform_s_range_falls_back_to_botocore_s_own_errors() -> None:
    with pytest.raises(RuntimeError, match="Unable to calculate"):
        aws_session.utc_timestamp(10.0**20)


def test_a_session_s_clients_read_aws_timestamps_in_utc(monkeypatch: pytest.MonkeyPatch) -> None:
    """What a diagnosis reads: the JSON APIs' epoch timestamps (describe-tasks, describe-secret), as UTC
    datetimes whatever the local time zone."""
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("TZ", "America/New_York")
    time.tzset()
    try:
        with mock_aws():
            secrets = session_for(settings(), region="eu-west-1").client("secretsmanager")
            secrets.create_secret(Name="db", SecretString="x")
            created = secrets.describe_secret(SecretId="db")["CreatedDate"]
    finally:
        monkeypatch.delenv("TZ")
        time.tzset()
    assert created.tzinfo is UTC
