"""Prints a diagnosis to a terminal: colour on a TTY only, plain text in pipes and CI logs (without rich)."""

from __future__ import annotations

import sys
from typing import TextIO

from diagnosis.models import Diagnosis
from diagnosis.report import plain, to_markdown, to_text

_STYLES = {
    "title": "bold",
    "heading": "bold cyan",
    "dim": "dim",
    "command": "green",
    "bad": "bold red",
    "ok": "bold green",
    "warn": "bold yellow",
    "plain": "",
}


def _rich_style(role: str, text: str) -> str:
    from rich.markup import escape

    style = _STYLES.get(role, "")
    return f"[{style}]{escape(text)}[/]" if style else escape(text)


def render(diagnosis: Diagnosis, output_format: str, tty: bool = False) -> str:
    if output_format == "json":
        return diagnosis.model_dump_json(indent=2) + "\n"
    if output_format == "markdown":
        return to_markdown(diagnosis)
    return to_text(diagnosis, _rich_style if tty else plain)


def print_diagnosis(diagnosis: Diagnosis, output_format: str) -> None:
    if output_format == "text" and sys.stdout.isatty():
        from rich.console import Console  # only a terminal pays for rich

        Console(highlight=False, soft_wrap=True).print(render(diagnosis, "text", tty=True), end="")
    else:
        sys.stdout.write(render(diagnosis, output_format))


_VERBS = ("describe_", "list_", "get_", "filter_", "lookup_", "batch_get_")


def round_line(number: int, operations: list[str], width: int = 78) -> str:
    """`round 2: tasks, task definitions…`, from the operations the round calls (describe_tasks → tasks)."""
    nouns: list[str] = []
    for operation in operations:
        noun = operation
        for verb in _VERBS:
            noun = noun.removeprefix(verb)
        noun = noun.replace("_", " ")
        if noun not in nouns:
            nouns.append(noun)
    line = f"round {number}: {', '.join(nouns)}"
    return (line[: width - 1] + "…") if len(line) > width else line + "…"


class Progress:
    """The current round on one line of standard error, only on a terminal (nothing in pipes or CI logs)."""

    def __init__(self, stream: TextIO | None = None) -> None:
        self.stream = stream or sys.stderr
        self.shown = self.stream.isatty()

    def __call__(self, number: int, operations: list[str]) -> None:
        if self.shown:
            self.stream.write("\r\033[K" + round_line(number, operations))
            self.stream.flush()

    def clear(self) -> None:
        if self.shown:
            self.stream.write("\r\033[K")
            self.stream.flush()
