"""`python -m bot.cli …` as a user runs it: a real process in the repository, its output and exit status."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def run(
    *args: str, stdin: str | None = None, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bot.cli", *args],
        input=stdin,
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=env,
        timeout=300,  # a guard against a hang, not a timing: the demo takes ~10 s of CPU on a busy machine
        check=False,
    )


def python_c(
    code: str, *args: str, stdin: str | None = None, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """`python -c CODE ARGS…` in the repository: the console script's entry point, or a probe that runs it
    and reports on exit what the process loaded or set."""
    return subprocess.run(
        [sys.executable, "-c", code, *args],
        input=stdin,
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=env,
        timeout=120,  # a guard against a hang, not a timing
        check=False,
    )
