"""What a terminal shows: round names from the operations, and an unreadable target never in green."""

from __future__ import annotations

import io

from bot.terminal import Progress, render, round_line
from diagnosis.models import Diagnosis, Gap, Stats, Target


def test_round_line_names_what_the_round_reads() -> None:
    line = round_line(2, ["describe_tasks", "describe_task_definition", "describe_tasks"])
    assert line == "round 2: tasks, task definition…"
    long = round_line(3, [f"get_thing_number_{n}" for n in range(20)], width=40)
    assert len(long) == 40 and long.endswith("…")


def test_progress_writes_nothing_to_a_pipe() -> None:
    stream = io.StringIO()  # not a TTY
    progress = Progress(stream)
    progress(1, ["list_services"])
    progress.clear()
    assert stream.getvalue() == ""


def test_nothing_could_be_read_is_not_in_the_colour_of_success() -> None:
    unreadable = Diagnosis(
        target=Target(cluster="prod", service="web"),
        summary="prod/web: nothing could be read, so nothing was diagnosed (the service: AccessDenied).",
        gaps=[Gap(what="the service", reason="AccessDenied: the role lacks ecs:DescribeServices")],
        stats=Stats(api_calls=1, rounds=1),
    )
    shown = render(unreadable, "text", tty=True)
    lines = [line for line in shown.splitlines() if "nothing could be read" in line]
    assert lines and not any("green" in line for line in lines)
    assert any(line.startswith("[bold yellow]") for line in lines)
    healthy = Diagnosis(
        target=Target(cluster="prod", service="web"),
        summary="prod/web: no failure found; the service is running its desired tasks.",
        stats=Stats(services_seen=1, api_calls=3, rounds=2),
    )
    assert "[bold green]prod/web: no failure found" in render(healthy, "text", tty=True)


def test_exec_text_shows_each_check_the_line_to_run_and_the_missing_plugin() -> None:
    from bot.terminal import PLUGIN_DOC, exec_text
    from tests.builders.exec_report import LINE, report

    text = exec_text(report(), plugin=False)
    lines = text.splitlines()
    assert lines[0] == "ECS Exec on tools/shell: 1 of 3 checks fail (service_enabled)"
    assert "FAIL  ECS Exec is turned on (service_enabled)" in lines
    assert any(line.strip() == "fix: aws ecs update-service --enable-execute-command" for line in lines)
    assert any("N/A" in line and "(task_role)" in line for line in lines)
    assert any("[needs iam:SimulatePrincipalPolicy]" in line for line in lines)
    assert f"  {LINE}" in lines and PLUGIN_DOC in text
    assert "12 AWS calls in 4 rounds" in text
    assert PLUGIN_DOC not in exec_text(report(), plugin=True)
