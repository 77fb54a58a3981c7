"""`ecs-why exec-check SERVICE`: is the service ready for ECS Exec, and the `aws ecs execute-command` line.

Registered on the CLI's typer app by `register(app)`; boto3 and the checks are imported when it runs.
Exit status 0 when no check fails (some may not have been checked: they say why), 1 when one fails,
2 on unusable input.
"""

from __future__ import annotations

import shutil
import sys
from typing import Annotated

import typer


def _fail(message: str) -> None:
    typer.echo(f"ecs-why: {message}", err=True)
    raise typer.Exit(2)


def exec_check(
    service: Annotated[str, typer.Argument(help="Service name, cluster/service or service ARN.")],
    cluster: Annotated[
        str | None, typer.Option(help="Cluster (default: search ECS_WHY_CLUSTERS or all).")
    ] = None,
    region: Annotated[str | None, typer.Option(help="AWS region.")] = None,
    profile: Annotated[str | None, typer.Option(help="AWS profile.")] = None,
    account: Annotated[str | None, typer.Option(help="Account alias from ECS_WHY_ACCOUNTS.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the report as JSON.")] = False,
) -> None:
    """Check ECS Exec's prerequisites on a service (like amazon-ecs-exec-checker): enableExecuteCommand on
    the service and its running tasks, the task role's ssmmessages permissions (simulated), the route or
    VPC endpoint to ssmmessages, the platform version, the managed agent, KMS and session logging; then
    print the `aws ecs execute-command` line to run.

    Exit status 0 when no check fails, 1 when one does, 2 on unusable input.
    """
    from botocore.exceptions import NoCredentialsError, NoRegionError

    from bot.aws_session import SessionError, region_known, regions_of, session_for
    from bot.settings import ConfigError, load_settings
    from bot.terminal import print_exec
    from diagnosis.collect.target import TargetError
    from diagnosis.exec_check import exec_check as run

    try:
        settings = load_settings()
    except ConfigError as exc:
        for line in exc.lines:
            typer.echo(f"ecs-why: {line}", err=True)
        raise typer.Exit(2) from None
    try:
        session = session_for(settings, account, region, profile)
        regions = [] if region else regions_of(settings, account)
        if not region_known(service, region, session, regions):
            _fail("no AWS region: pass --region, or set AWS_REGION (or a region in your AWS profile)")
        report = run(
            session,
            service,
            cluster=cluster,
            region=region,
            default_clusters=settings.clusters,
            regions=regions,
        )
    except (TargetError, SessionError) as exc:
        _fail(str(exc))
    except NoRegionError:
        _fail("no AWS region: pass --region or set AWS_REGION")
    except NoCredentialsError:
        _fail(
            "no AWS credentials: set AWS_PROFILE, or the AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY variables"
        )
    if as_json:
        sys.stdout.write(report.model_dump_json(indent=2) + "\n")
    else:
        print_exec(report, plugin=shutil.which("session-manager-plugin") is not None)
    raise typer.Exit(1 if report.failed else 0)


def register(app: typer.Typer) -> None:
    app.command("exec-check", short_help="Check ECS Exec's prerequisites on a service, print the exec line.")(
        exec_check
    )
