"""AWS sessions for a diagnosis or a change: the default credentials, a profile, or a role per account alias
(STS AssumeRole), with a session name that says who asked (CloudTrail shows it)."""

from __future__ import annotations

import re

import boto3
from botocore.exceptions import BotoCoreError, ClientError

from bot.settings import AccountConfig, Settings


class SessionError(Exception):
    """No usable AWS session; the message says what to configure."""


def session_for(
    settings: Settings,
    account: str | None = None,
    region: str | None = None,
    profile: str | None = None,
    who: str = "ecs-why",
) -> boto3.Session:
    """Read access: the bot's own credentials, or the account alias's role."""
    config = account_config(settings, account)
    region = region or (config.regions[0] if config and config.regions else None) or settings.aws_region
    base = _base(settings, profile, region)
    if config is None or not config.role_arn:
        return base
    return assume(base, config.role_arn, who, config.external_id, region)


def remediation_session_for(
    settings: Settings, user: str, account: str | None, region: str | None
) -> boto3.Session:
    """Write access for one confirmed change, as the clicking Slack user: the account's remediation role
    (or ECS_WHY_REMEDIATION_ROLE_ARN) assumed with a session named `slack-USER`, so CloudTrail names them.
    With no remediation role, the read session is used (its session is named after the user too, when it
    assumes a role)."""
    config = account_config(settings, account)
    role = (config.remediation_role_arn if config else None) or settings.remediation_role_arn
    who = f"slack-{user}"
    if not role:
        return session_for(settings, account, region, who=who)
    region = region or (config.regions[0] if config and config.regions else None) or settings.aws_region
    return assume(_base(settings, None, region), role, who, config.external_id if config else None, region)


def account_config(settings: Settings, account: str | None) -> AccountConfig | None:
    if not account:
        return None
    config = next((a for a in settings.accounts if a.alias == account), None)
    if config is None:
        known = ", ".join(a.alias for a in settings.accounts) or "none configured (ECS_WHY_ACCOUNTS)"
        raise SessionError(f"unknown account {account!r}; known accounts: {known}")
    return config


def assume(
    base: boto3.Session, role_arn: str, who: str, external_id: str | None, region: str | None
) -> boto3.Session:
    sts = base.client("sts")
    try:
        if external_id:
            answer = sts.assume_role(
                RoleArn=role_arn, RoleSessionName=session_name(who), ExternalId=external_id
            )
        else:
            answer = sts.assume_role(RoleArn=role_arn, RoleSessionName=session_name(who))
    except (ClientError, BotoCoreError) as exc:
        raise SessionError(f"cannot assume {role_arn}: {exc}") from None
    creds = answer["Credentials"]
    return boto3.Session(
        aws_access_key_id=creds["AccessKeyId"],
        aws_secret_access_key=creds["SecretAccessKey"],
        aws_session_token=creds["SessionToken"],
        region_name=region or base.region_name,
    )


def _base(settings: Settings, profile: str | None, region: str | None) -> boto3.Session:
    try:
        return boto3.Session(profile_name=profile or settings.aws_profile, region_name=region)
    except BotoCoreError as exc:
        raise SessionError(f"AWS profile: {exc}") from None


def session_name(who: str) -> str:
    """STS session names allow [\\w+=,.@-], 2 to 64 characters."""
    cleaned = re.sub(r"[^\w+=,.@-]", "-", who)[:64]
    return cleaned if len(cleaned) >= 2 else "ecs-why"
