"""AWS sessions for a diagnosis or a change: the default credentials, a profile, or a role per account alias
(STS AssumeRole), with a session name that says who asked (CloudTrail shows it)."""

from __future__ import annotations

import re

import boto3
from botocore.exceptions import BotoCoreError, ClientError

from bot.settings import Settings


class SessionError(Exception):
    """No usable AWS session; the message says what to configure."""


def session_for(
    settings: Settings,
    account: str | None = None,
    region: str | None = None,
    profile: str | None = None,
    who: str = "ecs-why",
) -> boto3.Session:
    region = region or settings.aws_region
    try:
        base = boto3.Session(profile_name=profile or settings.aws_profile, region_name=region)
    except BotoCoreError as exc:
        raise SessionError(f"AWS profile: {exc}") from None
    if not account:
        return base
    config = next((a for a in settings.accounts if a.alias == account), None)
    if config is None:
        known = ", ".join(a.alias for a in settings.accounts) or "none configured (ECS_WHY_ACCOUNTS)"
        raise SessionError(f"unknown account {account!r}; known accounts: {known}")
    if not config.role_arn:
        return base
    sts = base.client("sts")
    try:
        if config.external_id:
            answer = sts.assume_role(
                RoleArn=config.role_arn, RoleSessionName=session_name(who), ExternalId=config.external_id
            )
        else:
            answer = sts.assume_role(RoleArn=config.role_arn, RoleSessionName=session_name(who))
        creds = answer["Credentials"]
    except (ClientError, BotoCoreError) as exc:
        raise SessionError(f"cannot assume {config.role_arn} for account {account}: {exc}") from None
    return boto3.Session(
        aws_access_key_id=creds["AccessKeyId"],
        aws_secret_access_key=creds["SecretAccessKey"],
        aws_session_token=creds["SessionToken"],
        region_name=region or (config.regions[0] if config.regions else None),
    )


def session_name(who: str) -> str:
    """STS session names allow [\\w+=,.@-], 2 to 64 characters."""
    cleaned = re.sub(r"[^\w+=,.@-]", "-", who)[:64]
    return cleaned if len(cleaned) >= 2 else "ecs-why"
