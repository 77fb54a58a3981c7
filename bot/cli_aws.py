"""What the terminal's commands share: the settings (`load`; the one-line failure `fail` is bot/cli_start.py's);
and, for the AWS ones (`diagnose`, `check SERVICE`, `exec-check`), the Diagnoser they run through (the same `reach` as
Slack's: account, session, region) and every way of not getting there said in one line with exit 2
(`aws_errors`: no region, no credentials, a target, account or region that does not work)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

import typer

from bot.cli_start import fail

if TYPE_CHECKING:
    from bot.diagnoser import Diagnoser
    from bot.settings import Settings
    from bot.store import Store

NO_CREDENTIALS = (
    "no AWS credentials: set AWS_PROFILE, or the AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY variables"
)


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


def terminal_diagnoser(settings: Settings, profile: str | None, store: Store | None = None) -> Diagnoser:
    """The Diagnoser the AWS commands run through, as Slack's does (its `reach` resolves the account, the
    session and the region, and says what is wrong), with the terminal's --profile and no metrics."""
    from bot.aws_session import session_for
    from bot.diagnoser import Diagnoser

    return Diagnoser(
        settings,
        sessions=lambda account, region: session_for(settings, account, region, profile),
        store=store,
        metered=False,
    )
