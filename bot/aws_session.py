"""AWS sessions for a diagnosis or a change: the default credentials, a profile, or a role per account alias
(STS AssumeRole), with a session name that says who asked (CloudTrail shows it).

Region, most specific first: `--region` (or the region of a pasted ARN), then the account's `regions`
(the first is its default; a bare service name is looked for in all of them), then `AWS_REGION`.

A change assumes, from the bot's own credentials: the account's `remediation_role_arn`, else its
`role_arn` (both with its `external_id`); for the hub (no `--account`, or an account without a role),
`ECS_WHY_REMEDIATION_ROLE_ARN` (no external ID). It passes an inline session policy that allows only that
change, and names the Slack user in the session name and the source identity.
"""

from __future__ import annotations

import json
import os
import re
import threading
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

import boto3
import botocore.session
from botocore.exceptions import BotoCoreError, ClientError
from botocore.loaders import create_loader
from botocore.utils import parse_timestamp

from bot.settings import AccountConfig, Settings

STS_NAME = re.compile(
    r"[^\w+=,.@-]", re.ASCII
)  # what RoleSessionName and SourceIdentity may hold, 2 to 64 of them


NO_REGION = "no AWS region: pass --region, or set AWS_REGION (or a region in your AWS profile)"


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
    region = pick_region(settings, config, region)
    base = _base(settings, profile, region)
    if config is None or not config.role_arn:
        return base
    return assume(base, config.role_arn, who, config.external_id, region)


def remediation_session_for(
    settings: Settings,
    user: str,
    account: str | None,
    region: str | None,
    policy: dict[str, Any] | None = None,
) -> boto3.Session:
    """Credentials for one confirmed change (or the reads that plan and follow it), as the clicking Slack
    user: the remediation role of the account, assumed with `policy` as its inline session policy, the
    session name and source identity `slack-USER`. With no role to assume, the bot's own credentials, which
    no session policy can narrow (docs/iam.md says so)."""
    config = account_config(settings, account)
    role, external_id = remediation_role(settings, config)
    region = pick_region(settings, config, region)
    base = _base(settings, None, region)
    if not role:
        return base
    who = f"slack-{user}"
    return assume(base, role, who, external_id, region, policy=policy, source_identity=who)


def remediation_role(settings: Settings, config: AccountConfig | None) -> tuple[str | None, str | None]:
    """(role ARN, external ID) a change assumes: an ECS service is changed from its own account, so an
    account's own roles come first and the hub's ECS_WHY_REMEDIATION_ROLE_ARN serves only the hub."""
    if config is not None and (config.remediation_role_arn or config.role_arn):
        return config.remediation_role_arn or config.role_arn, config.external_id
    return settings.remediation_role_arn, None


def pick_region(settings: Settings, config: AccountConfig | None, region: str | None) -> str | None:
    return region or (config.regions[0] if config and config.regions else None) or settings.aws_region


def regions_of(settings: Settings, account: str | None) -> list[str]:
    """Where a bare service name is looked for: the account's regions, else AWS_REGION."""
    config = account_config(settings, account)
    if config and config.regions:
        return list(dict.fromkeys(config.regions))
    return [settings.aws_region] if settings.aws_region else []


def account_config(settings: Settings, account: str | None) -> AccountConfig | None:
    if not account:
        return None
    config = next((a for a in settings.accounts if a.alias == account), None)
    if config is None:
        known = ", ".join(a.alias for a in settings.accounts) or "none configured (ECS_WHY_ACCOUNTS)"
        raise SessionError(f"unknown account {account!r}; known accounts: {known}")
    return config


def assume(
    base: boto3.Session,
    role_arn: str,
    who: str,
    external_id: str | None,
    region: str | None,
    policy: dict[str, Any] | None = None,
    source_identity: str | None = None,
) -> boto3.Session:
    """STS AssumeRole; `policy` narrows the session to less than the role allows, never more."""
    params: dict[str, Any] = {"RoleArn": role_arn, "RoleSessionName": session_name(who)}
    if external_id:
        params["ExternalId"] = external_id
    if policy is not None:
        params["Policy"] = json.dumps(policy, separators=(",", ":"))
    if source_identity:
        params["SourceIdentity"] = session_name(source_identity)
    try:
        answer = base.client("sts").assume_role(**params)
    except (ClientError, BotoCoreError) as exc:
        raise SessionError(f"cannot assume {role_arn}: {exc}") from None
    creds = answer["Credentials"]
    return new_session(
        aws_access_key_id=creds["AccessKeyId"],
        aws_secret_access_key=creds["SecretAccessKey"],
        aws_session_token=creds["SessionToken"],
        region_name=region or base.region_name,
    )


def _base(settings: Settings, profile: str | None, region: str | None) -> boto3.Session:
    name = profile or settings.aws_profile
    try:
        session = new_session(profile_name=name, region_name=region)
    except BotoCoreError as exc:
        raise SessionError(f"AWS profile: {exc}") from None
    if name and name not in session.available_profiles:  # else a traceback at the first AWS call
        known = ", ".join(session.available_profiles) or "none"
        raise SessionError(
            f"no AWS profile {name!r} (known: {known}): pass --profile NAME or fix AWS_PROFILE"
        )
    return session


_LOADER = create_loader(os.environ.get("AWS_DATA_PATH"))
_LOADER_LOCK = threading.Lock()


def utc_timestamp(value: Any) -> datetime:
    """An AWS timestamp as a datetime in UTC. botocore's default parser puts every epoch timestamp in the
    local time zone through dateutil's tzlocal, which is about 40% of parsing a page of 100 stopped tasks
    (describe-tasks holds a dozen timestamps a task); the instant is the same. What is not an epoch number
    (an ISO or RFC 822 string, or out of the platform's range) goes to botocore's own parser."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        try:
            return datetime.fromtimestamp(value, UTC)
        except (OverflowError, OSError, ValueError):
            pass
    parsed: datetime = parse_timestamp(value)
    return parsed


def new_session(**kwargs: Any) -> boto3.Session:
    """A boto3 session sharing this process's model loader: each AWS service's model is read once per
    process and kept, instead of once per session. A session per diagnosis (its own credentials) reloaded
    every model and left the process larger after each one; now it stays flat (bench/ack_latency.py).
    Its responses' timestamps are parsed as UTC (`utc_timestamp`), as the AWS CLI sets its own parser."""
    core = botocore.session.get_session()
    core.register_component("data_loader", _LOADER)
    core.get_component("response_parser_factory").set_parser_defaults(timestamp_parser=utc_timestamp)
    with _LOADER_LOCK:
        session = boto3.Session(botocore_session=core, **kwargs)
        paths = _LOADER.search_paths  # boto3 appends its data directory once per session: keep one
        paths[:] = list(dict.fromkeys(paths))
    return session


def session_name(who: str) -> str:
    """STS session names and source identities allow [\\w+=,.@-], 2 to 64 characters (\\w in ASCII)."""
    cleaned = STS_NAME.sub("-", who)[:64]
    return cleaned if len(cleaned) >= 2 else "ecs-why"


def region_known(
    target: str, region: str | None, session: boto3.Session, regions: Sequence[str] = ()
) -> bool:
    """Whether there is a region to look in: --region, the target's own ARN, the account's regions or the
    session's (else the AWS client would quietly pick one)."""
    from diagnosis.collect.target import parse_target

    return bool(region or session.region_name or regions or parse_target(target).region)
