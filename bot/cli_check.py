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

from bot.check_config import ConfigFileError, load_config

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


def _fail(message: str, code: int = 2) -> None:
    typer.echo(f"ecs-why: {message}", err=True)
    raise typer.Exit(code)


def check(
    targets: Annotated[
        list[str],
        typer.Argument(
            help="Files to check (a task definition, describe-task-definition output, a CloudFormation "
            "template, `terraform show -json` output; - for standard input)."
        ),
    ],
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
    """Check task definitions before they are deployed: what would stop their tasks, and the fix.

    Exit status 0 when nothing fails the check, 1 on any error (or warning with --fail-on warning),
    2 when the input or the options are unusable.
    """
    from diagnosis.parse import InputError
    from diagnosis.prevent import OFFLINE, check_files
    from diagnosis.prevent.run import IgnoreError

    try:
        settings = load_config(config)
    except ConfigFileError as exc:
        _fail(str(exc))
    documents = [(_name(target), _read(target)) for target in targets]
    try:
        report = check_files(documents, [*settings.ignore, *(ignore or [])])
    except (InputError, IgnoreError) as exc:
        _fail(str(exc))
    _print(report, output_format, OFFLINE)
    threshold = fail_on.value if fail_on else settings.fail_on or "error"
    failing = report.errors or (threshold == "warning" and report.warnings)
    raise typer.Exit(1 if failing else 0)


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


def _read(target: str) -> str:
    if target == "-":
        if sys.stdin.isatty():
            _fail(
                "no input: pass a file, or pipe one in (aws ecs describe-task-definition … | ecs-why check -)"
            )
        return sys.stdin.read()
    path = Path(target)
    if not path.is_file():
        _fail(
            f"{target}: no such file; pass a task definition, a CloudFormation template or a Terraform plan"
        )
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        _fail(f"{target}: cannot read it ({exc.__class__.__name__}); pass a UTF-8 JSON or YAML file")
    return ""


def register(app: typer.Typer) -> None:
    app.command("check")(check)
