"""Guardrails on the running bot: two real `ecs-why serve` replicas on one real Redis, signed requests,
the fake Slack Web API and the moto sandbox. An approval round trip with two people (the request asked on
one replica, approved on the other), self-approval refused, a denied click, and the audit read back in
Slack and in a terminal."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import redis

from tests.builders.served_bot import buttons, free_port, grace, headline, log_records, restore_grace
from tests.conftest import start_redis_server
from tests.e2e.conftest import ROOT, cli_env, wait_until_serving
from tests.fakes.slack_api import FakeSlackApi
from tests.fakes.slack_requests import click_on, send, slash_command, view_submission

pytestmark = pytest.mark.e2e
SECRET = "e2e-guardrails-secret"
ASKER, APPROVER, OUTSIDER = "U0ASKER", "U0APPROVER", "U0OUTSIDER"
RULES = [
    {"name": "web-two-person", "mode": "approve", "clusters": ["demo"], "services": ["web"],
     "actions": ["raise_grace_period"], "users": [ASKER, APPROVER], "approvers": [APPROVER]},
    {"name": "anyone-on-checkout", "mode": "allow", "services": ["checkout"], "users": ["*"]},
    {"name": "checkout-frozen", "mode": "deny", "clusters": ["demo"], "services": ["check*"], "users": ["*"]},
]  # fmt: skip


@pytest.fixture(scope="module")
def slack() -> Iterator[FakeSlackApi]:
    with FakeSlackApi() as api:
        yield api


@pytest.fixture(scope="module")
def own_redis(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A Redis of this module only: the audit read back holds these tests' records and nothing else."""
    server = start_redis_server(tmp_path_factory.mktemp("guard-redis"))
    try:
        yield server.url
    finally:
        server.stop()


@pytest.fixture(scope="module")
def logs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("guard-serve")


@pytest.fixture(scope="module")
def replicas(endpoint: str, own_redis: str, slack: FakeSlackApi, logs: Path) -> Iterator[list[str]]:
    env = cli_env(endpoint) | {
        "SLACK_BOT_TOKEN": "xoxb-e2e",
        "SLACK_SIGNING_SECRET": SECRET,
        "SLACK_API_URL": slack.base_url,
        "REDIS_URL": own_redis,
        "ECS_WHY_GUARDRAILS": json.dumps(RULES),
        "ECS_WHY_LOG_FORMAT": "json",
    }
    started: list[tuple[subprocess.Popen[str], Any]] = []
    bases = []
    try:
        for name in ("a", "b"):
            port, log = free_port(), logs / f"{name}.log"
            output = log.open("w")
            process = subprocess.Popen(
                [sys.executable, "-m", "bot.cli", "serve", "--host", "127.0.0.1", "--port", str(port)],
                env=env, cwd=ROOT, stdout=output, stderr=subprocess.STDOUT, text=True,
            )  # fmt: skip
            started.append((process, output))
            base = f"http://127.0.0.1:{port}"
            wait_until_serving(base, process, log.read_text)
            bases.append(base)
        yield bases
    finally:
        for process, _output in started:
            process.terminate()  # both drain at once, as a rollout stops its pods
        for process, output in started:
            try:
                process.wait(timeout=10)  # an error of the test when slower: none is left running
            finally:
                if process.poll() is None:
                    process.kill()
                    process.wait()
                output.close()


def audit(url: str) -> list[dict[str, Any]]:
    client = redis.Redis.from_url(url, decode_responses=True)
    return [json.loads(fields["record"]) for _, fields in client.xrange("ecs-why:audit")]


def click(
    bot: str, slack: FakeSlackApi, top: dict[str, Any], button: dict[str, Any], user: str, name: str
) -> str:
    """Press a button on a message as `user`; returns the response URL its ephemeral answers go to."""
    url = slack.response_url(name)
    send(
        bot,
        click_on(top, button, user, response_url=url),
        SECRET,
    )
    return url


def answered(slack: FakeSlackApi, url: str) -> str:
    call = slack.wait_for("response_url", lambda c: c.path.endswith(url.rsplit("/", 1)[-1]), timeout=30)
    return json.dumps(call.params, ensure_ascii=False)


