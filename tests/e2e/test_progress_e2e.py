"""`ecs-why diagnose` on a terminal shows the round it is in on standard error, and nothing in a pipe."""

from __future__ import annotations

import json
import os
import pty
import subprocess
import sys

import jsonschema
import pytest

from tests.e2e.conftest import ROOT, TIMEOUT, cli_env, run_cli

pytestmark = pytest.mark.e2e


def test_progress_rounds_on_a_terminal_then_cleared(endpoint: str) -> None:
    master, slave = pty.openpty()
    try:
        proc = subprocess.run(
            [sys.executable, "-m", "bot.cli", "diagnose", "web", "--cluster", "demo", "--format", "json"],
            env=cli_env(endpoint),
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=slave,
            timeout=TIMEOUT,
            check=False,
        )
        os.close(slave)
        slave = -1
        chunks = []
        while True:
            try:
                data = os.read(master, 65536)
            except OSError:  # the terminal's other end is closed: all read
                break
            if not data:
                break
            chunks.append(data)
    finally:
        if slave >= 0:
            os.close(slave)
        os.close(master)
    terminal = b"".join(chunks).decode()
    assert proc.returncode == 1, terminal  # the web service fails: exit 1
    assert "round 1: " in terminal and "round 2: " in terminal
    assert "tasks" in terminal and "…" in terminal
    assert terminal.endswith("\r\x1b[K"), "the line is cleared before the report"
    assert b"round 1" not in proc.stdout, "standard output holds the JSON only"
    out = json.loads(proc.stdout)  # a live diagnosis's JSON keeps the contract
    schema = json.loads((ROOT / "docs" / "diagnosis.schema.json").read_text())
    jsonschema.Draft202012Validator(schema).validate(out)


def test_no_progress_in_a_pipe(endpoint: str) -> None:
    result = run_cli("diagnose", "web", "--cluster", "demo", endpoint=endpoint)
    assert result.returncode == 1
    assert "round " not in result.stderr
    assert "\x1b" not in result.stderr + result.stdout
