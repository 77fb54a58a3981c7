"""The demo sandbox behind a loopback moto server: `ecs-why diagnose` runs against it via AWS_ENDPOINT_URL.

Only 127.0.0.1, a free port chosen by the OS, dummy credentials; nothing leaves the machine.
"""

from __future__ import annotations

import logging
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import boto3
from moto.server import ThreadedMotoServer

from bot.demo.scenarios import DEFAULT_ACCOUNT, DEFAULT_REGION, Sandbox, seed

LOOPBACK = "127.0.0.1"
DUMMY_KEY_ID = "testing"
DUMMY_SECRET = "testing"  # noqa: S105 - moto's dummy credentials, not a secret


def sandbox_session(region: str = DEFAULT_REGION) -> boto3.Session:
    """A session with moto's dummy credentials (never the user's); pass endpoint_url to its clients."""
    return boto3.Session(
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


@dataclass
class RunningSandbox:
    server: ThreadedMotoServer
    endpoint_url: str
    sandbox: Sandbox
    session: boto3.Session

    def stop(self) -> None:
        self.server.stop()


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
