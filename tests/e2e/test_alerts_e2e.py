"""Subscription alerts as a channel lives with them: the real `ecs-why serve` (its in-process Redis, so it
polls ECS itself), the moto sandbox, the fake Slack. A subscription posts the service's failures as one
alert; Acknowledge shows who took it; the alert resolves when the moto service becomes steady and its
cause is quiet, and a new failure opens a new alert that links the last."""

from __future__ import annotations

import copy
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from moto.backends import get_backend

from bot.demo.scenarios import DEFAULT_ACCOUNT, DEFAULT_REGION
from tests.builders.served_bot import free_port
from tests.e2e.conftest import ROOT, cli_env, wait_until_serving
from tests.fakes.slack_api import FakeSlackApi
from tests.fakes.slack_requests import block_action, send, slash_command

pytestmark = pytest.mark.e2e
SECRET = "e2e-alerts-secret"
CHANNEL = "C0ALERTS"


@pytest.fixture(scope="module")
def slack() -> Iterator[FakeSlackApi]:
    with FakeSlackApi() as api:
        yield api


@pytest.fixture(scope="module")
def bot(endpoint: str, slack: FakeSlackApi) -> Iterator[str]:
    port = free_port()
    env = cli_env(endpoint) | {
        "SLACK_BOT_TOKEN": "xoxb-e2e",
        "SLACK_SIGNING_SECRET": SECRET,
        "SLACK_API_URL": slack.base_url,
        "ECS_WHY_POLL_INTERVAL_SECONDS": "10",
        "ECS_WHY_ALERT_QUIET_MINUTES": "1",
    }  # no REDIS_URL: `serve` consumes the events itself (it polls the subscribed services)
    process = subprocess.Popen(
        [sys.executable, "-m", "bot.cli", "serve", "--host", "127.0.0.1", "--port", str(port)],
        env=env, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until_serving(base, process, lambda: process.stdout.read() if process.stdout else "")
        yield base
    finally:
        process.terminate()
        process.wait(timeout=10)


@pytest.fixture(scope="module", autouse=True)
def sandbox_left_as_found(endpoint: str) -> Iterator[None]:
    """The sandbox is shared by every e2e module: the stops these tests add are taken away after them."""
    tasks = get_backend("ecs")[DEFAULT_ACCOUNT][DEFAULT_REGION].tasks["demo"]
    before = set(tasks)
    yield
    for arn in set(tasks) - before:
        del tasks[arn]


def ecs_service(name: str) -> Any:
    return get_backend("ecs")[DEFAULT_ACCOUNT][DEFAULT_REGION].services[f"demo:{name}"]


def one_more_stop(name: str) -> str:
    """A new stopped task of the service, like the ones it already had (its copy, stopped now)."""
    tasks = get_backend("ecs")[DEFAULT_ACCOUNT][DEFAULT_REGION].tasks["demo"]
    model = next(t for t in tasks.values() if t.group == f"service:{name}" and t.last_status == "STOPPED")
    task = copy.copy(model)  # shallow: it shares the backend, as moto's own tasks do
    task.id = uuid.uuid4().hex
    task.stopped_at = datetime.now(UTC)
    tasks[task.task_arn] = task
    return task.task_arn


def alerts(slack: FakeSlackApi) -> list[dict[str, Any]]:
    return [m for m in slack.messages(CHANNEL) if not m.get("thread_ts") or m["thread_ts"] == m["ts"]
            if "app_error" in m.get("text", "")]  # fmt: skip


def wait(predicate: Any, timeout: float, what: str) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = predicate()
        if found:
            return found
        time.sleep(0.5)
    raise AssertionError(f"timed out waiting for {what}")


def test_an_alert_is_acknowledged_resolves_when_steady_and_reopens(bot: str, slack: FakeSlackApi) -> None:
    service = ecs_service("orders")
    before = (service.desired_count, service.running_count)
    try:
        send(bot, slash_command("subscribe demo/orders", channel_id=CHANNEL, response_url=slack.response_url("sub")),
             SECRET)  # fmt: skip
        slack.wait_for(
            "response_url", lambda c: "subscribed this channel" in c.params.get("text", ""), timeout=30
        )
        first = wait(lambda: alerts(slack), 60, "the alert")[0]
        buttons = {e["action_id"]: e for e in first["blocks"][-1]["elements"]}
        assert set(buttons) == {"ecs_why_ack", "ecs_why_rerun", "ecs_why_mute"}

        ack = buttons["ecs_why_ack"]
        send(bot, block_action("ecs_why_ack", ack["value"], user_id="U0ALICE", channel_id=CHANNEL,
                               message_ts=first["ts"], response_url=slack.response_url("ack")), SECRET)  # fmt: skip

        def acknowledged() -> bool:
            shown = next(m for m in slack.messages(CHANNEL) if m["ts"] == first["ts"])
            text = " ".join(e.get("text", "") for b in shown["blocks"] if b["type"] == "context"
                            for e in b["elements"])  # fmt: skip
            return "👀 Acknowledged by <@U0ALICE>" in text

        wait(acknowledged, 30, "the acknowledgement on the message")

        service.running_count = service.desired_count  # the service is steady again

        def recovered() -> bool:
            shown = next(m for m in slack.messages(CHANNEL) if m["ts"] == first["ts"])
            return "recovered (at " in shown.get("text", "")

        wait(recovered, 150, "the alert to resolve")
        shown = next(m for m in slack.messages(CHANNEL) if m["ts"] == first["ts"])
        assert shown["blocks"][0]["text"]["text"].startswith("✅")
        assert [e["action_id"] for e in shown["blocks"][-1]["elements"]] == ["ecs_why_rerun"]

        one_more_stop("orders")
        again = wait(lambda: [m for m in alerts(slack) if m["ts"] != first["ts"]], 60, "a new alert")[0]
        context = " ".join(
            e.get("text", "") for b in again["blocks"] if b["type"] == "context" for e in b["elements"]
        )
        assert "↩️ Again:" in context and "recovered at" in context
    finally:
        service.desired_count, service.running_count = before


def test_a_cluster_wide_subscription_gets_every_matching_service(bot: str, slack: FakeSlackApi) -> None:
    channel = "C0CLUSTER"
    send(bot, slash_command("subscribe demo/* —only app_error", channel_id=channel,
                            response_url=slack.response_url("cluster")), SECRET)  # fmt: skip
    said = slack.wait_for(
        "response_url", lambda c: "every service of demo" in c.params.get("text", ""), timeout=30
    )
    assert "only app_error" in said.params["text"]

    def services_alerted() -> set[str]:
        top = [m for m in slack.messages(channel) if not m.get("thread_ts") or m["thread_ts"] == m["ts"]]
        return {m["text"].split(":")[0].removeprefix("ecs-why demo/") for m in top}

    # Stops already handled for another channel are not replayed to a new subscription: new ones come.
    one_more_stop("orders")
    one_more_stop("checkout")  # oom: filtered out by --only app_error
    wait(lambda: {"orders", "search"} <= services_alerted(), 60, "alerts of both app_error services")
    time.sleep(2)
    assert services_alerted() == {"orders", "search"}, "--only app_error: no other service's alert"


def test_a_summary_tells_what_failed_recovered_and_still_fails(bot: str, slack: FakeSlackApi) -> None:
    channel = "C0SUMMARY"
    service = ecs_service("search")
    before = (service.desired_count, service.running_count)
    try:
        send(bot, slash_command("subscribe demo/search", channel_id=channel,
                                response_url=slack.response_url("sum")), SECRET)  # fmt: skip
        one_more_stop("search")

        def top(needle: str) -> list[dict[str, Any]]:
            return [m for m in slack.messages(channel) if not m.get("thread_ts") and needle in m.get("text", "")]

        first = wait(lambda: top("app_error"), 60, "the search alert")[0]
        service.running_count = service.desired_count
        wait(lambda: "recovered (at " in next(m for m in slack.messages(channel) if m["ts"] == first["ts"])["text"],
             150, "the search alert to resolve")  # fmt: skip
        one_more_stop("search")
        wait(lambda: [m for m in top("app_error") if m["ts"] != first["ts"]], 60, "a new search alert")

        status, body, _ = send(bot, slash_command("summary demo —since 2h", channel_id=channel), SECRET)
        assert status == 200 and not body, "a valid summary is acknowledged without an ephemeral"
        summary = wait(lambda: top("Summary of demo"), 30, "the summary in the channel")[0]
        header, _totals, failing, recovered, per_service = (
            b["text"]["text"] if "text" in b else b["elements"][0]["text"] for b in summary["blocks"][:5]
        )
        assert header == "Summary of demo, last 2h"
        assert "*demo/search* — `app_error`" in failing and "not acknowledged" in failing
        assert "*demo/search* — `app_error`: recovered at" in recovered
        assert "*demo/search* —" in per_service and "`app_error` × " in per_service

        status, body, _ = send(bot, slash_command("summary demo/nope —since soon", channel_id=channel), SECRET)
        assert status == 200 and "use a number and a unit" in body, "a typo is one ephemeral error"
        send(bot, slash_command("summary prdo", channel_id=channel, response_url=slack.response_url("typo")), SECRET)
        said = slack.wait_for("response_url", lambda c: "no cluster 'prdo'" in c.params.get("text", ""), timeout=30)
        assert said.params["response_type"] == "ephemeral"
    finally:
        service.desired_count, service.running_count = before
