"""`ecs-why serve`'s HTTP server: more concurrent Slack requests than it has request threads are all
acknowledged, each once, over a real socket (waitress, as serve runs it)."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import pytest

from bot.app import build_web_app
from bot.serving import GracefulServer
from bot.settings import Settings
from bot.store import Store
from tests.conftest import _free_port
from tests.fakes.slack_api import FakeSlackApi
from tests.fakes.slack_requests import send, slash_command

SECRET = "serving-test-secret"


@pytest.fixture
def served(store: Store, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[str, int]]:
    """(base URL, request threads) of a GracefulServer as `ecs-why serve` builds it."""
    with FakeSlackApi() as slack:
        for name in (
            "SLACK_BOT_TOKEN",
            "SLACK_SIGNING_SECRET",
            "SLACK_APP_TOKEN",
            "SLACK_API_URL",
            "REDIS_URL",
        ):
            monkeypatch.delenv(name, raising=False)
        monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
        settings = Settings(slack_bot_token="xoxb-test", slack_signing_secret=SECRET, slack_api_url=slack.url)
        web = build_web_app(settings, store, start_workers=False)  # jobs stay queued
        port = _free_port()
        server = GracefulServer(web, "127.0.0.1", port, grace_seconds=1)
        runner = threading.Thread(target=server.server.run, daemon=True)
        runner.start()
        try:
            yield f"http://127.0.0.1:{port}", server.server.adj.threads
        finally:
            server.server.close()
            runner.join(10)
            web.close()


def test_more_concurrent_requests_than_request_threads_are_each_acknowledged_once(
    served: tuple[str, int], store: Store
) -> None:
    base, threads = served
    texts = [f"web{i} --cluster prod" if i % 2 else "help" for i in range(3 * threads)]

    def one(i: int) -> tuple[int, str]:
        status, body, _elapsed = send(base, slash_command(texts[i], user_id=f"U{i}"), SECRET, timeout=60)
        return status, body

    with ThreadPoolExecutor(max_workers=2 * threads) as pool:
        answers = list(pool.map(one, range(len(texts))))

    assert [status for status, _ in answers] == [200] * len(texts)
    assert all("subscribe" in body for (_, body), text in zip(answers, texts, strict=True) if text == "help")
    assert store.pending_jobs() == len(texts) // 2  # one job per diagnosis, none for help