def test_an_approval_round_trip_with_two_people_across_replicas(
    replicas: list[str], slack: FakeSlackApi, endpoint: str, own_redis: str, logs: Path
) -> None:
    first, second = replicas
    slack.clear()
    before = grace(endpoint)
    send(
        first,
        slash_command("web --cluster demo", user_id=ASKER, response_url=slack.response_url("cmd")),
        SECRET,
    )
    top = headline(slack, "elb_health_check")
    fix = next(b for b in buttons(top) if b["action_id"].startswith("ecs_why_fix"))
    click(first, slack, top, fix, ASKER, "open")
    modal = slack.wait_for("views.open", timeout=30).params["view"]
    shown = json.dumps(modal, ensure_ascii=False)
    assert modal["submit"]["text"] == "Request approval"
    assert "`web-two-person`" in shown and f"Who may approve: <@{APPROVER}>" in shown

    view = slack.views()[-1]
    send(
        first, view_submission("ecs_why_confirm", view["private_metadata"], user_id=ASKER, view=view), SECRET
    )
    asked = slack.wait_for(
        "chat.postMessage",
        lambda c: c.params.get("thread_ts") == top["ts"] and "Approval needed" in c.params.get("text", ""),
        timeout=30,
    )
    request = asked.params | {"ts": asked.response["ts"], "thread_ts": top["ts"]}
    text = json.dumps(request["blocks"], ensure_ascii=False)
    assert f"{before} s → *190 s*" in text and f"<@{ASKER}> asks for" in text and "Expires" in text
    approve = next(b for b in buttons(request) if b["action_id"] == "ecs_why_approve")
    assert grace(endpoint) == before, "asking for approval changes nothing"

    own = click(second, slack, request, approve, ASKER, "self")
    assert "a second, different person must approve it" in answered(slack, own)
    assert grace(endpoint) == before, "the requester cannot approve their own change"

    click(second, slack, request, approve, APPROVER, "approve")
    slack.wait_for(
        "chat.postMessage",
        lambda c: (
            f"approved by <@{APPROVER}>" in c.params.get("text", "")
            and c.params.get("thread_ts") == top["ts"]
        ),
        timeout=30,
    )
    assert grace(endpoint) == 190
    marked = slack.wait_for("chat.update", lambda c: c.params.get("ts") == request["ts"], timeout=30)
    assert not buttons(marked.params), "the request's buttons give way to its outcome"

    again = click(first, slack, request, approve, APPROVER, "again")
    assert "already approved" in answered(slack, again)
    records = audit(own_redis)
    applied = [r for r in records if r["event"] == "applied"]
    assert len(applied) == 1, "approved twice, applied once"
    assert (applied[0]["user"], applied[0]["approved_by"], applied[0]["rule"]) == (
        ASKER,
        APPROVER,
        "web-two-person",
    )
    assert applied[0]["aws_request_id"]
    assert any(r["event"] == "refused" and r.get("why") == "self-approval" for r in records)
    changes = [r for name in ("a", "b") for r in log_records(logs / f"{name}.log", "change")]
    assert [(c["who"], c["approved_by"], c["rule"]) for c in changes] == [(ASKER, APPROVER, "web-two-person")]
    restore_grace(endpoint, before)


def test_a_denied_click_opens_no_modal_and_names_the_rule(
    replicas: list[str], slack: FakeSlackApi, own_redis: str
) -> None:
    slack.clear()
    send(
        replicas[0],
        slash_command("checkout --cluster demo", user_id=OUTSIDER, response_url=slack.response_url("c")),
        SECRET,
    )
    top = headline(slack, "oom")
    fix = next(b for b in buttons(top) if b["action_id"].startswith("ecs_why_fix"))
    refused = answered(slack, click(replicas[1], slack, top, fix, OUTSIDER, "denied"))
    assert "guardrail rule checkout-frozen denies" in refused, "deny wins over the allow rule listed first"
    time.sleep(1)
    assert not slack.calls("views.open"), "no confirmation modal for a denied click"
    denied = [r for r in audit(own_redis) if r["event"] == "refused" and r["user"] == OUTSIDER]
    assert denied and denied[0]["rule"] == "checkout-frozen" and denied[0]["stage"] == "click"


def test_the_audit_in_slack_and_in_a_terminal(
    replicas: list[str], slack: FakeSlackApi, endpoint: str, own_redis: str
) -> None:
    """After the round trip above: who asked, who approved, what changed, the request ID, the outcome."""
    slack.clear()
    url = slack.response_url("audit")
    send(replicas[1], slash_command("audit web --since 1d", user_id=OUTSIDER, response_url=url), SECRET)
    answer = slack.wait_for("response_url", lambda c: c.path.endswith("audit"), timeout=30).params
    assert answer["response_type"] == "ephemeral"
    text = json.dumps(answer["blocks"], ensure_ascii=False)
    assert "*applied*" in text and f"asked by <@{ASKER}>" in text and f"approved by <@{APPROVER}>" in text
    assert "→ *190 s*" in text and "`web-two-person`" in text and "AWS request `" in text

    result = subprocess.run(
        [sys.executable, "-m", "bot.cli", "audit", "web", "--since", "1d", "--json"],
        env=cli_env(endpoint) | {"REDIS_URL": own_redis},
        cwd=ROOT, capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    records = [json.loads(line) for line in result.stdout.splitlines()]
    applied = next(r for r in records if r["event"] == "applied")
    assert (applied["user"], applied["approved_by"]) == (ASKER, APPROVER)
    assert applied["changes"][0][2] == "190 s" and applied["aws_request_id"]
    assert not any(r.get("target", {}).get("service") == "checkout" for r in records), "only web's records"
