"""`ecs-why explain` runs without typer (bot/cli_start.py); typer's app stays the one definition of the grammar.

The fast path must read a command line exactly as typer would, or leave it to typer: these tests hold it to
typer's own declaration of `explain` and to typer's answers, so a parameter added on the typer side fails
here until the fast path reads it too.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
from pathlib import Path
from typing import Any

import pytest
import typer.main
from typer.core import TyperCommand, TyperGroup
from typer.testing import CliRunner

from bot import cli_start
from bot.cli import app, for_command
from bot.cli_start import EXPLAIN, FORMAT_FLAGS, STDIN, Format, explain_input, explain_line
from tests.builders.cli_process import ROOT, python_c, run

EXAMPLE = str(ROOT / "diagnosis" / "examples" / "stopped-tasks.json")


def typer_explain() -> TyperCommand:
    group = typer.main.get_command(for_command([EXPLAIN]))
    assert isinstance(group, TyperGroup)
    command = group.commands[EXPLAIN]
    assert isinstance(command, TyperCommand)
    return command


def test_typer_declares_explain_with_exactly_the_parameters_the_fast_path_reads() -> None:
    command = typer_explain()
    declared = [
        (type(p).__name__, p.opts, p.secondary_opts, p.default, p.nargs, p.multiple, p.envvar, p.is_eager)
        for p in command.params
    ]
    assert declared == [
        ("TyperArgument", ["file"], [], STDIN, 1, False, None, False),
        ("TyperOption", list(FORMAT_FLAGS), [], Format.text, 1, False, None, False),
    ]
    file, output_format = command.params
    assert not file.required and file.callback is None and output_format.callback is None
    assert output_format.type_descriptor.choices == tuple(Format)
    assert output_format.type_descriptor.case_sensitive
    # The app's own options come before the command name, where the fast path never looks; they are only
    # --version (eager: it exits) and help, so skipping the app's callback skips nothing `explain` needs.
    group = typer.main.get_command(app)
    assert [p.opts for p in group.params] == [["--version"]] and group.params[0].is_eager


LINES = [
    [EXPLAIN],
    [EXPLAIN, EXAMPLE],
    [EXPLAIN, STDIN],
    [EXPLAIN, ""],
    [EXPLAIN, EXAMPLE, "-f", "json"],
    [EXPLAIN, "-f", "markdown", EXAMPLE],
    [EXPLAIN, EXAMPLE, "--format=markdown"],
    [EXPLAIN, "--format", "text"],
    [EXPLAIN, "--format=json", STDIN],
    [EXPLAIN, EXAMPLE, "--format", "yaml"],
    [EXPLAIN, EXAMPLE, "--format", "JSON"],
    [EXPLAIN, EXAMPLE, "--format="],
    [EXPLAIN, EXAMPLE, "-f"],
    [EXPLAIN, EXAMPLE, "-fjson"],
    [EXPLAIN, EXAMPLE, "-f", "json", "--format", "text"],
    [EXPLAIN, EXAMPLE, "-f", "--help"],
    [EXPLAIN, EXAMPLE, "extra"],
    [EXPLAIN, "--", EXAMPLE],
    [EXPLAIN, "--help"],
    [EXPLAIN, "-h"],
    [EXPLAIN, "--version"],
    [EXPLAIN, "--form", "json"],
    ["--version", EXPLAIN, EXAMPLE],
    ["explian", EXAMPLE],
    ["--help"],
    [],
]


@pytest.mark.parametrize("line", LINES, ids=lambda line: " ".join(line) or "(nothing)")
def test_a_line_the_fast_path_takes_is_read_as_typer_reads_it(line: list[str]) -> None:
    taken = explain_line(line)
    if taken is None:
        return  # typer answers it (help, an error, another command)
    command = typer_explain()
    group = typer.main.get_command(for_command(line))
    with group.make_context("ecs-why", list(line)) as parent:
        params = command.make_context(EXPLAIN, list(line[1:]), parent=parent).params
    assert taken == (params["file"], params["output_format"])


def test_the_fast_path_takes_the_lines_users_type() -> None:
    assert explain_line([EXPLAIN, EXAMPLE]) == (EXAMPLE, Format.text)
    assert explain_line([EXPLAIN, "-f", "json"]) == (STDIN, Format.json)
    assert explain_line([EXPLAIN, EXAMPLE, "--format=markdown"]) == (EXAMPLE, Format.markdown)


def timeless(text: str) -> str:
    return re.sub(r'"elapsed_ms": [\d.]+', '"elapsed_ms": …', text)


def console(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    """The `ecs-why` console script's entry point, as a user runs it."""
    return python_c("import sys; from bot.cli_start import main; sys.argv[0] = 'ecs-why'; main()", *args, stdin=stdin)


