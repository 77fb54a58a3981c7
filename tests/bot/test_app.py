"""The web app beside Slack: /healthz, /readyz (Redis and the bot token), /metrics, 404, and Bolt's
signature check on POST /slack/events. Driven as WSGI, with the fake Slack Web API and a real Redis."""

from __future__ import annotations

import io
import json
import time
from collections.abc import Callable, Iterator
from typing import Any
from urllib.parse import urlencode

import pytest
import redis
from slack_bolt import BoltRequest

from bot import metrics
from bot.app import WebApp, build_web_app, read_form_again
from bot.settings import Settings
from bot.store import Store
from handlers.unanswered import tell_unanswered
from tests.fakes.slack_api import FakeSlackApi
from tests.fakes.slack_requests import sign, slash_command, view_submission

SECRET = "app-test-secret"


@pytest.fixture
def slack() -> Iterator[FakeSlackApi]:
    with FakeSlackApi() as api:
        yield api


def settings(slack: FakeSlackApi, monkeypatch: pytest.MonkeyPatch) -> Settings:
    for name in ("SLACK_BOT_TOKEN", "SLACK_SIGNING_SECRET", "SLACK_APP_TOKEN", "SLACK_API_URL", "REDIS_URL"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    return Settings(
        slack_bot_token="xoxb-test",
        slack_signing_secret=SECRET,
        slack_api_url=slack.url,
        aws_region="us-east-1",
    )


def call(app: WebApp, path: str, method: str = "GET", body: bytes = b"", headers: dict[str, str] | None = None) -> tuple[int, str]:  # noqa: E501
    status: list[str] = []

    def start_response(line: str, _headers: list[tuple[str, str]]) -> Callable[..., Any]:
        status.append(line)
        return lambda *_: None

    environ = {
        "PATH_INFO": path,
        "REQUEST_METHOD": method,
        "QUERY_STRING": "",
        "SERVER_NAME": "127.0.0.1",
        "SERVER_PORT": "80",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "wsgi.url_scheme": "http",
        "wsgi.input": io.BytesIO(body),
        "CONTENT_LENGTH": str(len(body)),
        "CONTENT_TYPE": "application/x-www-form-urlencoded",
    }
    for name, value in (headers or {}).items():
        environ["HTTP_" + name.upper().replace("-", "_")] = value
    out = b"".join(app(environ, start_response))
    return int(status[0].split()[0]), out.decode()


@pytest.fixture
def app(slack: FakeSlackApi, store: Store, monkeypatch: pytest.MonkeyPatch) -> Iterator[WebApp]:
    web = build_web_app(settings(slack, monkeypatch), store)
    yield web
    web.close()


def test_healthz(app: WebApp) -> None:
    assert call(app, "/healthz") == (200, "ok\n")


def test_readyz_when_redis_and_the_token_work(app: WebApp, slack: FakeSlackApi) -> None:
    assert call(app, "/readyz") == (200, "ready\n")
    assert slack.calls("auth.test")


def test_readyz_503_names_redis_when_it_is_down(
    slack: FakeSlackApi, redis_server_factory: Callable[[], Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    server = redis_server_factory()
    client = redis.Redis.from_url(server.url, decode_responses=True, socket_timeout=0.5, socket_connect_timeout=0.5)
    app = build_web_app(settings(slack, monkeypatch), Store(client), start_workers=False)
    assert call(app, "/readyz")[0] == 200
    server.stop()
    status, body = call(app, "/readyz")
    assert status == 503 and "redis" in body and "slack" not in body


def test_readyz_503_when_the_token_is_refused(slack: FakeSlackApi, store: Store, monkeypatch: pytest.MonkeyPatch) -> None:  # noqa: E501
    slack.fail_next("auth.test", "invalid_auth")
    app = build_web_app(settings(slack, monkeypatch), store, start_workers=False)
    status, body = call(app, "/readyz")
    assert status == 503 and "invalid_auth" in body
    assert call(app, "/readyz") == (200, "ready\n"), "checked again until it works"


def test_metrics(app: WebApp) -> None:
    status, body = call(app, "/metrics")
    assert status == 200
    for name in ("ecs_why_slack_requests_total", "ecs_why_diagnoses_total", "ecs_why_actions_total"):
        assert name in body


def test_unknown_path(app: WebApp) -> None:
    assert call(app, "/nope") == (404, "not found\n")
    assert call(app, "/slack/events", "GET")[0] == 404


def test_bad_signature_is_401(app: WebApp) -> None:
    request = slash_command("help")
    headers = sign(request.body, SECRET + "-wrong")
    assert call(app, "/slack/events", "POST", request.body, headers)[0] == 401


def test_good_signature_gets_the_help(app: WebApp) -> None:
    request = slash_command("help")
    status, body = call(app, "/slack/events", "POST", request.body, sign(request.body, SECRET))
    assert status == 200 and "subscribe" in body


def test_slow_diagnoses_do_not_starve_the_ack(app: WebApp) -> None:
    import threading
    from concurrent.futures import ThreadPoolExecutor

    release = threading.Event()

    class Blocked:
        def run(self, *args: Any, **kwargs: Any) -> Any:
            release.wait(20)
            raise RuntimeError("released")

        def close(self) -> None:
            release.set()

    app.services.diagnoser = Blocked()  # type: ignore[assignment]

    def one(i: int) -> int:
        request = slash_command(f"web{i} --cluster prod")
        return call(app, "/slack/events", "POST", request.body, sign(request.body, SECRET))[0]

    try:
        with ThreadPoolExecutor(max_workers=3) as pool:
            first = list(pool.map(one, range(5)))  # five diagnoses now hold the listener threads
            sixth = one(5)
    finally:
        release.set()
    assert first == [200] * 5
    assert sixth == 200


@pytest.mark.parametrize(
    ("body", "headers"),
    [
        (b"\xff\xfe\x00binary\x80", {"X-Slack-Request-Timestamp": "1700000000", "X-Slack-Signature": "v0=00"}),
        (b"payload=%7Bbroken", {"X-Slack-Request-Timestamp": "not-a-number", "X-Slack-Signature": "v0=00"}),
        (b"command=%2Fecs-why&text=web", {}),
        (b"command=%2Fecs-why&text=web", {"X-Slack-Request-Timestamp": "\u0663\u0663", "X-Slack-Signature": "x"}),
    ],
)
def test_unauthenticated_malformed_requests_are_401_without_a_traceback(
    app: WebApp, body: bytes, headers: dict[str, str], caplog: pytest.LogCaptureFixture
) -> None:
    assert call(app, "/slack/events", "POST", body, headers)[0] == 401
    assert not [r for r in caplog.records if r.exc_info], "no traceback"


def test_a_hundred_refusals_log_one_short_line(app: WebApp, caplog: pytest.LogCaptureFixture) -> None:
    for i in range(100):
        call(app, "/slack/events", "POST", bytes([i, 255, 0]), {"X-Slack-Request-Timestamp": str(i)})
    lines = [r for r in caplog.records if r.name.startswith("bot")]
    assert len(lines) == 1 and len(lines[0].getMessage()) < 200


@pytest.mark.parametrize(
    "body", [b"payload=%7Bbroken", b"payload=%5B1%5D", b"\xff\xfe binary", b"a=b&&&=;;", b"{=1}"]
)
def test_signed_but_malformed_payloads_are_400(app: WebApp, body: bytes) -> None:
    assert call(app, "/slack/events", "POST", body, sign(body, SECRET))[0] == 400


def shaped(**changes: Any) -> bytes:
    """A signed modal submission (as Slack sends it) with some of its fields replaced (None: removed)."""
    payload = view_submission("ecs_why_confirm", "{}").payload
    for name, value in changes.items():
        part, _, field = name.partition("__")
        target = payload[part] if field else payload
        key = field or part
        if value is None:
            target.pop(key, None)
        else:
            target[key] = value
    return urlencode({"payload": json.dumps(payload)}).encode()


@pytest.mark.parametrize(
    "body",
    [
        shaped(view__type=None),
        shaped(view="a string"),
        shaped(view=None),
        shaped(type="block_actions", actions=[]),
        shaped(type="event_callback", event="message"),
    ],
    ids=["view-without-type", "view-a-string", "no-view", "no-actions", "event-a-string"],
)
def test_a_signed_payload_missing_what_bolt_reads_is_400_without_a_traceback(
    app: WebApp, body: bytes, caplog: pytest.LogCaptureFixture
) -> None:
    status, said = call(app, "/slack/events", "POST", body, sign(body, SECRET))
    assert (status, said) == (400, "signed body that is not a Slack payload\n")
    assert not [r for r in caplog.records if r.exc_info], "no traceback in the log"


def test_a_slack_redelivery_is_not_answered_twice(
    slack: FakeSlackApi, store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    app = build_web_app(settings(slack, monkeypatch), store, start_workers=False)
    request = slash_command("web --cluster prod")
    assert call(app, "/slack/events", "POST", request.body, sign(request.body, SECRET))[0] == 200
    retry = {**sign(request.body, SECRET), "X-Slack-Retry-Num": "1", "X-Slack-Retry-Reason": "http_timeout"}
    assert call(app, "/slack/events", "POST", request.body, retry) == (200, "")
    assert store.pending_jobs() == 1, "one job for the command, none for its re-delivery"

    lost = slash_command("orders --cluster prod")  # a retry of a delivery that never arrived is new
    headers = {**sign(lost.body, SECRET), "X-Slack-Retry-Num": "1"}
    assert call(app, "/slack/events", "POST", lost.body, headers)[0] == 200
    assert store.pending_jobs() == 2


def test_a_retry_that_arrives_before_the_first_delivery_is_queued_gives_one_job(
    slack: FakeSlackApi, store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Slack retries an ack it did not get in 3 s: the retry may be queued while the first is still
    acknowledging; whichever writes the job first wins and the other queues nothing."""
    app = build_web_app(settings(slack, monkeypatch), store, start_workers=False)
    request = slash_command("web --cluster prod")
    retry = {**sign(request.body, SECRET), "X-Slack-Retry-Num": "1", "X-Slack-Retry-Reason": "http_timeout"}
    assert call(app, "/slack/events", "POST", request.body, retry)[0] == 200
    assert call(app, "/slack/events", "POST", request.body, sign(request.body, SECRET))[0] == 200
    assert store.pending_jobs() == 1


def test_help_and_a_typo_are_answered_by_the_ack_alone_and_queue_no_job(
    slack: FakeSlackApi, store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    app = build_web_app(settings(slack, monkeypatch), store, start_workers=False)
    for text, says in [("help", "/ecs-why"), ("web --clutser prod", "unknown option --clutser")]:
        request = slash_command(text)
        status, body = call(app, "/slack/events", "POST", request.body, sign(request.body, SECRET))
        assert status == 200 and says in body
    assert store.pending_jobs() == 0
    request = slash_command("web --cluster prod")
    assert call(app, "/slack/events", "POST", request.body, sign(request.body, SECRET)) == (200, "")
    assert store.pending_jobs() == 1, "a diagnosis is a job"


def test_the_job_workers_tell_the_user_of_a_job_that_went_unanswered(app: WebApp) -> None:
    """The composition root gives the workers Slack's way to say it (handlers/unanswered.py)."""
    assert app.workers is not None and app.workers.tell is tell_unanswered


def test_each_slack_request_is_logged_once_not_again_when_its_job_runs(
    app: WebApp, slack: FakeSlackApi, caplog: pytest.LogCaptureFixture
) -> None:
    class Failing:
        def run(self, *args: Any, **kwargs: Any) -> Any:
            raise RuntimeError("no AWS here")

        def close(self) -> None:
            return None

    app.services.diagnoser = Failing()  # type: ignore[assignment]
    caplog.set_level("INFO", logger="ecs_why.activity")
    request = slash_command("web --cluster prod", response_url=slack.response_url("once"))
    assert call(app, "/slack/events", "POST", request.body, sign(request.body, SECRET))[0] == 200
    deadline = time.monotonic() + 30
    while app.services.store.pending_jobs() or (app.workers and app.workers.busy) or not slack.calls():
        assert time.monotonic() < deadline, "the job did not run"
        time.sleep(0.05)
    lines = [r.getMessage() for r in caplog.records if r.name == "ecs_why.activity"]
    assert [line for line in lines if line.startswith("request ")] == [
        next(line for line in lines if line.startswith("request kind=command"))
    ], lines


def test_the_request_line_and_the_ack_histogram_time_the_whole_ack(
    slack: FakeSlackApi, store: Store, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """ack_ms and ecs_why_slack_ack_seconds include queueing the job (here made to take 50 ms)."""
    app = build_web_app(settings(slack, monkeypatch), store, start_workers=False)
    enqueue = store.enqueue_job

    def slow_enqueue(*args: Any, **kwargs: Any) -> str | None:
        time.sleep(0.05)
        return enqueue(*args, **kwargs)

    monkeypatch.setattr(store, "enqueue_job", slow_enqueue)
    acks = metrics.REGISTRY.get_sample_value("ecs_why_slack_ack_seconds_count") or 0
    caplog.set_level("INFO", logger="ecs_why.activity")
    request = slash_command("web --cluster prod")
    assert call(app, "/slack/events", "POST", request.body, sign(request.body, SECRET)) == (200, "")
    lines = [r for r in caplog.records if r.getMessage().startswith("request kind=")]
    assert len(lines) == 1 and lines[0].ecs_why_fields["ack_ms"] >= 50, [r.getMessage() for r in lines]
    assert metrics.REGISTRY.get_sample_value("ecs_why_slack_ack_seconds_count") == acks + 1
    assert store.pending_jobs() == 1


@pytest.mark.parametrize(
    "request_",
    [slash_command("help", channel_name="payload-team"), slash_command("help", user_name="payload-bot")],
)
def test_a_command_whose_fields_hold_the_word_payload_is_answered(app: WebApp, request_: Any) -> None:
    """slack-bolt reads a form that holds "payload" anywhere as a `payload` field; finding none, as {}."""
    status, body = call(app, "/slack/events", "POST", request_.body, sign(request_.body, SECRET))
    assert status == 200 and "subscribe" in body


def test_a_service_named_payload_is_diagnosed(app: WebApp, slack: FakeSlackApi) -> None:
    asked: list[str] = []

    class Recording:
        def run(self, *args: Any, **kwargs: Any) -> Any:
            asked.append(repr((args, kwargs)))
            raise RuntimeError("no AWS here")

        def close(self) -> None:
            return None

    app.services.diagnoser = Recording()  # type: ignore[assignment]
    request = slash_command("payload-api --cluster prod", response_url=slack.response_url("payload"))
    assert call(app, "/slack/events", "POST", request.body, sign(request.body, SECRET))[0] == 200
    deadline = time.monotonic() + 30
    while not asked or app.services.store.pending_jobs() or (app.workers and app.workers.busy):
        assert time.monotonic() < deadline, "the job did not run"
        time.sleep(0.05)
    assert "payload-api" in asked[0]


def test_a_form_read_again_gets_the_context_bolt_builds_for_any_other_form() -> None:
    """read_form_again works around slack-bolt's parse_body (a form holding the word "payload" read as {})
    with Bolt's internal build_context. When an upgrade renames it, changes its arguments or what it reads,
    or fixes parse_body (then the workaround goes), this fails."""
    url, trigger = "https://hooks.example/r", "13.1"
    plain = slash_command("web --cluster prod", response_url=url, trigger_id=trigger)
    worded = slash_command("web --cluster prod", response_url=url, trigger_id=trigger, channel_name="payload-x")
    read_by_bolt = BoltRequest(body=plain.body.decode(), headers={"content-type": plain.content_type})
    read_again = BoltRequest(body=worded.body.decode(), headers={"content-type": worded.content_type})
    assert read_again.body == {}, "slack-bolt now reads such a form: remove bot.app.read_form_again"
    read_form_again(read_again)
    assert read_again.body == {**read_by_bolt.body, "channel_name": "payload-x"}
    assert dict(read_again.context) == dict(read_by_bolt.context)
    assert {"user_id", "team_id", "channel_id", "response_url"} <= set(read_again.context)
