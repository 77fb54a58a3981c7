"""End-to-end harness: the demo account behind a loopback moto server, and the real `ecs-why` process.

`sandbox_server` starts `ThreadedMotoServer` on 127.0.0.1 and a free port once per session, seeds it
with `bot.demo.scenarios.seed`, yields `(endpoint_url, sandbox)` and stops it. `run_cli` runs
`python -m bot.cli …` against it with dummy credentials and nothing from the user's AWS configuration.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from moto.moto_api import state_manager

from bot.demo.sandbox import running_sandbox, sandbox_env
from bot.demo.scenarios import Sandbox
from tests.builders.served_bot import OPERATOR, SECRET, free_port
from tests.fakes.slack_api import FakeSlackApi

ROOT = Path(__file__).resolve().parents[2]
TIMEOUT = 120


def cli_env(endpoint: str) -> dict[str, str]:
    """The caller's environment minus anything AWS, ecs-why or Redis, plus the sandbox's."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("AWS_", "ECS_WHY_", "SLACK_"))
        and k not in {"REDIS_URL", "HTTP_PROXY", "HTTPS_PROXY"}
    }
    env.update(sandbox_env(endpoint))
    # Never read the user's ~/.aws: a profile or a configured endpoint must not leak into the test.
    missing = str(ROOT / ".e2e-no-aws-config")
    env["AWS_CONFIG_FILE"] = missing
    env["AWS_SHARED_CREDENTIALS_FILE"] = missing
    env["AWS_EC2_METADATA_DISABLED"] = "true"
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(ROOT), os.environ.get("PYTHONPATH", "")) if p)
    return env


def run_cli(*args: str, endpoint: str) -> subprocess.CompletedProcess[str]:
    """Run `ecs-why ARGS` as a user would, pointed at the sandbox through AWS_ENDPOINT_URL."""
    return subprocess.run(
        [sys.executable, "-m", "bot.cli", *args],
        env=cli_env(endpoint),
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
        check=False,
    )


def run_python(code: str, *args: str, endpoint: str) -> subprocess.CompletedProcess[str]:
    """Run a Python snippet in a child process with the same environment `run_cli` gives ecs-why."""
    return subprocess.run(
        [sys.executable, "-c", code, *args],
        env=cli_env(endpoint),
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
        check=False,
    )


@pytest.fixture(scope="session")
def sandbox_server() -> Iterator[tuple[str, Sandbox]]:
    with running_sandbox() as running:
        yield running.endpoint_url, running.sandbox
    state_manager.unset_transition("ecs::task")


@pytest.fixture(scope="session")
def endpoint(sandbox_server: tuple[str, Sandbox]) -> str:
    return sandbox_server[0]


@pytest.fixture(scope="session")
def sandbox(sandbox_server: tuple[str, Sandbox]) -> Sandbox:
    return sandbox_server[1]


def wait_until_serving(
    base: str, process: subprocess.Popen[Any], log: Callable[[], str], timeout: float = 30.0
) -> None:
    """Return once the started `ecs-why` answers /healthz; else stop it and fail the test with its log."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and process.poll() is None:
        try:
            with urllib.request.urlopen(f"{base}/healthz", timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.2)
    process.kill()
    pytest.fail("ecs-why serve did not start: " + log())


# ------------------------------------------------------------------ the served bot (`ecs-why serve`)


@pytest.fixture(scope="module")
def slack() -> Iterator[FakeSlackApi]:
    with FakeSlackApi() as api:
        yield api


@pytest.fixture(scope="module")
def server_log(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Where `ecs-why serve` writes its standard output and error (a file: a pipe nobody reads fills up)."""
    return tmp_path_factory.mktemp("serve") / "serve.log"


@pytest.fixture(scope="module")
def bot(endpoint: str, redis_url: str, slack: FakeSlackApi, server_log: Path) -> Iterator[str]:
    port = free_port()
    env = cli_env(endpoint) | {
        "SLACK_BOT_TOKEN": "xoxb-e2e",
        "SLACK_SIGNING_SECRET": SECRET,
        "SLACK_API_URL": slack.base_url,
        "REDIS_URL": redis_url,
        "ECS_WHY_OPERATORS": OPERATOR,
        "ECS_WHY_LOG_FORMAT": "json",
    }
    output = server_log.open("w")
    process = subprocess.Popen(
        [sys.executable, "-m", "bot.cli", "serve", "--host", "127.0.0.1", "--port", str(port)],
        env=env,
        cwd=ROOT,
        stdout=output,
        stderr=subprocess.STDOUT,
        text=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until_serving(base, process, server_log.read_text)
        yield base
    finally:
        process.terminate()
        process.wait(timeout=10)
        output.close()
