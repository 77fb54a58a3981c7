"""handlers/notifier.py on the fake Slack Web API: a group is one message updated in place with its stops
in the thread, and Slack's errors map to permanent (dropped) or transient (retried)."""

from __future__ import annotations

from unittest.mock import MagicMock

import pytest
from slack_sdk import WebClient

from bot.events.notifier import NotifyFailed
from handlers.notifier import SlackNotifier
from tests.builders.alert_notice import notice
from tests.fakes.slack_api import FakeSlackApi
from tests.fakes.slack_api import slack_api as slack_api


def test_notifier_posts_updates_and_maps_errors(slack_api: FakeSlackApi) -> None:
    notifier = SlackNotifier(WebClient(token="xoxb-test", base_url=slack_api.url))
    ts = notifier.open_group("C1", notice(count=1))
    notifier.update_group("C1", ts, notice(count=4), 3)
    (parent,) = [m for m in slack_api.messages("C1") if m["ts"] == ts]
    assert "*4 stops*" in parent["blocks"][0]["text"]["text"] and parent.get("edited")
    assert [m["text"] for m in slack_api.thread("C1", ts) if m["ts"] != ts] == ["+3 more stops (now 4)"]
    slack_api.fail_next("chat.postMessage", "internal_error")
    with pytest.raises(NotifyFailed) as transient:
        notifier.open_group("C1", notice())
    assert not transient.value.permanent
    slack_api.fail_next("chat.postMessage", "is_archived")
    with pytest.raises(NotifyFailed) as permanent:
        notifier.open_group("C1", notice())
    assert permanent.value.permanent
    slack_api.fail_next("chat.postMessage", "internal_error")
    notifier.add_details(
        "C1", ts, MagicMock(findings=[], gaps=[], stats=MagicMock(api_calls=0))
    )  # never raises


def test_recovery_and_escalation_go_in_the_thread(slack_api: FakeSlackApi) -> None:
    notifier = SlackNotifier(WebClient(token="xoxb-test", base_url=slack_api.url))
    ts = notifier.open_group("C1", notice())
    notifier.escalate("C1", ts, notice(), "S0ONCALL", 30)
    notifier.resolve_group("C1", ts, notice(resolved="recovered at 14:02 UTC after 3 failures in 5 min"))
    (parent,) = [m for m in slack_api.messages("C1") if m["ts"] == ts]
    assert "Recovered at 14:02 UTC" in str(parent["blocks"]) and parent.get("edited")
    replies = [m["text"] for m in slack_api.thread("C1", ts) if m["ts"] != ts]
    assert replies[0].startswith("<!subteam^S0ONCALL> this alert has been open for 30 min")
    assert replies[1].startswith("✅ Recovered at 14:02 UTC after 3 failures in 5 min")
