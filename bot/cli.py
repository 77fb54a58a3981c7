"""The `ecs-why` command line: the composition root for terminals and CI.

Every command turns bad input into one line on standard error and exit status 2, never a traceback.
"""

from __future__ import annotations

import sys
from enum import StrEnum
from importlib import resources
from pathlib import Path
from typing import Annotated

import typer

from bot.terminal import print_diagnosis
from diagnosis.engine import diagnose as run_engine
from diagnosis.parse import InputError, parse_text

app = typer.Typer(
    name="ecs-why",
    help="Why did my ECS task stop? Diagnoses stopped Amazon ECS tasks and services.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


class Format(StrEnum):
    text = "text"
    json = "json"
    markdown = "markdown"


FormatOption = Annotated[Format, typer.Option("--format", "-f", help="text, json or markdown.")]


def fail(message: str, code: int = 2) -> None:
    """One line on standard error, then exit: what went wrong and what to do instead."""
    typer.echo(f"ecs-why: {message}", err=True)
    raise typer.Exit(code)


@app.command()
def explain(
    file: Annotated[str, typer.Argument(help="A JSON file, or - for standard input.")] = "-",
    output_format: FormatOption = Format.text,
) -> None:
    """Explain a stopped task from what you paste: describe-tasks / describe-services output or an ECS event.

    Needs no AWS access. Exit status 0 when it diagnosed, 2 when the input is unusable.
    """
    text = _read_input(file)
    try:
        observations = parse_text(text)
    except InputError as exc:
        fail(str(exc))
    print_diagnosis(run_engine(observations), output_format.value)


@app.command()
def demo(
    output_format: FormatOption = Format.text,
) -> None:
    """Show ecs-why at work on a bundled example, with no AWS account."""
    example = resources.files("diagnosis").joinpath("examples/stopped-tasks.json").read_text()
    if output_format is Format.text:
        typer.echo("ecs-why demo: explaining diagnosis/examples/stopped-tasks.json (10 stopped tasks)\n")
    print_diagnosis(run_engine(parse_text(example)), output_format.value)


def _read_input(file: str) -> str:
    if file == "-":
        if sys.stdin.isatty():
            fail("no input: pass a JSON file, or pipe one in (aws ecs describe-tasks … | ecs-why explain -)")
        return sys.stdin.read()
    path = Path(file)
    if not path.is_file():
        fail(f"{file}: no such file; pass a JSON file or - for standard input")
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        fail(f"{file}: cannot read it ({exc.__class__.__name__}); pass a UTF-8 JSON file")
    return ""


def main() -> None:
    app()


if __name__ == "__main__":
    main()
