"""Nothing a user asked for is lost, with the real `ecs-why serve`: killed after the ack, stopped during a
diagnosis, Slack answering 500, Redis stopped, strangers sending garbage. A real redis-server, the fake
Slack Web API (with fault injection) and the moto sandbox, as in test_slack_e2e."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import redis

from tests.builders.served_bot import (
    OPERATOR,
    SECRET,
    STRANGER,
    audit,
    buttons,
    free_port,
    grace,
    restore_grace,
)
from tests.conftest import RedisServer
from tests.e2e.conftest import ROOT, cli_env, wait_until_serving
from tests.fakes.slack_api import FakeSlackApi
from tests.fakes.slack_requests import block_action, post, send, slash_command, view_submission

pytestmark = pytest.mark.e2e


@dataclass
class Bot:
    """One `ecs-why serve` process; its output goes to a file the test reads."""

    process: subprocess.Popen[bytes]
    base: str
    output: Path

    def log(self) -> str:
        return self.output.read_text(errors="replace")

    def readyz(self) -> int:
        try:
            with urllib.request.urlopen(f"{self.base}/readyz", timeout=3) as response:
                return int(response.status)
        except urllib.error.HTTPError as error:
            return int(error.code)


@pytest.fixture
def slack() -> Iterator[FakeSlackApi]:
    with FakeSlackApi() as api:
        yield api


@pytest.fixture
def start_bot(endpoint: str, slack: FakeSlackApi, tmp_path: Path) -> Iterator[Callable[..., Bot]]:
    started: list[Bot] = []

    def start(redis_url: str, command: str = "serve", **env: str) -> Bot:
        port = free_port()
        output = tmp_path / f"serve-{len(started)}.log"
        environment = cli_env(endpoint) | {
            "SLACK_BOT_TOKEN": "xoxb-e2e",
            "SLACK_SIGNING_SECRET": SECRET,
            "SLACK_API_URL": slack.base_url,
            "REDIS_URL": redis_url,
            "ECS_WHY_JOB_CLAIM_TIMEOUT_SECONDS": "3",
            **env,
        }
        with output.open("wb") as sink:
            process = subprocess.Popen(
                [sys.executable, "-m", "bot.cli", command, "--host", "127.0.0.1", "--port", str(port)],
                env=environment, cwd=ROOT, stdout=sink, stderr=subprocess.STDOUT,
            )  # fmt: skip
        bot = Bot(process, f"http://127.0.0.1:{port}", output)
        started.append(bot)
        wait_until_serving(bot.base, process, bot.log)
        return bot

    yield start
    for bot in started:
        if bot.process.poll() is None:
            bot.process.kill()
            bot.process.wait(timeout=10)


@pytest.fixture
def fresh_redis(redis_server_factory: Callable[[], RedisServer]) -> RedisServer:
    return redis_server_factory()


def headlines(slack: FakeSlackApi, needle: str) -> list[dict[str, Any]]:
    return [m for m in slack.messages("C1") if needle in (m.get("text") or "") and not m.get("thread_ts")]


def wait_for_headline(
    slack: FakeSlackApi, needle: str, timeout: float = 60, count: int = 1
) -> dict[str, Any]:
    """The `count`-th answer headline in the channel: posted, or the "diagnosing…" message updated into it."""
    deadline = time.monotonic() + timeout
    while len(found := headlines(slack, needle)) < count:
        assert time.monotonic() < deadline, f"no headline with {needle!r}: {slack.messages()}"
        time.sleep(0.1)
    return found[count - 1]


def wait_until_done(redis_url: str, timeout: float = 90) -> None:
    """Every accepted request's job has finished (a job's stream entry is deleted when it returns), so
    whatever it would post twice has been posted: a condition, not a pause that a loaded machine outlasts."""
    jobs = redis.Redis.from_url(redis_url)
    deadline = time.monotonic() + timeout
    while left := jobs.xlen("ecs-why:jobs"):
        assert time.monotonic() < deadline, f"{left} job(s) still unfinished after {timeout:.0f} s"
        time.sleep(0.1)


def ask(bot: Bot, slack: FakeSlackApi, text: str, user: str = "U1") -> None:
    request = slash_command(text, user_id=user, response_url=slack.response_url("u"))
    status, body, _ = send(bot.base, request, SECRET)
    assert status == 200, body  # the ack


def test_killed_after_the_ack_the_answer_arrives_after_restart_once(
    start_bot: Callable[..., Bot], slack: FakeSlackApi, fresh_redis: RedisServer
) -> None:
    # a claim timeout far longer than the test: the restarted process knows the killed one ended
    first = start_bot(fresh_redis.url, ECS_WHY_JOB_CLAIM_TIMEOUT_SECONDS="600")
    ask(first, slack, "checkout --cluster demo")
    first.process.send_signal(signal.SIGKILL)
    first.process.wait(timeout=10)
    assert not headlines(slack, "demo/checkout"), "killed before it could answer"
    second = start_bot(fresh_redis.url, ECS_WHY_JOB_CLAIM_TIMEOUT_SECONDS="600")
    wait_for_headline(slack, "demo/checkout", timeout=90)
    wait_until_done(fresh_redis.url)  # the job was acknowledged
    assert len(headlines(slack, "demo/checkout")) == 1
    second.process.terminate()
    assert second.process.wait(timeout=30) == 0


def test_sigterm_during_a_diagnosis_finishes_it_once_and_keeps_accepting(
    start_bot: Callable[..., Bot], slack: FakeSlackApi, fresh_redis: RedisServer
) -> None:
    bot = start_bot(fresh_redis.url, ECS_WHY_SHUTDOWN_GRACE_SECONDS="30")
    assert bot.readyz() == 200
    slack.slow("chat.postMessage", 2)  # the answer is still being posted when SIGTERM arrives
    ask(bot, slack, "checkout --cluster demo")
    time.sleep(1.5)
    bot.process.send_signal(signal.SIGTERM)
    time.sleep(0.3)
    assert bot.readyz() == 503, "draining: the load balancer stops sending"
    ask(bot, slack, "orders --cluster demo")  # still acknowledged, and queued
    assert bot.process.wait(timeout=60) == 0
    slack.slow("chat.postMessage", 0)
    log = bot.log()
    assert "leaked semaphore" not in log and "Traceback" not in log, log
    wait_for_headline(slack, "demo/checkout", timeout=5)
    successor = start_bot(fresh_redis.url)
    wait_for_headline(slack, "demo/orders", timeout=90)
    wait_until_done(fresh_redis.url)
    assert len(headlines(slack, "demo/checkout")) == 1 and len(headlines(slack, "demo/orders")) == 1
    successor.process.terminate()
    successor.process.wait(timeout=30)


def test_slack_500_then_200_is_posted_once(
    start_bot: Callable[..., Bot], slack: FakeSlackApi, fresh_redis: RedisServer
) -> None:
    bot = start_bot(fresh_redis.url)
    slack.server_error_next("chat.postMessage", 500)
    ask(bot, slack, "checkout --cluster demo")
    wait_for_headline(slack, "demo/checkout")
    wait_until_done(fresh_redis.url)
    assert len(headlines(slack, "demo/checkout")) == 1
    assert [c.status for c in slack.calls("chat.postMessage")][:2] == [500, 200], "retried"


def test_slack_500_always_tells_the_user(
    start_bot: Callable[..., Bot], slack: FakeSlackApi, fresh_redis: RedisServer
) -> None:
    bot = start_bot(fresh_redis.url)
    slack.server_error_always("chat.postMessage", 500)
    ask(bot, slack, "checkout --cluster demo")
    told = slack.wait_for("response_url", lambda c: "Slack refused" in c.params.get("text", ""), timeout=90)
    assert "HTTP 500" in told.params["text"] and "demo/checkout" in told.params["text"], (
        "what failed, and the answer"
    )
    assert "Traceback" not in bot.log()


def test_with_redis_stopped_a_diagnosis_still_answers_without_buttons(
    start_bot: Callable[..., Bot], slack: FakeSlackApi, fresh_redis: RedisServer
) -> None:
    bot = start_bot(fresh_redis.url)
    fresh_redis.stop()
    ask(bot, slack, "checkout --cluster demo")
    top = wait_for_headline(slack, "demo/checkout", timeout=90)
    shown = str(top["blocks"])
    assert "ecs_why_fix" not in shown and "Fix buttons are unavailable" in shown
    assert bot.readyz() == 503
    log = bot.log()
    assert "Traceback" not in log and len(log.splitlines()) < 20, log


def test_a_hundred_malformed_unauthenticated_requests_are_4xx_with_a_small_log(
    start_bot: Callable[..., Bot], fresh_redis: RedisServer
) -> None:
    bot = start_bot(fresh_redis.url)
    before = len(bot.log())
    statuses = set()
    for i in range(100):
        body = os.urandom(64) if i % 3 == 0 else (b"payload=%7Bbroken" if i % 3 == 1 else b"text=web")
        headers = {"X-Slack-Request-Timestamp": "soon" if i % 2 else str(int(time.time()))}
        status, _, _ = post(bot.base, body, SECRET + "-not", extra_headers=headers)
        statuses.add(status)
    assert statuses <= {400, 401}
    grown = bot.log()[before:]
    assert "Traceback" not in grown and len(grown.splitlines()) <= 2 and len(grown) < 500, grown


def fix_button(top: dict[str, Any]) -> dict[str, Any]:
    return next(b for b in buttons(top) if b["action_id"].startswith("ecs_why_fix"))


def click(bot: Bot, slack: FakeSlackApi, user: str, top: dict[str, Any], name: str) -> None:
    fix = fix_button(top)
    request = block_action(
        fix["action_id"], fix["value"], user_id=user, message_ts=top["ts"],
        message={"ts": top["ts"], "text": top["text"], "blocks": top["blocks"]},
        response_url=slack.response_url(name),
    )  # fmt: skip
    assert send(bot.base, request, SECRET)[0] == 200


def test_replayed_and_expired_fixes_are_audited_and_refusals_mention(
    start_bot: Callable[..., Bot], slack: FakeSlackApi, fresh_redis: RedisServer, endpoint: str
) -> None:
    bot = start_bot(fresh_redis.url, ECS_WHY_OPERATORS=OPERATOR)
    before = grace(endpoint)
    ask(bot, slack, "web --cluster demo", user=OPERATOR)
    top = wait_for_headline(slack, "demo/web")
    click(bot, slack, STRANGER, top, "stranger")
    refused = slack.wait_for("response_url", lambda c: "not allowed" in c.params.get("text", ""), timeout=30)
    assert f"<@{OPERATOR}>" in refused.params["text"] and "&lt;" not in refused.params["text"]

    click(bot, slack, OPERATOR, top, "operator")
    view = slack.wait_for("views.open", timeout=30).params["view"]
    confirm = view_submission("ecs_why_confirm", view["private_metadata"], user_id=OPERATOR)
    try:
        assert send(bot.base, confirm, SECRET)[0] == 200
        slack.wait_for("chat.postMessage", lambda c: "applied" in c.params.get("text", ""), timeout=30)
        again = view_submission("ecs_why_confirm", view["private_metadata"], user_id=OPERATOR)
        assert send(bot.base, again, SECRET)[0] == 200  # a resubmitted modal: nothing is done twice
        slack.wait_for(
            "chat.postEphemeral", lambda c: "already applied" in c.params.get("text", ""), timeout=30
        )
    finally:
        restore_grace(endpoint, before)

    ask(bot, slack, "web --cluster demo", user=OPERATOR)
    fresh = wait_for_headline(slack, "demo/web", count=2)
    key = fix_button(fresh)["value"]
    redis.Redis.from_url(fresh_redis.url).delete(f"ecs-why:pending:{key}")  # what its TTL does
    click(bot, slack, OPERATOR, fresh, "late")
    slack.wait_for("response_url", lambda c: "expired" in c.params.get("text", ""), timeout=30)

    events = [(r.get("event"), r.get("stage")) for r in audit(fresh_redis.url)]
    assert ("refused", "click") in events and ("confirmation_shown", "click") in events
    assert events.count(("replayed", "confirm")) == 1 and ("expired", "click") in events
    assert [e for e, _ in events].count("applied") == 1


def test_a_slack_redelivery_is_answered_once(
    start_bot: Callable[..., Bot], slack: FakeSlackApi, fresh_redis: RedisServer
) -> None:
    bot = start_bot(fresh_redis.url)
    request = slash_command("orders --cluster demo", response_url=slack.response_url("o"))
    assert send(bot.base, request, SECRET)[0] == 200
    retried = send(bot.base, request, SECRET, extra_headers={"X-Slack-Retry-Num": "1"})
    assert retried[:2] == (200, "")
    wait_for_headline(slack, "demo/orders")
    wait_until_done(fresh_redis.url)  # a second job, had the retry made one, has run by now
    assert len(headlines(slack, "demo/orders")) == 1
    assert len(slack.calls("chat.update")) == 1, "the diagnosing message became the answer once"


def test_diagnosis_workers_answer_what_web_pods_only_accept(
    start_bot: Callable[..., Bot], slack: FakeSlackApi, fresh_redis: RedisServer
) -> None:
    web = start_bot(fresh_redis.url, ECS_WHY_JOB_THREADS="0")
    ask(web, slack, "checkout --cluster demo")
    time.sleep(2)
    assert not headlines(slack, "demo/checkout"), "the web pod only accepts"
    worker = start_bot(fresh_redis.url, "diagnosis-worker")
    assert worker.readyz() == 200
    wait_for_headline(slack, "demo/checkout", timeout=90)
    status, _, _ = send(worker.base, slash_command("orders"), SECRET)
    assert status == 404, "a diagnosis worker takes no Slack requests"
    worker.process.terminate()
    assert worker.process.wait(timeout=30) == 0
    assert len(headlines(slack, "demo/checkout")) == 1
