"""A durable job that ends without its answer tells the asking user why, only to them, through the
request's response_url; a job the user cannot be told about (no response_url, Slack down) is only logged."""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import fakeredis
import pytest
from slack_bolt import Ack, App, BoltRequest
from slack_sdk import WebClient

from bot.jobs import MAX_ATTEMPTS, DurableLazyRunner, JobWorkers
from bot.store import Store
from handlers.unanswered import tell_unanswered
from tests.fakes.slack_api import FakeSlackApi
from tests.fakes.slack_requests import slash_command


@pytest.fixture
def slack() -> Iterator[FakeSlackApi]:
    with FakeSlackApi() as api:
        yield api


@pytest.fixture
def store() -> Store:
    return Store(fakeredis.FakeRedis(server=fakeredis.FakeServer(), decode_responses=True))


def durable_app(store: Store, slack: FakeSlackApi, runs: list[str]) -> App:
    app = App(
        client=WebClient(token="xoxb-test", base_url=slack.url),
        signing_secret="unused",
        process_before_response=True,
        token_verification_enabled=False,
        request_verification_enabled=False,
    )
    app.listener_runner.lazy_listener_runner = DurableLazyRunner(store, ThreadPoolExecutor(1))

    def ack_command(ack: Ack) -> None:
        ack(text="accepted")

    def answer(command: dict[str, Any]) -> None:
        runs.append(command["text"])

    app.command("/ecs-why")(ack=ack_command, lazy=[answer])
    return app


def request(slack: FakeSlackApi) -> BoltRequest:
    typed = slash_command("web --cluster prod", response_url=slack.response_url("asker"))
    return BoltRequest(body=typed.body.decode(), headers={"content-type": typed.content_type})


def test_a_job_given_up_after_its_attempts_tells_the_user_and_does_not_run(
    store: Store, slack: FakeSlackApi
) -> None:
    runs: list[str] = []
    app = durable_app(store, slack, runs)
    assert app.dispatch(request(slack)).status == 200
    [(entry_id, job)] = store.take_jobs("worker")
    for _ in range(MAX_ATTEMPTS):  # three workers took it and died
        store.job_started(job["id"])
    JobWorkers(app, store, threads=1, tell=tell_unanswered).run("worker", entry_id, job)
    assert runs == [], "a job past its attempts is not run a fourth time"
    [told] = slack.responses()
    assert told["response_type"] == "ephemeral" and told["replace_original"] is False
    assert f"after {MAX_ATTEMPTS} attempts" in told["text"] and "try again" in told["text"]
    assert store.pending_jobs() == 0, "and it leaves the queue"


def test_a_job_the_app_refuses_tells_the_user_to_try_again(store: Store, slack: FakeSlackApi) -> None:
    tell_unanswered(request(slack), "refused")
    [told] = slack.responses()
    assert "could not process this request" in told["text"] and told["response_type"] == "ephemeral"


def test_without_a_response_url_or_with_slack_down_nothing_raises(
    slack: FakeSlackApi, caplog: pytest.LogCaptureFixture
) -> None:
    event = BoltRequest(body='{"type": "event_callback", "event": {"type": "app_mention"}}', headers={})
    tell_unanswered(event, "gave_up")
    assert slack.responses() == []
    slack.server_error_always("response_url")
    tell_unanswered(request(slack), "gave_up")
    assert "could not tell the user through response_url" in caplog.text
