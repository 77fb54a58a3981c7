"""Fixtures shared by the whole suite: a real `redis-server` on a free loopback port, and a Store on it.

Never skipped: without the binary the fixture fails and says to run scripts/setup, which installs it.
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import redis

from bot.store import Store


@dataclass
class RedisServer:
    """A running `redis-server` child process; `stop()` kills it (for tests of an unreachable Redis)."""

    url: str
    process: subprocess.Popen[bytes]
    log: Path

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=10)


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_redis_server(workdir: Path) -> RedisServer:
    """Start `redis-server` on 127.0.0.1 and a free port, without persistence; wait until it answers PING."""
    binary = shutil.which("redis-server")
    if binary is None:
        pytest.fail("redis-server is not installed: run scripts/setup (it installs the OS package)")
    last_error = ""
    for attempt in range(3):  # the free port can be taken between probing and binding: try another
        port = _free_port()
        log = workdir / f"redis-{port}-{attempt}.log"
        process = subprocess.Popen(
            [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
             "--dir", str(workdir), "--logfile", str(log)],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT,
        )  # fmt: skip
        server = RedisServer(url=f"redis://127.0.0.1:{port}/0", process=process, log=log)
        client = redis.Redis(host="127.0.0.1", port=port, socket_connect_timeout=0.2, socket_timeout=0.5)
        deadline = time.monotonic() + 10
        try:
            while time.monotonic() < deadline and process.poll() is None:
                try:
                    # our own process answering, not some other server that already held the port
                    if client.ping() and client.info("server").get("process_id") == process.pid:
                        return server
                except redis.RedisError as error:
                    last_error = str(error)
                time.sleep(0.02)
        finally:
            client.close()
        server.stop()
        last_error = log.read_text() if log.exists() else last_error
    pytest.fail(f"redis-server did not answer PING: {last_error[-2000:]}")


@pytest.fixture(scope="session")
def redis_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """`redis://127.0.0.1:PORT/0` of a real redis-server that lives for the whole test session."""
    server = start_redis_server(tmp_path_factory.mktemp("redis"))
    try:
        yield server.url
    finally:
        server.stop()


@pytest.fixture
def redis_server_factory(tmp_path: Path) -> Iterator[Callable[[], RedisServer]]:
    """Start throwaway redis-servers (killed at the end of the test) for tests that stop Redis."""
    started: list[RedisServer] = []

    def start() -> RedisServer:
        server = start_redis_server(tmp_path)
        started.append(server)
        return server

    yield start
    for server in started:
        server.stop()


@pytest.fixture
def store(redis_url: str) -> Iterator[Store]:
    """A fresh Store on the session's real redis-server, its database flushed first."""
    client = redis.Redis.from_url(redis_url, decode_responses=True)
    client.flushdb()
    try:
        yield Store(client)
    finally:
        client.close()
