"""`/ecs-why check SERVICE` as a workspace uses it: the real `ecs-why serve`, signed requests, the fake Slack
Web API and the moto sandbox. Errors in the channel, the grace period button where it applies."""

from __future__ import annotations

import json

import pytest

from tests.builders.served_bot import OPERATOR, SECRET, buttons, headline
from tests.fakes.slack_api import FakeSlackApi
from tests.fakes.slack_requests import click_on, send, slash_command

pytestmark = pytest.mark.e2e


def test_check_posts_the_error_that_would_stop_the_deployment(bot: str, slack: FakeSlackApi) -> None:
    slack.clear()
    status, body, _elapsed = send(bot, slash_command("check api --cluster demo", user_id=OPERATOR), SECRET)
    assert status == 200 and not body
    top = headline(slack, "ecs-why check demo/api")
    shown = json.dumps(top["blocks"])
    assert "1 error would stop its tasks" in shown
    assert "image_exists" in shown and "v2.4.0" in shown
    thread = slack.wait_for("chat.postMessage", lambda c: c.params.get("thread_ts") == top["ts"], timeout=30)
    assert "circuit_breaker" in json.dumps(thread.params["blocks"]), "warnings go in the thread"


def test_check_offers_the_grace_period_fix_it_computed(bot: str, slack: FakeSlackApi) -> None:
    slack.clear()
    send(bot, slash_command("check web --cluster demo", user_id=OPERATOR), SECRET)
    top = headline(slack, "ecs-why check demo/web")
    fix = next(b for b in buttons(top) if b["action_id"].startswith("ecs_why_fix"))
    assert "190" in fix["text"]["text"], "twice the start time the check read from the log"
    send(
        bot,
        click_on(top, fix, OPERATOR),
        SECRET,
    )
    modal = json.dumps(slack.wait_for("views.open", timeout=30).params["view"])
    assert "190 s" in modal and "aws ecs update-service" in modal
