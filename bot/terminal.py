"""Prints a diagnosis to a terminal: colour on a TTY only, plain text in pipes and CI logs (without rich)."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, TextIO

from diagnosis.models import Diagnosis
from diagnosis.report import Style, plain, to_markdown, to_text

if TYPE_CHECKING:
    from diagnosis.exec_check import ExecReport

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
        from diagnosis.contract import to_json  # pydantic: only for JSON

        return to_json(diagnosis, indent=2) + "\n"
    if output_format == "markdown":
        return to_markdown(diagnosis)
    return to_text(diagnosis, _rich_style if tty else plain)


def print_diagnosis(diagnosis: Diagnosis, output_format: str) -> None:
    if output_format == "text" and sys.stdout.isatty():
        from rich.console import Console  # only a terminal pays for rich

        Console(highlight=False, soft_wrap=True).print(render(diagnosis, "text", tty=True), end="")
    else:
        sys.stdout.write(render(diagnosis, output_format))


_MARKS = {"pass": ("PASS", "ok"), "fail": ("FAIL", "bad"), "unknown": ("N/A ", "warn")}
PLUGIN_DOC = "https://docs.aws.amazon.com/systems-manager/latest/userguide/session-manager-working-with-install-plugin.html"


def exec_text(report: ExecReport, style: Style = plain, plugin: bool | None = None) -> str:
    """`exec-check` as text: one line per check (PASS, FAIL, N/A: could not check) with the fact it read
    and the fix, then the execute-command line. `plugin`: whether this machine has the Session Manager
    plugin the AWS CLI needs (None: not known)."""
    lines = [style("title", report.summary()), ""]
    for result in report.results:
        mark, role = _MARKS[result.status]
        lines.append(f"{style(role, mark)}  {style('heading', result.title)} ({result.name})")
        fact = result.fact + (f" [needs {result.iam_action}]" if result.iam_action else "")
        lines.append(f"      {style('plain', fact)}")
        if result.fix:
            lines.append(f"      fix: {style('command', result.fix)}")
    lines.append("")
    if report.command:
        lines += [style("heading", "Connect:"), f"  {style('command', report.command)}"]
        lines.append(
            style(
                "dim", "  (you need ecs:ExecuteCommand, and kms:GenerateDataKey when the cluster sets a key)"
            )
        )
    else:
        lines.append(style("warn", "No running task to connect to: start one, then run exec-check again."))
    if plugin is False:
        lines.append(style("warn", f"The Session Manager plugin is not on this machine's PATH: {PLUGIN_DOC}"))
    for gap in report.gaps:
        lines.append(style("dim", f"could not read {gap.what}: {gap.reason}"))
    stats = report.stats
    lines.append(
        style("dim", f"{stats.api_calls} AWS calls in {stats.rounds} rounds, {stats.elapsed_ms / 1000:.1f} s")
    )
    return "\n".join(lines) + "\n"


def print_exec(report: ExecReport, plugin: bool | None = None) -> None:
    if sys.stdout.isatty():
        from rich.console import Console

        Console(highlight=False, soft_wrap=True).print(exec_text(report, _rich_style, plugin), end="")
    else:
        sys.stdout.write(exec_text(report, plain, plugin))


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
