"""A rolling upgrade loses no click, with the real `ecs-why serve`: a fix button stored by the version before
the typed records (its JSON byte for byte as that version wrote it) is clicked on one process, confirmed
on another started after it stopped, and confirmed again: ECS changes once, the thread says so once, the
second confirm is told it was already applied. A real redis-server, the fake Slack Web API, the moto
sandbox."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import redis

from tests.builders.served_bot import OPERATOR, SECRET, audit, free_port, grace, restore_grace
from tests.conftest import RedisServer
from tests.e2e.conftest import ROOT, cli_env, wait_until_serving
from tests.fakes.slack_api import FakeSlackApi
from tests.fakes.slack_requests import block_action, send, view_submission

pytestmark = pytest.mark.e2e

# What the previous version (54b5c83) stored for a grace period button on demo/web; SECONDS filled in.
OLD_BUTTON = (
    '{"action":{"kind":"raise_grace_period","label":"Raise the health check grace period to SECONDS s",'
    '"params":{"cluster":"demo","seconds":SECONDS,"service":"web"},"risk":"low"},"category":"elb_health_check",'
    '"channel":"C1","command":"web --cluster demo","offered_to":"U0PERATOR","target":{"account":"123456789012",'
    '"account_alias":null,"cluster":"demo","region":"us-east-1","service":"web"}}'
)


@pytest.fixture
def serve(
    endpoint: str, slack: FakeSlackApi, tmp_path: Path
) -> Iterator[Callable[[str], tuple[str, subprocess.Popen[bytes]]]]:
    """`serve(redis_url)`: one `ecs-why serve` process (its base URL and process); all stopped at the end."""
    started: list[subprocess.Popen[bytes]] = []

    def start(redis_url: str) -> tuple[str, subprocess.Popen[bytes]]:
        port, output = free_port(), tmp_path / f"serve-{len(started)}.log"
        env = cli_env(endpoint) | {
            "SLACK_BOT_TOKEN": "xoxb-e2e",
            "SLACK_SIGNING_SECRET": SECRET,
            "SLACK_API_URL": slack.base_url,
            "REDIS_URL": redis_url,
            "ECS_WHY_OPERATORS": OPERATOR,
        }
        with output.open("wb") as sink:
            process = subprocess.Popen(
                [sys.executable, "-m", "bot.cli", "serve", "--host", "127.0.0.1", "--port", str(port)],
                env=env, cwd=ROOT, stdout=sink, stderr=subprocess.STDOUT,
            )  # fmt: skip
        started.append(process)
        base = f"http://127.0.0.1:{port}"
        wait_until_serving(base, process, output.read_text)
        return base, process

    yield start
    for process in started:
        if process.poll() is None:
            process.kill()
            process.wait(timeout=10)


def test_a_button_stored_before_the_upgrade_is_applied_once_by_the_new_version(
    serve: Callable[[str], tuple[str, subprocess.Popen[bytes]]],
    slack: FakeSlackApi,
    redis_server_factory: Callable[[], RedisServer],
    endpoint: str,
) -> None:
    store = redis_server_factory()
    before = grace(endpoint)
    seconds = before + 60
    redis.Redis.from_url(store.url).set(
        "ecs-why:pending:OLDKEY", OLD_BUTTON.replace("SECONDS", str(seconds)), ex=900
    )
    first, process = serve(store.url)
    assert send(first, block_action("ecs_why_fix:0", "OLDKEY", user_id=OPERATOR), SECRET)[0] == 200
    view = slack.wait_for("views.open", timeout=30).params["view"]
    assert f"{seconds} s" in str(view["blocks"])
    process.terminate()  # the rolling upgrade: the process that showed the modal is gone
    process.wait(timeout=30)

    second, _ = serve(store.url)
    confirm = view_submission("ecs_why_confirm", view["private_metadata"], user_id=OPERATOR)
    try:
        assert send(second, confirm, SECRET)[0] == 200
        applied = slack.wait_for(
            "chat.postMessage", lambda c: "applied" in c.params.get("text", ""), timeout=30
        )
        assert (
            f"<@{OPERATOR}> applied" in applied.params["text"] and f"→ {seconds} s" in applied.params["text"]
        )
        assert grace(endpoint) == seconds
        # submitted again (its own trigger_id, as Slack sends a new submission; the same bytes again are a
        # re-delivery, answered 200 and queued once): nothing is done twice, and the operator is told
        again = view_submission("ecs_why_confirm", view["private_metadata"], user_id=OPERATOR)
        assert send(second, again, SECRET)[0] == 200
        slack.wait_for(
            "chat.postEphemeral", lambda c: "already applied" in c.params.get("text", ""), timeout=30
        )
    finally:
        restore_grace(endpoint, before)
    assert [r.get("event") for r in audit(store.url)].count("applied") == 1
