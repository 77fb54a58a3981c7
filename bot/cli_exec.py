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

from bot.cli_start import needs_values


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
    from bot.checker import run_exec_check
    from bot.cli_aws import aws_errors, load, terminal_diagnoser
    from bot.inquiry import Asked
    from bot.terminal import print_exec
    from diagnosis.contract import to_json

    needs_values(cluster=cluster, region=region, profile=profile, account=account)
    diagnoser = terminal_diagnoser(load(), profile)  # the same reach as `/ecs-why exec-check`
    with aws_errors():
        report = run_exec_check(diagnoser, Asked(service, cluster, region, account))
    if as_json:
        sys.stdout.write(to_json(report, indent=2) + "\n")
    else:
        print_exec(report, plugin=shutil.which("session-manager-plugin") is not None)
    raise typer.Exit(1 if report.failed else 0)


def register(app: typer.Typer) -> None:
    app.command("exec-check", short_help="Check ECS Exec's prerequisites on a service, print the exec line.")(
        exec_check
    )
