"""The `ecs-why serve` process of the end-to-end tests: who may use it, a free loopback port, and what a
test reads back (its log records, the buttons and headline it posted, the sandbox's grace period, the
audit stream in Redis)."""

from __future__ import annotations

import json
import socket
import time
from pathlib import Path
from typing import Any

import boto3
import redis

from tests.fakes.slack_api import FakeSlackApi

SECRET = "e2e-signing-secret"
OPERATOR = "U0PERATOR"
STRANGER = "U0STRANGER"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def log_records(path: Path, activity: str) -> list[dict[str, Any]]:
    """The server's JSON log lines of one activity (request, diagnosis, change)."""
    lines = [line for line in path.read_text().splitlines() if line.startswith("{")]
    return [r for r in map(json.loads, lines) if r.get("activity") == activity]


def buttons(message: dict[str, Any]) -> list[dict[str, Any]]:
    return [
        e for b in message.get("blocks") or [] if b.get("type") == "actions" for e in b.get("elements", [])
    ]


def headline(slack: FakeSlackApi, needle: str) -> dict[str, Any]:
    """The answer in the channel: the "diagnosing…" message updated in place (or a new message)."""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        for call in slack.calls("chat.update") + slack.calls("chat.postMessage"):
            if needle in call.params.get("text", "") and not call.params.get("thread_ts") and call.ok:
                return call.params | {"ts": call.params.get("ts") or call.response["ts"]}
        time.sleep(0.1)
    raise AssertionError(f"no answer with {needle!r} in the channel")


def grace(endpoint: str) -> int:
    ecs = boto3.client(
        "ecs",
        region_name="us-east-1",
        endpoint_url=endpoint,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )
    return int(
        ecs.describe_services(cluster="demo", services=["web"])["services"][0].get(
            "healthCheckGracePeriodSeconds", 0
        )
    )


def audit(redis_url: str) -> list[dict[str, Any]]:
    client = redis.Redis.from_url(redis_url, decode_responses=True)
    records = []
    for key in client.scan_iter("*audit*"):
        if client.type(key) == "stream":
            records += [
                json.loads(next(iter(fields.values()))) if len(fields) == 1 else fields
                for _, fields in client.xrange(key)
            ]
    return records


def restore_grace(endpoint: str, seconds: int) -> None:
    """The sandbox is shared by the e2e session: put the web service back as it was seeded."""
    boto3.client(
        "ecs",
        region_name="us-east-1",
        endpoint_url=endpoint,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    ).update_service(cluster="demo", service="web", healthCheckGracePeriodSeconds=seconds)
