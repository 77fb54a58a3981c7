"""`ecs-why worker` as deployed: refuses without a shared Redis, serves its probes, consumes a real queue
(moto server on loopback) into the fake Slack, and stops cleanly on SIGTERM. Also: `serve` without
REDIS_URL consumes the events itself."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from moto.server import ThreadedMotoServer
from redis import Redis

from bot.events.poller import Poller
from bot.events.runner import Probes, account_alias, queue_region
from bot.settings import Settings
from bot.store import Store
from tests.bot.events.conftest import top_level, wait_until
from tests.bot.events.shapes import event, target, task_detail
from tests.fakes.slack_api import FakeSlackApi

ROOT = Path(__file__).resolve().parents[3]


def _port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _get(url: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=5) as answer:
            return answer.status, answer.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode()


def _env(**extra: str) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("AWS_", "ECS_WHY_", "SLACK_")) and k != "REDIS_URL"
    }
    env.update(
        PYTHONPATH=str(ROOT),
        AWS_ACCESS_KEY_ID="testing",
        AWS_SECRET_ACCESS_KEY="testing",
        AWS_REGION="us-east-1",
        AWS_CONFIG_FILE=str(ROOT / ".no-aws-config"),
        AWS_SHARED_CREDENTIALS_FILE=str(ROOT / ".no-aws-config"),
        AWS_EC2_METADATA_DISABLED="true",
    )
    env.update(extra)
    return env


def test_worker_refuses_without_a_shared_redis() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "bot.cli", "worker"],
        env=_env(SLACK_BOT_TOKEN="xoxb-test"),
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 2
    assert "REDIS_URL is not set" in result.stderr and "ecs-why serve" in result.stderr


def test_probes(store: Store) -> None:
    probes = Probes(store, "127.0.0.1", 0).start()
    try:
        base = f"http://127.0.0.1:{probes.port}"
        assert _get(base + "/healthz") == (200, "ok\n")
        assert _get(base + "/readyz") == (200, "ready\n")
        status, metrics = _get(base + "/metrics")
        assert status == 200 and "ecs_why_queue_messages_total" in metrics
        probes.last_loop -= 1000
        assert _get(base + "/healthz")[0] == 503
        assert _get(base + "/nope")[0] == 404
    finally:
        probes.close()
    down = Probes(Store(Redis(port=_port(), socket_connect_timeout=0.2)), "127.0.0.1", 0)
    assert down.answer("/readyz")[0] == 503
    down.server.server_close()


def test_helpers() -> None:
    assert queue_region("https://sqs.eu-west-1.amazonaws.com/123456789012/q") == "eu-west-1"
    assert queue_region("http://127.0.0.1:5000/123456789012/q") is None
    settings = Settings(accounts=[{"alias": "pay", "role_arn": "arn:aws:iam::222233334444:role/ecs-why"}])
    assert account_alias(settings, "222233334444") == "pay" and account_alias(settings, "1") is None


@pytest.fixture
def moto_server() -> Iterator[str]:
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=_port(), verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    try:
        yield f"http://{host}:{port}"
    finally:
        server.stop()


def test_worker_process_consumes_the_queue_and_stops_on_sigterm(
    moto_server: str, redis_url: str, store: Store, slack_api: FakeSlackApi
) -> None:
    store.subscribe("C1", target(), None, False, "U1")
    sqs = boto3.client(
        "sqs",
        endpoint_url=moto_server,
        region_name="us-east-1",
        aws_access_key_id="t",
        aws_secret_access_key="t",
    )
    url = sqs.create_queue(QueueName="events")["QueueUrl"]
    for n in range(3):
        sqs.send_message(QueueUrl=url, MessageBody=json.dumps(event(task_detail(n))))
    port = _port()
    env = _env(
        REDIS_URL=redis_url,
        SLACK_BOT_TOKEN="xoxb-test",
        SLACK_API_URL=slack_api.url,
        ECS_WHY_SQS_QUEUE_URL=url,
        AWS_ENDPOINT_URL=moto_server,
        ECS_WHY_LOG_FORMAT="json",
    )
    process = subprocess.Popen(
        [sys.executable, "-m", "bot.cli", "worker", "--host", "127.0.0.1", "--port", str(port)],
        env=env,
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        wait_until(lambda: len(top_level(slack_api, "C1")) == 1, timeout=30)
        wait_until(lambda: _probe(port) == 200, timeout=10)
        # ECS_WHY_WORKER_NICE's default: the worker yields the CPU to serve's acknowledgements
        assert os.getpriority(os.PRIO_PROCESS, process.pid) == max(10, os.getpriority(os.PRIO_PROCESS, 0))
        wait_until(lambda: _queue_empty(sqs, url), timeout=30)  # the worker deleted every message it handled
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=15) == 0, "it does not wait out a 20 s long poll"
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(timeout=10)
    output = process.stdout.read() if process.stdout else ""
    assert "ecs-why worker: queue" in output
    # one JSON log line per event handled: which task, what became of it
    records = [json.loads(line) for line in output.splitlines() if line.startswith("{")]
    events = [r for r in records if r.get("activity") == "event"]
    assert events and {e["task"] for e in events} <= {task_detail(n)["taskArn"] for n in range(3)}
    outcomes = [e["outcome"] for e in events]  # a message SQS hands out twice is a duplicate the 2nd time
    assert outcomes.count("posted") == 1 and set(outcomes) <= {"posted", "grouped", "duplicate"}
    assert all(e["level"] == "INFO" and e["time"] and e["ms"] >= 0 for e in events)


def _queue_empty(sqs: Any, url: str) -> bool:
    """No message waiting or in flight; reading the queue's counters takes none from the worker."""
    names = ["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"]
    counts = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=names)["Attributes"]
    return all(counts.get(name) == "0" for name in names)


def _probe(port: int) -> int:
    try:
        return _get(f"http://127.0.0.1:{port}/healthz")[0]
    except OSError:
        return 0


def test_serve_without_redis_consumes_events_itself(
    slack_api: FakeSlackApi, monkeypatch: pytest.MonkeyPatch
) -> None:
    from bot.app import build_web_app

    settings = Settings(slack_bot_token="xoxb-test", slack_api_url=slack_api.url, poll_interval_seconds=3600)
    web = build_web_app(settings, Store.from_url(None))
    source = (web.services.extras or {}).get("events")
    try:
        assert isinstance(source, Poller), "no queue configured: the poller runs inside serve"
    finally:
        if source is not None:
            source.stop.set()
    shared = Settings(slack_bot_token="xoxb-test", slack_api_url=slack_api.url)
    client = Redis.from_url("redis://127.0.0.1:1/0")
    assert "events" not in (build_web_app(shared, Store(client)).services.extras or {})