@pytest.mark.parametrize(
    "args",
    [
        (EXPLAIN, EXAMPLE),
        (EXPLAIN, EXAMPLE, "--format", "json"),
        (EXPLAIN, "-f", "markdown", EXAMPLE),
        (EXPLAIN, "/nonexistent/task.json"),
        (EXPLAIN, STDIN),
    ],
    ids=" ".join,
)
def test_explain_without_typer_answers_as_typer_does(args: tuple[str, ...]) -> None:
    stdin = "Stopped reason: Essential container in task exited\n" if STDIN in args else None
    fast, typed = console(*args, stdin=stdin), run(*args, stdin=stdin)
    assert explain_line(list(args)) is not None  # it took the fast path
    assert (fast.returncode, timeless(fast.stdout), fast.stderr) == (
        typed.returncode,
        timeless(typed.stdout),
        typed.stderr,
    )
    assert fast.stdout.strip() or fast.stderr.startswith("ecs-why: ")


def test_explain_json_from_the_fast_path_is_the_contract() -> None:
    fast = console(EXPLAIN, EXAMPLE, "-f", "json")
    assert fast.returncode == 0, fast.stderr
    assert json.loads(fast.stdout)["findings"]


def test_lines_the_fast_path_leaves_get_typers_answer() -> None:
    for args in ([EXPLAIN, EXAMPLE, "--format", "yaml"], ["--version"]):
        fast = console(*args)
        whole = CliRunner().invoke(app, args, prog_name="ecs-why")
        assert (fast.returncode, fast.stdout + fast.stderr) == (whole.exit_code, whole.output)


PLUGINS_PROBE = """
import atexit, os, sys
atexit.register(lambda: sys.stderr.write("PLUGINS " + repr(os.environ.get("PYDANTIC_DISABLE_PLUGINS"))))
sys.argv = ["ecs-why", *sys.argv[1:]]
from bot.cli_start import main
main()
"""


@pytest.mark.parametrize(("given", "seen"), [(None, "'__all__'"), ("observer", "'observer'")])
def test_pydantic_plugins_are_off_unless_the_user_says_which(given: str | None, seen: str) -> None:
    env = {k: v for k, v in os.environ.items() if k != "PYDANTIC_DISABLE_PLUGINS"}
    if given is not None:
        env["PYDANTIC_DISABLE_PLUGINS"] = given
    for args in ([EXPLAIN, EXAMPLE], ["--version"]):  # the fast path and typer's
        result = python_c(PLUGINS_PROBE, *args, env=env)
        assert result.returncode == 0 and result.stdout.strip(), result.stderr
        assert result.stderr.endswith(f"PLUGINS {seen}")


ACCESS = "2024-03-11T10:00:00Z INFO GET /health 200 1ms\n"


def explained(path: str, capsys: pytest.CaptureFixture[str]) -> Any:
    explain_input(path, "json")
    return json.loads(capsys.readouterr().out)


def test_a_huge_log_is_read_from_its_end_and_says_what_was_left_out(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Past MAX_TEXT only a log's end is read (where the stop is), and a gap says how much was not."""
    monkeypatch.setattr(cli_start, "MAX_TEXT", 20_000)
    log = tmp_path / "service.log"
    log.write_text(ACCESS * 2000 + "Essential container in task exited\nExit code: 137\n" + ACCESS * 5)
    doc = explained(str(log), capsys)
    assert [f["category"] for f in doc["findings"]][:1] == ["oom"]
    said = [g["reason"] for g in doc["gaps"] if g["what"] == "input"]
    assert len(said) == 1 and said[0].startswith("0.1 MB of text: only its last 0.02 MB were read")


def test_a_big_json_document_is_read_whole(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(cli_start, "MAX_TEXT", 2_000)
    task = {"taskArn": "arn:aws:ecs:us-east-1:123456789012:task/prod/" + "a" * 32, "lastStatus": "STOPPED",
            "stopCode": "EssentialContainerExited", "stoppedReason": "Essential container in task exited",
            "containers": [{"name": "web", "exitCode": 137, "reason": "OutOfMemoryError: Container killed"}],
            "overrides": {"containerOverrides": [{"name": "web", "command": ["x" * 5000]}]}}  # fmt: skip
    path = tmp_path / "tasks.json"
    path.write_text(json.dumps({"tasks": [task], "failures": []}))
    doc = explained(str(path), capsys)
    assert [f["category"] for f in doc["findings"]][:1] == ["oom"]
    assert not [g for g in doc["gaps"] if g["what"] == "input"]


def test_a_huge_log_whose_lines_start_with_a_bracket_is_read_from_its_end(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """`[2024-03-11T10:00:00Z] …` lines open with a bracket, yet the text is a log, not one JSON document."""
    monkeypatch.setattr(cli_start, "MAX_TEXT", 20_000)
    log = tmp_path / "service.log"
    line = "[2024-03-11T10:00:00Z] INFO GET /health 200 1ms\n"
    log.write_text(line * 2000 + "Essential container in task exited\nExit code: 137\n")
    doc = explained(str(log), capsys)
    assert [f["category"] for f in doc["findings"]][:1] == ["oom"]
    said = [g["reason"] for g in doc["gaps"] if g["what"] == "input"]
    assert len(said) == 1 and "only its last 0.02 MB were read" in said[0]
