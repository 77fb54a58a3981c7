"""The demo sandbox behind a loopback moto server: `ecs-why diagnose` runs against it via AWS_ENDPOINT_URL,
and `ecs-why demo` through the same `Diagnoser` as Slack and `diagnose` (`sandbox_diagnoser`).

Only 127.0.0.1, a free port chosen by the OS, dummy credentials; nothing leaves the machine.
"""

from __future__ import annotations

import logging
import os
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import boto3
from moto.server import ThreadedMotoServer
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource

from bot.aws_session import new_session
from bot.demo.scenarios import DEFAULT_ACCOUNT, DEFAULT_REGION, Sandbox, seed
from bot.diagnoser import Diagnoser
from bot.settings import Settings

LOOPBACK = "127.0.0.1"
DUMMY_KEY_ID = "testing"
DUMMY_SECRET = "testing"  # noqa: S105 - moto's dummy credentials, not a secret


def sandbox_session(region: str = DEFAULT_REGION) -> boto3.Session:
    """A session with moto's dummy credentials (never the user's); pass endpoint_url to its clients."""
    return new_session(
        aws_access_key_id=DUMMY_KEY_ID,
        aws_secret_access_key=DUMMY_SECRET,
        region_name=region,
    )


def sandbox_env(endpoint_url: str, region: str = DEFAULT_REGION) -> dict[str, str]:
    """The environment a child process needs to talk to the sandbox (merge it into os.environ)."""
    return {
        "AWS_ENDPOINT_URL": endpoint_url,
        "AWS_ACCESS_KEY_ID": DUMMY_KEY_ID,
        "AWS_SECRET_ACCESS_KEY": DUMMY_SECRET,
        "AWS_DEFAULT_REGION": region,
        "AWS_REGION": region,
        "NO_PROXY": "127.0.0.1,localhost",
        "no_proxy": "127.0.0.1,localhost",
    }


def forget_the_users_aws() -> None:
    """This process (`ecs-why demo`) drops the user's AWS variables and files: their profile is not the
    sandbox's, and one that does not exist would stop even the sandbox's session before it starts."""
    for name in [n for n in os.environ if n.startswith("AWS_")]:
        del os.environ[name]
    os.environ.update(
        AWS_CONFIG_FILE=os.devnull, AWS_SHARED_CREDENTIALS_FILE=os.devnull, AWS_EC2_METADATA_DISABLED="true"
    )


@dataclass
class RunningSandbox:
    server: ThreadedMotoServer
    endpoint_url: str
    sandbox: Sandbox
    session: boto3.Session

    def stop(self) -> None:
        self.server.stop()


class SandboxSettings(Settings):
    """The demo's settings: what the sandbox sets and the defaults, none read from the environment (the
    user's ECS_WHY_*, REDIS_URL or AWS_PROFILE are about their own account, not the sandbox)."""

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        return (init_settings,)


def sandbox_diagnoser(running: RunningSandbox) -> Diagnoser:
    """The Diagnoser Slack and `ecs-why diagnose` use, on the sandbox: its session (moto's dummy
    credentials, never the user's), its region and cluster; no stored history, no metrics."""
    settings = SandboxSettings(
        aws_region=running.sandbox.region,
        clusters=[running.sandbox.cluster],
    )
    return Diagnoser(settings, sessions=lambda account, region: running.session, metered=False)


def start_server() -> tuple[ThreadedMotoServer, str]:
    """Start an empty moto server on 127.0.0.1 and a port the OS picks (port 0)."""
    logging.getLogger("werkzeug").setLevel(logging.CRITICAL)  # no line per request, no 500 traces
    server = ThreadedMotoServer(ip_address=LOOPBACK, port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    return server, f"http://{host}:{port}"


def start_sandbox(
    account_id: str = DEFAULT_ACCOUNT, region: str = DEFAULT_REGION
) -> tuple[ThreadedMotoServer, str]:
    """Start a loopback moto server, seed the demo account into it, return the server and its URL.

    The seeded account is in this process's moto backends; `running_sandbox()` also returns the
    `Sandbox` description. Stop the server with `server.stop()`.
    """
    running = _start(account_id, region)
    return running.server, running.endpoint_url


def reset(endpoint_url: str) -> None:
    """Empty every moto backend (they live in this process and outlive a server)."""
    if not endpoint_url.startswith(f"http://{LOOPBACK}:"):
        raise ValueError(f"not a loopback sandbox: {endpoint_url}")
    url = f"{endpoint_url}/moto-api/reset"  # checked above: http on the loopback address only
    request = urllib.request.Request(url, method="POST")  # noqa: S310
    with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
        response.read()


def _start(account_id: str, region: str) -> RunningSandbox:
    server, endpoint_url = start_server()
    session = sandbox_session(region)
    try:
        reset(endpoint_url)
        sandbox = seed(session, account_id, region, endpoint_url=endpoint_url)
    except BaseException:
        server.stop()
        raise
    return RunningSandbox(server=server, endpoint_url=endpoint_url, sandbox=sandbox, session=session)


@contextmanager
def running_sandbox(
    account_id: str = DEFAULT_ACCOUNT, region: str = DEFAULT_REGION
) -> Iterator[RunningSandbox]:
    """`with running_sandbox() as sb:` a seeded loopback moto server, stopped on exit."""
    running = _start(account_id, region)
    try:
        yield running
    finally:
        running.stop()
