"""`ecs-why explain` and `ecs-why demo` as a user runs them: a real process, its output and exit status."""

from __future__ import annotations

import codecs
import functools
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from bot.cli import app, for_command
from tests.builders.cli_process import ROOT, run

CORPUS = ROOT / "tests" / "diagnosis" / "data" / "corpus_cases.jsonl"


def case(case_id: str) -> dict:
    for line in CORPUS.read_text().splitlines():
        if json.loads(line)["id"] == case_id:
            return json.loads(line)["input"]
    raise KeyError(case_id)


def test_explain_json_follows_the_contract(tmp_path: Path) -> None:
    path = tmp_path / "task.json"
    path.write_text(json.dumps(case("s07")))
    result = run("explain", str(path), "--format", "json")
    assert result.returncode == 0, result.stderr
    out = json.loads(result.stdout)
    assert set(out) == {"schema_version", "target", "summary", "findings", "gaps", "stats", "timeline"}
    assert set(out["timeline"]) == {"newest_failure_at", "failing_since", "running", "desired"}
    top = out["findings"][0]
    assert top["category"] == "oom" and 0 < top["confidence"] <= 1
    for key in ("category", "confidence", "title", "summary", "tasks", "evidence", "remediations", "docs"):
        assert key in top
    assert out["target"] == {
        "account": "123456789012",
        "region": "us-east-1",
        "cluster": "prod",
        "service": "web-api",
        "task": "0f1e2d3c4b5a69788796a5b4c3d2e1f0",
    }
    assert any("web-api:42" in (r.get("command") or "") for r in top["remediations"])


def test_explain_reads_standard_input_and_renders_markdown() -> None:
    result = run("explain", "-", "--format", "markdown", stdin=json.dumps(case("s17")))
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("## ecs-why: prod/web-api")
    assert "elb_health_check" in result.stdout and "grace" in result.stdout


def test_explain_text_has_no_colour_codes_in_a_pipe() -> None:
    result = run("explain", "-", stdin=json.dumps(case("s02")))
    assert result.returncode == 0
    assert "\x1b[" not in result.stdout
    assert "Image not found" in result.stdout.splitlines()[0]


@pytest.mark.parametrize(
    ("stdin", "says"),
    [
        ("", "empty"),
        ("{not json", "nothing in the input is about ECS"),
        ("the build is green, ship it", "nothing in the input is about ECS"),
        ('{"hello": "world"}', "holds no ECS"),
        ("[1, 2]", "holds no ECS"),
        ('{"detail-type": "EC2 Instance State-change Notification", "detail": {}}', "not ECS stop signals"),
    ],
)
def test_unusable_input_exits_2_with_one_line(stdin: str, says: str) -> None:
    result = run("explain", "-", stdin=stdin)
    assert result.returncode == 2
    assert result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and says in lines[0] and "Traceback" not in result.stderr
    if says != "not ECS stop signals":
        assert "describe-tasks" in lines[0], "the error must say which shapes are accepted"


def test_missing_file_exits_2() -> None:
    result = run("explain", "/nonexistent/task.json")
    assert result.returncode == 2 and "no such file" in result.stderr


def test_demo_runs_with_no_aws_account() -> None:
    """Whatever the user configured for their own account (here unusable) is not the sandbox's."""
    env = os.environ | {
        "ECS_WHY_ACCOUNTS": "not json",
        "REDIS_URL": "localhost:6379",
        "AWS_PROFILE": "nobody",
    }
    result = run("demo", env=env)
    assert result.returncode == 0, result.stderr
    assert "Out of memory" in result.stdout


def test_diagnose_with_no_credentials_says_so_and_exits_2(tmp_path: Path) -> None:
    env = {
        "PATH": os.environ.get("PATH", ""),
        "HOME": str(tmp_path),
        "AWS_REGION": "us-east-1",
        "AWS_EC2_METADATA_DISABLED": "true",
        "AWS_CONFIG_FILE": str(tmp_path / "none"),
        "AWS_SHARED_CREDENTIALS_FILE": str(tmp_path / "none"),
        "PYTHONPATH": str(ROOT),
    }
    result = run("diagnose", "web", "--cluster", "prod", "--format", "json", env=env)
    assert result.returncode == 2, "nothing read is not 'no failure found'"
    assert "no AWS credentials" in result.stderr
    assert json.loads(result.stdout)["gaps"], "the JSON still says what could not be read"


