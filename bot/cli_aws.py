"""What the terminal's commands share: the settings (`load`) and the one-line failure (`fail`); and, for the
AWS ones (`diagnose`, `check SERVICE`, `exec-check`), the session and the regions to look in, and every way
of not getting there said in one line with exit 2 (no region, no credentials, a target or account that does
not work)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, NoReturn, TypeVar

import typer

if TYPE_CHECKING:
    import boto3

    from bot.settings import Settings

Result = TypeVar("Result")
NO_CREDENTIALS = (
    "no AWS credentials: set AWS_PROFILE, or the AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY variables"
)


def fail(message: str, code: int = 2) -> NoReturn:
    """One line on standard error, then exit: what went wrong and what to do instead."""
    typer.echo(f"ecs-why: {message}", err=True)
    raise typer.Exit(code)


def load(check: Callable[[Settings], None] | None = None) -> Settings:
    """The settings, or one line per problem on standard error and exit 2 (also for what `check` refuses)."""
    from bot.settings import ConfigError, load_settings

    try:
        settings = load_settings()
        if check is not None:
            check(settings)
        return settings
    except ConfigError as exc:
        for line in exc.lines:
            typer.echo(f"ecs-why: {line}", err=True)
        raise typer.Exit(2) from None


@contextmanager
def aws_errors(*also: type[Exception]) -> Iterator[None]:
    """What the user can mend (the target, the account, the region, the credentials, and `also`) becomes
    one line and exit 2."""
    from botocore.exceptions import NoCredentialsError, NoRegionError

    from bot.aws_session import SessionError
    from diagnosis.collect.target import TargetError

    mendable: tuple[type[Exception], ...] = (TargetError, SessionError, *also)
    try:
        yield
    except mendable as exc:
        fail(str(exc))
    except NoRegionError:
        fail("no AWS region: pass --region or set AWS_REGION")
    except NoCredentialsError:
        fail(NO_CREDENTIALS)


def on_aws(
    target: str,
    region: str | None,
    profile: str | None,
    account: str | None,
    run: Callable[[boto3.Session, Settings, list[str]], Result],
) -> Result:
    """`run(session, settings, regions)`: `regions` are where a bare name is looked for (none with --region)."""
    from bot.aws_session import NO_REGION, region_known, regions_of, session_for

    settings = load()
    with aws_errors():
        session = session_for(settings, account, region, profile)
        regions = [] if region else regions_of(settings, account)
        if not region_known(target, region, session, regions):
            fail(NO_REGION)
        return run(session, settings, regions)
