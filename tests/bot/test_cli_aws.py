"""The terminal's AWS commands (`diagnose`, `check SERVICE`, `exec-check`) run through the Diagnoser's reach,
as Slack does: whatever keeps them from AWS is one line on standard error and exit 2, never a traceback."""

from __future__ import annotations

import os
import socket
from pathlib import Path

import pytest

from tests.builders.cli_process import ROOT, run

COMMANDS = ["diagnose", "check", "exec-check"]


def clean_env(home: Path, **extra: str) -> dict[str, str]:
    """No AWS configuration but what `extra` sets (no profile files, no instance metadata)."""
    return {
        "PATH": os.environ.get("PATH", ""),
        "HOME": str(home),
        "AWS_CONFIG_FILE": str(home / "none"),
        "AWS_SHARED_CREDENTIALS_FILE": str(home / "none"),
        "AWS_EC2_METADATA_DISABLED": "true",
        "PYTHONPATH": str(ROOT),
        **extra,
    }


KEYS = {"AWS_ACCESS_KEY_ID": "AKIAEXAMPLE", "AWS_SECRET_ACCESS_KEY": "secret"}


def closed_port() -> int:
    """A loopback port nothing listens on (bound, then released): AWS that does not answer."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def one_line(stderr: str) -> str:
    lines = stderr.strip().splitlines()
    assert "Traceback" not in stderr and len(lines) == 1, stderr
    assert lines[0].startswith("ecs-why: ")
    return lines[0]


@pytest.mark.parametrize("command", COMMANDS)
def test_a_region_that_is_no_region_name_says_what_to_pass(tmp_path: Path, command: str) -> None:
    result = run(
        command, "web", "--cluster", "prod", "--region", "us east 1", env=clean_env(tmp_path, **KEYS)
    )
    assert result.returncode == 2
    assert "--region 'us east 1' is not an AWS region name" in one_line(result.stderr)
    configured = run(command, "web", env=clean_env(tmp_path, AWS_REGION="eu_west", **KEYS))
    assert configured.returncode == 2 and "'eu_west' (from AWS_REGION" in one_line(configured.stderr)


@pytest.mark.parametrize("command", COMMANDS)
def test_no_credentials_says_what_to_set(tmp_path: Path, command: str) -> None:
    result = run(command, "web", "--cluster", "prod", env=clean_env(tmp_path, AWS_REGION="us-east-1"))
    assert result.returncode == 2
    assert "no AWS credentials" in one_line(result.stderr) and "AWS_PROFILE" in result.stderr


@pytest.mark.parametrize("command", COMMANDS)
def test_aws_that_does_not_answer_says_which_call(tmp_path: Path, command: str) -> None:
    env = clean_env(
        tmp_path,
        AWS_REGION="us-east-1",
        AWS_ENDPOINT_URL=f"http://127.0.0.1:{closed_port()}",
        AWS_MAX_ATTEMPTS="1",
        **KEYS,
    )
    result = run(command, "web", "--cluster", "prod", env=env)
    assert result.returncode == 2, "nothing read is neither healthy nor a failure"
    line = one_line(result.stderr)
    assert "could not read" in line and "did not answer" in line and "web" in line


@pytest.mark.parametrize("command", COMMANDS)
def test_an_unknown_account_names_the_known_ones(tmp_path: Path, command: str) -> None:
    accounts = '[{"alias": "prod", "regions": ["eu-west-1"]}]'
    env = clean_env(tmp_path, ECS_WHY_ACCOUNTS=accounts, **KEYS)
    result = run(command, "web", "--account", "staging", env=env)
    assert result.returncode == 2
    assert "unknown account 'staging'; known accounts: prod" in one_line(result.stderr)


@pytest.mark.parametrize("command", COMMANDS)
def test_a_profile_that_does_not_exist_names_the_known_ones(tmp_path: Path, command: str) -> None:
    env = clean_env(tmp_path, AWS_REGION="us-east-1")
    (tmp_path / "config").write_text("[profile dev]\nregion = us-east-1\n", encoding="utf-8")
    env["AWS_CONFIG_FILE"] = str(tmp_path / "config")
    flag = run(command, "web", "--cluster", "prod", "--profile", "nope", env=env)
    assert flag.returncode == 2
    assert "no AWS profile 'nope' (known: dev)" in one_line(flag.stderr)
    from_env = run(command, "web", "--cluster", "prod", env={**env, "AWS_PROFILE": "nope"})
    assert from_env.returncode == 2 and "no AWS profile 'nope'" in one_line(from_env.stderr)