def test_diagnose_without_a_region_exits_2(tmp_path: Path) -> None:
    env = {
        "PATH": os.environ.get("PATH", ""),
        "HOME": str(tmp_path),
        "AWS_CONFIG_FILE": str(tmp_path / "none"),
        "PYTHONPATH": str(ROOT),
    }
    result = run("diagnose", "web", env=env)
    assert result.returncode == 2 and "no AWS region" in result.stderr


def test_diagnose_with_an_unusable_redis_url_says_what_to_set(tmp_path: Path) -> None:
    env = {
        "PATH": os.environ.get("PATH", ""),
        "HOME": str(tmp_path),
        "AWS_REGION": "us-east-1",
        "AWS_CONFIG_FILE": str(tmp_path / "none"),
        "REDIS_URL": "localhost:6379",  # no scheme
        "PYTHONPATH": str(ROOT),
    }
    result = run("diagnose", "web", "--cluster", "prod", env=env)
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert result.stderr.startswith("ecs-why: REDIS_URL:") and "redis://" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


@pytest.mark.parametrize("command", ["diagnose", "check", "exec-check"])
def test_a_service_arn_brings_its_own_region(tmp_path: Path, command: str) -> None:
    """No AWS_REGION, but the ARN names eu-west-1: the commands look there, not refuse (nor guess one)."""
    env = {
        "PATH": os.environ.get("PATH", ""),
        "HOME": str(tmp_path),
        "AWS_CONFIG_FILE": str(tmp_path / "none"),
        "AWS_SHARED_CREDENTIALS_FILE": str(tmp_path / "none"),
        "AWS_EC2_METADATA_DISABLED": "true",
        "PYTHONPATH": str(ROOT),
    }
    arn = "arn:aws:ecs:eu-west-1:123456789012:service/tools/shell"
    result = run(command, arn, env=env)
    assert "no AWS region" not in result.stderr
    assert "no AWS credentials" in result.stderr and result.returncode == 2
    bare = run(command, "shell", env=env)
    assert bare.returncode == 2 and "no AWS region" in bare.stderr


def test_explain_reads_a_pasted_reason_in_prose(tmp_path: Path) -> None:
    path = tmp_path / "slack-paste.txt"
    path.write_text(
        "hey, web-api keeps dying since the deploy:\n"
        "CannotPullContainerError: pull image manifest has been retried 5 time(s): failed to resolve ref "
        "123456789012.dkr.ecr.us-east-1.amazonaws.com/web:v2: not found\nany idea?\n"
    )
    result = run("explain", str(path), "--format", "json")
    assert result.returncode == 0, result.stderr
    out = json.loads(result.stdout)
    assert out["findings"][0]["category"] == "image_not_found"
    assert out["stats"]["input_kind"] == "plain text (1 ECS message)"
    assert {"what": "input text", "reason": "2 lines held no ECS message", "iam_action": None} in out["gaps"]


def test_explain_reads_a_console_copy_on_standard_input() -> None:
    result = run("explain", "-", stdin="Stopped reason\tEssential container in task exited\nExit code\t139\n")
    assert result.returncode == 0, result.stderr
    assert "segfault" in result.stdout


def test_diagnosis_worker_without_redis_says_what_to_set() -> None:
    env = {k: v for k, v in os.environ.items() if k not in ("REDIS_URL",)} | {"SLACK_BOT_TOKEN": "xoxb-x"}
    result = run("diagnosis-worker", env=env)
    assert result.returncode == 2
    assert "REDIS_URL is not set" in result.stderr and "Traceback" not in result.stderr


EXAMPLE = ROOT / "diagnosis" / "examples" / "stopped-tasks.json"


@pytest.mark.parametrize(
    "args",
    [
        ["explain", str(EXAMPLE)],
        ["explain", str(EXAMPLE), "-f", "json"],
        ["explain", str(EXAMPLE), "--format=markdown"],
        ["explain", str(EXAMPLE), "--format", "yaml"],
        ["explain", "no-such-file.json"],
        ["explain", "--help"],
        ["explain", "--version"],
        ["explain", str(EXAMPLE), "extra"],
        *(
            [name, "--help"]
            for name in ("diagnose", "check", "exec-check", "audit", "serve", "worker", "demo")
        ),
        ["diagnosis-worker", "--help"],
        ["diagnose"],
        ["explian", str(EXAMPLE)],
        ["--version"],
        ["--help"],
        [],
    ],
    ids=" ".join,
)
def test_the_app_for_one_command_answers_as_the_whole_app(args: list[str]) -> None:
    narrowed, whole = (CliRunner().invoke(cli, args) for cli in (for_command(args), app))
    # The one field that varies from run to run
    timeless = functools.partial(re.sub, r'"elapsed_ms": [\d.]+', '"elapsed_ms": …')
    assert (narrowed.exit_code, timeless(narrowed.output)) == (whole.exit_code, timeless(whole.output))


