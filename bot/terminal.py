"""Prints a diagnosis to a terminal: colour on a TTY only, plain text in pipes and CI logs (without rich)."""

from __future__ import annotations

import sys

from diagnosis.models import Diagnosis
from diagnosis.report import plain, to_markdown, to_text

_STYLES = {
    "title": "bold",
    "heading": "bold cyan",
    "dim": "dim",
    "command": "green",
    "bad": "bold red",
    "ok": "bold green",
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
