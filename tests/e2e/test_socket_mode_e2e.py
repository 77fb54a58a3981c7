"""The Slack bot in Socket Mode as a workspace without ingress uses it: the real `ecs-why serve
--socket-mode` asks the fake Web API for its websocket (`apps.connections.open`), connects to a local
stand-in for Slack's Socket Mode server, and gets commands, button clicks and mentions as envelopes; it
acknowledges each over the socket and its answers reach the fake Web API. AWS is the moto sandbox, state a
real redis-server."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections.abc import Iterator
from typing import Any

import pytest

from tests.builders.served_bot import buttons, free_port
from tests.e2e.conftest import ROOT, cli_env, wait_until_serving
from tests.fakes.slack_api import FakeSlackApi
from tests.fakes.slack_requests import click_on, event_callback, slash_command
from tests.fakes.slack_socket import FakeSlackSocket

pytestmark = pytest.mark.e2e
OPERATOR = "U0PERATOR"


@pytest.fixture(scope="module")
def socket() -> Iterator[FakeSlackSocket]:
    with FakeSlackSocket() as fake:
        yield fake


@pytest.fixture(scope="module")
def slack(socket: FakeSlackSocket) -> Iterator[FakeSlackApi]:
    with FakeSlackApi(socket_mode_url=lambda: socket.url) as api:
        yield api


@pytest.fixture(scope="module")
def bot(
    endpoint: str,
    redis_url: str,
    slack: FakeSlackApi,
    socket: FakeSlackSocket,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[FakeSlackSocket]:
    """`ecs-why serve --socket-mode`, connected: no signing secret, no request URL, only the app token."""
    log = tmp_path_factory.mktemp("socket-serve") / "serve.log"
    port = free_port()
    env = cli_env(endpoint) | {
        "SLACK_BOT_TOKEN": "xoxb-e2e",
        "SLACK_APP_TOKEN": "xapp-e2e",
        "SLACK_API_URL": slack.base_url,
        "REDIS_URL": redis_url,
        "ECS_WHY_OPERATORS": OPERATOR,
    }
    output = log.open("w")
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "bot.cli",
            "serve",
            "--socket-mode",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
        ],
        env=env,
        cwd=ROOT,
        stdout=output,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        wait_until_serving(f"http://127.0.0.1:{port}", process, log.read_text)
        socket.wait_connected()
        yield socket
    finally:
        process.terminate()
        try:  # serve drains for up to its shutdown grace (ECS_WHY_SHUTDOWN_GRACE_SECONDS) before it exits
            process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            process.kill()
            raise
        finally:
            output.close()


def answer_in_channel(slack: FakeSlackApi, needle: str, timeout: float = 60) -> dict[str, Any]:
    """The top-level message (posted, or updated in place) whose text holds `needle`."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for call in slack.calls("chat.update") + slack.calls("chat.postMessage"):
            if needle in call.params.get("text", "") and not call.params.get("thread_ts") and call.ok:
                return call.params | {"ts": call.params.get("ts") or call.response["ts"]}
        time.sleep(0.1)
    raise AssertionError(f"no answer with {needle!r} in the channel")


def test_the_bot_opens_its_socket_with_the_app_token(bot: FakeSlackSocket, slack: FakeSlackApi) -> None:
    opened = slack.calls("apps.connections.open")
    assert opened and opened[0].token == "xapp-e2e" and opened[0].ok
    assert "ticket=" in bot.wait_connected()


def test_help_and_a_typo_are_answered_in_the_acknowledgement(
    bot: FakeSlackSocket, slack: FakeSlackApi
) -> None:
    ack = bot.wait_ack(bot.send("slash_commands", slash_command("help").payload))
    assert "subscribe" in ack["payload"]["text"]
    slack.clear()
    ack = bot.wait_ack(
        bot.send("slash_commands", slash_command("web —cluster demo —since yesterday").payload)
    )
    assert "use a number and a unit" in ack["payload"]["text"]
    time.sleep(1)
    assert not slack.calls("chat.postMessage"), "nothing is posted for a command that cannot run"


def test_a_command_over_the_socket_then_its_fix_button_opens_the_modal(
    bot: FakeSlackSocket, slack: FakeSlackApi
) -> None:
    slack.clear()
    command = slash_command("web --cluster demo", user_id=OPERATOR, response_url=slack.response_url("sock"))
    envelope = bot.send("slash_commands", command.payload)
    assert bot.wait_ack(envelope) == {"envelope_id": envelope}, (
        "a valid command is acknowledged, no ephemeral"
    )
    placeholder = slack.wait_for(
        "chat.postMessage", lambda c: "Diagnosing web" in c.params.get("text", ""), timeout=30
    )
    top = answer_in_channel(slack, "elb_health_check")
    assert "demo/web" in top["text"] and top["ts"] == placeholder.response["ts"]
    slack.wait_for("chat.postMessage", lambda c: c.params.get("thread_ts") == top["ts"], timeout=30)
    fix = next(b for b in buttons(top) if b["action_id"].startswith("ecs_why_fix"))

    click = click_on(top, fix, OPERATOR)
    envelope = bot.send("interactive", click.payload)
    assert bot.wait_ack(envelope) == {"envelope_id": envelope}
    opened = slack.wait_for("views.open", timeout=30)
    assert opened.params["trigger_id"] == click.payload["trigger_id"], "the modal opens for that click"
    shown = json.dumps(opened.params["view"])
    assert "190 s" in shown and "aws ecs update-service" in shown


def test_a_mention_in_the_thread_arrives_as_an_event_and_is_answered_there(
    bot: FakeSlackSocket, slack: FakeSlackApi
) -> None:
    slack.clear()
    bot.wait_ack(bot.send("slash_commands", slash_command("checkout --cluster demo").payload))
    top = answer_in_channel(slack, "oom")
    event = {"type": "app_mention", "user": "U1", "text": "<@UBOT> tasks", "channel": "C1",
             "ts": f"{time.time():.6f}", "thread_ts": top["ts"]}  # fmt: skip
    envelope = bot.send("events_api", event_callback(event).payload)
    assert bot.wait_ack(envelope) == {"envelope_id": envelope}
    tasks = slack.wait_for(
        "chat.postMessage",
        lambda c: c.params.get("thread_ts") == top["ts"] and c.params["text"].startswith("Stopped tasks"),
        timeout=60,
    )
    assert "exit 137" in tasks.params["blocks"][0]["text"]["text"]


def test_every_envelope_is_acknowledged_once(bot: FakeSlackSocket) -> None:
    """What the bot sent over the socket: one acknowledgement per envelope the stand-in delivered."""
    acked = [m.get("envelope_id") for m in bot.received()]
    assert sorted(acked) == sorted(bot.sent()) and len(acked) >= 5, bot.received()