def test_a_command_runs_in_an_app_that_builds_no_other_command() -> None:
    names = [
        c.name or (c.callback.__name__ if c.callback else "")
        for c in for_command(["explain"]).registered_commands
    ]
    assert names == ["explain"]
    assert for_command(["explian"]) is app and for_command(["--help"]) is app and for_command([]) is app
    assert len(app.registered_commands) > 1  # the whole app is left whole


@pytest.mark.parametrize(
    ("command", "option"),
    [("diagnose", "--cluster"), ("diagnose", "--since"), ("check", "--region"), ("exec-check", "--account")],
)
def test_an_empty_option_value_is_refused_not_ignored(command: str, option: str) -> None:
    """`--cluster "$CLUSTER"` with the variable unset: exit 2 saying so, never a search of every cluster."""
    result = run(command, "web", option, "")
    assert result.returncode == 2, result.stdout + result.stderr
    assert result.stderr.startswith(f"ecs-why: {option} needs a value, e.g. {option} ")
    assert len(result.stderr.strip().splitlines()) == 1


STOPPED = "Essential container in task exited\nExit code: 137\nOutOfMemoryError: Container killed due to memory usage\n"


@pytest.mark.parametrize(
    ("data", "unreadable"),
    [
        (("Tâche arrêtée: " + STOPPED).encode("latin-1"), 3),  # Latin-1: â, ê, é are not UTF-8
        (codecs.BOM_UTF16_LE + STOPPED.encode("utf-16-le"), 0),  # PowerShell 5.1's `>`
        (codecs.BOM_UTF32_BE + STOPPED.encode("utf-32-be"), 0),
        (codecs.BOM_UTF8 + STOPPED.encode(), 0),
        (STOPPED.encode() + b"\xff trailing \xfe\n", 2),
    ],
)
def test_explain_reads_any_encoding_and_says_what_was_not_utf8(
    tmp_path: Path, data: bytes, unreadable: int
) -> None:
    """A BOM says the encoding; otherwise UTF-8, and a byte that is not is one gap, not a refusal."""
    path = tmp_path / "pasted.txt"
    path.write_bytes(data)
    for args, stdin in ((["explain", str(path)], None), (["explain", "-"], data)):
        result = subprocess.run(
            [sys.executable, "-m", "bot.cli", *args, "--format", "json"],
            input=stdin, capture_output=True, cwd=ROOT, timeout=300, check=False,
        )  # fmt: skip
        assert result.returncode == 0, result.stderr
        doc = json.loads(result.stdout)
        assert doc["findings"][0]["category"] == "oom"
        said = [g["reason"] for g in doc["gaps"] if g["what"] == "input"]
        if unreadable:
            count = "1 character was" if unreadable == 1 else f"{unreadable} characters were"
            assert said == [f"{count} not readable text (shown as �); the rest was read"]
        else:
            assert not said


SERVE_ENV = {"SLACK_BOT_TOKEN": "xoxb-test", "SLACK_SIGNING_SECRET": "s"}


@pytest.mark.parametrize("port", ["99999", "65536", "-1"])
def test_serve_refuses_a_port_outside_0_to_65535(port: str) -> None:
    """99999 was accepted and served on 34463 (99999 mod 65536) while the log said 99999 (0: any free port)."""
    result = run("serve", "--host", "127.0.0.1", "--port", port, env={**os.environ, **SERVE_ENV})
    assert result.returncode == 2 and "Invalid value for '--port'" in result.stderr


def test_serve_on_a_port_in_use_says_so_in_one_line() -> None:
    import socket

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = run("serve", "--host", "127.0.0.1", "--port", str(port), env={**os.environ, **SERVE_ENV})
    assert result.returncode == 2, result.stderr
    assert (
        f"ecs-why: cannot listen on 127.0.0.1:{port}: Address already in use; pick a free --port"
        in result.stderr
    )
    assert "Traceback" not in result.stderr
