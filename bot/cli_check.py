"""`ecs-why check`: catch the stop before it happens, in a terminal or CI (text, JSON, SARIF).

Registered on the CLI's typer app by `register(app)`; the engine is imported when the command runs, so
the other commands' start-up does not pay for it.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Sequence
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from bot.cli_aws import load
from bot.cli_start import InputHelp, fail, needs_values, read_input_file

if TYPE_CHECKING:
    from diagnosis.prevent.model import CheckReport
    from diagnosis.prevent.rules.base import Rule


class CheckFormat(StrEnum):
    text = "text"
    json = "json"
    sarif = "sarif"


class FailOn(StrEnum):
    error = "error"
    warning = "warning"


FILE_SUFFIXES = (".json", ".yaml", ".yml", ".template", ".tfplan")


def check(
    targets: Annotated[
        list[str],
        typer.Argument(
            help="Files to check (a task definition, describe-task-definition output, a CloudFormation "
            "template, `terraform show -json` output; - for standard input), or one SERVICE to check live "
            "(name, cluster/service or ARN)."
        ),
    ],
    task_definition: Annotated[
        str | None,
        typer.Option(
            help="SERVICE: check this revision (family:revision or ARN) instead of the current one."
        ),
    ] = None,
    cluster: Annotated[str | None, typer.Option(help="SERVICE: its cluster (default: search).")] = None,
    region: Annotated[str | None, typer.Option(help="SERVICE: AWS region.")] = None,
    profile: Annotated[str | None, typer.Option(help="SERVICE: AWS profile.")] = None,
    account: Annotated[str | None, typer.Option(help="SERVICE: account alias from ECS_WHY_ACCOUNTS.")] = None,
    output_format: Annotated[
        CheckFormat,
        typer.Option("--format", "-f", help="text, json or sarif (SARIF 2.1.0 for code scanning)."),
    ] = CheckFormat.text,
    fail_on: Annotated[
        FailOn | None, typer.Option(help="Exit 1 on errors (default) or also on warnings.")
    ] = None,
    ignore: Annotated[
        list[str] | None,
        typer.Option("--ignore", help="A rule ID (or RULE:SUBJECT) the team accepts; repeatable."),
    ] = None,
    config: Annotated[
        Path | None,
        typer.Option(
            help="TOML file with a [check] table: ignore = [...], fail_on (default ./.ecs-why.toml)."
        ),
    ] = None,
) -> None:
    """Check before a deploy what would stop the tasks, with the fix: task definition files offline, or a
    service live (the offline rules plus image tags, secrets, log group, network path, addresses, memory,
    load balancer health and capacity, read from the account).

    Exit status 0 when nothing fails the check, 1 on any error (or warning with --fail-on warning),
    2 when the input or the options are unusable.
    """
    from bot.check_config import ConfigFileError, load_config
    from diagnosis.parse import InputError
    from diagnosis.prevent.run import IgnoreError, parse_ignores

    needs_values(
        task_definition=task_definition, cluster=cluster, region=region, profile=profile, account=account
    )
    try:
        settings = load_config(config)
    except ConfigFileError as exc:
        fail(str(exc))
    accepted = [*settings.ignore, *(ignore or [])]
    try:
        parse_ignores(accepted)  # before any AWS call
    except IgnoreError as exc:
        fail(str(exc))
    live = is_service(targets)
    if not live and (task_definition or cluster):
        fail("--task-definition and --cluster are for a SERVICE; files are checked as they are")
    try:
        if live:
            report, rules = _check_live(
                targets[0], task_definition, cluster, region, profile, account, accepted
            )
        else:
            from diagnosis.prevent.rules import OFFLINE
            from diagnosis.prevent.run import check_files

            documents = [(_name(target), read_input_file(target, CHECK_INPUT)) for target in targets]
            report, rules = check_files(documents, accepted), OFFLINE
    except (InputError, IgnoreError) as exc:
        fail(str(exc))
    _print(report, output_format, rules)
    threshold = fail_on.value if fail_on else settings.fail_on or "error"
    failing = report.errors or (threshold == "warning" and report.warnings)
    raise typer.Exit(1 if failing else 0)


def is_service(targets: list[str]) -> bool:
    """One target that is no file and does not look like one: a service to check live."""
    if len(targets) != 1:
        return False
    target = targets[0]
    return (
        target != "-"
        and not Path(target).exists()
        and not target.lower().endswith(FILE_SUFFIXES)
        and (target.startswith("arn:") or "/" not in target or (target.count("/") == 1 and "." not in target))
    )


def _check_live(
    target: str,
    task_definition: str | None,
    cluster: str | None,
    region: str | None,
    profile: str | None,
    account: str | None,
    ignore: list[str],
) -> tuple[CheckReport, Sequence[Rule]]:
    """Through the Diagnoser, as `/ecs-why check` (bot/checker.py); what the user can mend is one line."""
    from bot.checker import run_check
    from bot.cli_aws import aws_errors, terminal_diagnoser
    from bot.inquiry import Asked
    from diagnosis.prevent.rules import ALL

    diagnoser = terminal_diagnoser(load(), profile)
    with aws_errors():
        report = run_check(diagnoser, Asked(target, cluster, region, account), task_definition, ignore)
    return report, ALL


def _print(report: CheckReport, output_format: CheckFormat, rules: Sequence[Rule]) -> None:
    from diagnosis.prevent.report import to_text
    from diagnosis.prevent.sarif import to_sarif

    if output_format is CheckFormat.json:
        sys.stdout.write(report.model_dump_json(indent=2) + "\n")
    elif output_format is CheckFormat.sarif:
        sys.stdout.write(json.dumps(to_sarif(report, rules), indent=2) + "\n")
    else:
        sys.stdout.write(to_text(report))


def _name(target: str) -> str:
    return "" if target == "-" else target


CHECK_INPUT = InputHelp(
    no_input="pass a file, or pipe one in (aws ecs describe-task-definition … | ecs-why check -)",
    no_file="pass a task definition, a CloudFormation template or a Terraform plan",
    unreadable="pass a UTF-8 JSON or YAML file",
)


def register(app: typer.Typer) -> None:
    app.command("check", short_help="Catch what would stop the tasks, before a deploy.")(check)
