"""handlers/notify.py: the group message (escaped, counted, with its two buttons), the Slack notifier's
error mapping (permanent vs retried), and the "Mute 1h" button."""

from __future__ import annotations

from typing import Any
from unittest.mock import MagicMock

import pytest
from slack_bolt import App
from slack_sdk import WebClient
from slack_sdk.models.blocks import Block

from bot import metrics
from bot.authz import GroupCache
from bot.events.notifier import Notice, NotifyFailed
from bot.guardrails.policy import Policy
from bot.guardrails.rules import Rule
from bot.store import Store, StoreUnavailable
from handlers import register_all
from handlers.notify import SlackNotifier, group_message, update_reply, valid_fingerprint
from tests.fakes.slack_api import FakeSlackApi
from tests.fakes.slack_api import slack_api as slack_api

FP = "123456789012:us-east-1:prod:web-api:oom"


def notice(**changes: Any) -> Notice:
    fields: dict[str, Any] = {
        "fingerprint": FP,
        "category": "oom",
        "failure": True,
        "title": "Out of memory: app",
        "summary": "The container used all 512 MiB.",
        "account": "123456789012",
        "region": "us-east-1",
        "cluster": "prod",
        "service": "web-api",
        "count": 3,
        "opened_at": "2026-05-18T10:00:00.000+00:00",
        "latest_task": "arn:aws:ecs:us-east-1:123456789012:task/prod/abc",
        "latest_reason": "OutOfMemoryError <!channel>",
        "latest_at": "2026-05-18T10:05:00Z",
    }
    fields.update(changes)
    return Notice(**fields)


def test_group_message_counts_escapes_and_carries_the_buttons() -> None:
    message = group_message(notice())
    for block in message.blocks:
        Block.parse(block).validate_json()  # type: ignore[union-attr]
    text = message.blocks[0]["text"]["text"]
    assert "*3 stops* since 10:00 UTC" in text and "`oom` on *prod/web-api*" in text
    assert "&lt;!channel&gt;" in message.blocks[1]["elements"][0]["text"], "AWS text cannot ping a channel"
    ack, rerun, mute = message.blocks[-1]["elements"]
    assert (ack["action_id"], ack["value"], ack["style"]) == ("ecs_why_ack", FP, "primary")
    assert (rerun["action_id"], rerun["value"]) == (
        "ecs_why_rerun",
        "web-api --cluster prod --region us-east-1",
    )
    assert (mute["action_id"], mute["value"]) == ("ecs_why_mute", FP)
    assert "× 3" in message.text
    assert update_reply(notice(count=9), 6).text == "+6 more stops (now 9)"


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


@pytest.mark.parametrize(
    ("value", "ok"),
    [
        (FP, True),
        ("a:b:prod:web:nonsense", False),
        ("a:b::web:oom", False),
        ("x" * 700, False),
        ("a:b:c", False),
    ],
)
def test_mute_values_are_checked(value: str, ok: bool) -> None:
    assert valid_fingerprint(value) is ok


def mute_listener(store: Any, allowed: bool = True) -> Any:
    """The mute listener under guardrails that let U7 fix FP's service (or, `allowed=False`, U0OPS only)."""
    app = App(token="xoxb-test", signing_secret="secret", token_verification_enabled=False)
    services = MagicMock(store=store)
    rules = [
        Rule(
            name="web-team",
            mode="allow",
            services=["web-*"],
            actions=["rollback"],
            users=["U7" if allowed else "U0OPS"],
        ),
        Rule(name="frozen", mode="deny", services=["web-*"], users=["*"], actions=["increase_memory"]),
        Rule(name="elsewhere", mode="allow", services=["billing"], users=["U7"]),
    ]
    services.remediator.policy = Policy(rules, GroupCache(lambda g: set()))
    register_all(app, services)
    for listener in app._listeners:
        if [f.__name__ for f in listener.lazy_functions] == ["mute"]:
            return listener.lazy_functions[0]
    raise AssertionError("no mute listener")


def click(value: str) -> dict[str, Any]:
    return {
        "body": {"user": {"id": "U7"}, "channel": {"id": "C1"}, "message": {"ts": "1700000000.000100"}},
        "action": {"action_id": "ecs_why_mute", "value": value},
    }


def test_mute_button_mutes_for_an_hour_and_says_so_in_the_thread(store: Store) -> None:
    client, respond = MagicMock(), MagicMock()
    client.chat_postMessage.return_value = {"ok": True, "ts": "1700000000.000200"}
    mute_listener(store)(**click(FP), client=client, respond=respond)
    assert store.muted(f"{FP}|C1") and 3590 <= store.redis.ttl(f"ecs-why:mute:{FP}|C1") <= 3600
    assert not store.muted(f"{FP}|C2"), "a mute is this channel's only"
    kwargs = client.chat_postMessage.call_args.kwargs
    assert kwargs["thread_ts"] == "1700000000.000100" and "<@U7> muted `oom`" in kwargs["text"]
    assert "in this channel for 1 h" in kwargs["text"]
    respond.assert_not_called()


def test_only_operators_may_mute(store: Store) -> None:
    client, respond = MagicMock(), MagicMock()
    mute_listener(store, allowed=False)(**click(FP), client=client, respond=respond)
    assert not store.muted(f"{FP}|C1")
    assert respond.call_args.kwargs["text"] == (
        "🚫 Only people a guardrail rule lets fix prod/web-api may mute its alerts; allowed: <@U0OPS>."
    )
    client.chat_postMessage.assert_not_called()


def test_mute_refuses_a_forged_value_and_reports_a_store_outage() -> None:
    store, respond = MagicMock(), MagicMock()
    mute_listener(store)(**click("a:b:c:d:made_up"), client=MagicMock(), respond=respond)
    store.mute.assert_not_called()
    assert "not valid" in respond.call_args.kwargs["text"]
    store.mute.side_effect = StoreUnavailable("down")
    mute_listener(store)(**click(FP), client=MagicMock(), respond=respond)
    assert "nothing was muted" in respond.call_args.kwargs["text"]


# ------------------------------------------------------------------ alert lifecycle


def lazy_listener(store: Any, name: str) -> Any:
    app = App(token="xoxb-test", signing_secret="secret", token_verification_enabled=False)
    register_all(app, MagicMock(store=store))
    for listener in app._listeners:
        if [f.__name__ for f in listener.lazy_functions] == [name]:
            return listener.lazy_functions[0]
    raise AssertionError(f"no {name} listener")


def open_alert(store: Store, **changes: Any) -> str:
    from dataclasses import asdict

    gkey = f"{FP}|C1"
    store.alert_open(gkey, {"ts": "1700000000.000100", "channel": "C1", "notice": asdict(notice(**changes))})
    return gkey


def ack_click(user: str = "U7") -> dict[str, Any]:
    return {
        "body": {"user": {"id": user}, "channel": {"id": "C1"}, "message": {"ts": "1700000000.000100"}},
        "action": {"action_id": "ecs_why_ack", "value": FP},
    }


def test_acknowledge_shows_who_and_when_and_only_once(store: Store) -> None:
    gkey = open_alert(store)
    acknowledge = lazy_listener(store, "acknowledge")
    client, respond = MagicMock(), MagicMock()
    client.chat_postMessage.return_value = {"ok": True, "ts": "1700000000.000300"}
    acked = metrics.REGISTRY.get_sample_value("ecs_why_alerts_total", {"state": "acknowledged"}) or 0.0
    acknowledge(**ack_click("U7"), client=client, respond=respond)
    assert metrics.REGISTRY.get_sample_value("ecs_why_alerts_total", {"state": "acknowledged"}) == acked + 1
    updated = client.chat_update.call_args.kwargs
    assert updated["ts"] == "1700000000.000100" and updated["channel"] == "C1"
    context = [e["text"] for b in updated["blocks"] if b["type"] == "context" for e in b["elements"]]
    assert any(t.startswith("👀 Acknowledged by <@U7> at ") and t.endswith(" UTC") for t in context)
    ids = [e["action_id"] for e in updated["blocks"][-1]["elements"]]
    assert ids == ["ecs_why_rerun", "ecs_why_mute"], "no second Acknowledge button"
    assert "<@U7> acknowledged" in client.chat_postMessage.call_args.kwargs["text"]
    respond.assert_not_called()
    assert store.alert_get(gkey)["acked_by"] == "U7"

    other, respond = MagicMock(), MagicMock()
    acknowledge(**ack_click("U8"), client=other, respond=respond)
    other.chat_update.assert_not_called()
    assert respond.call_args.kwargs["text"] == "<@U7> already acknowledged this alert."
    assert metrics.REGISTRY.get_sample_value("ecs_why_alerts_total", {"state": "acknowledged"}) == acked + 1


def test_acknowledge_of_a_recovered_or_unknown_alert_changes_nothing(store: Store) -> None:
    acknowledge = lazy_listener(store, "acknowledge")
    client, respond = MagicMock(), MagicMock()
    acknowledge(**ack_click(), client=client, respond=respond)
    assert "no longer tracked" in respond.call_args.kwargs["text"]
    gkey = open_alert(store)
    store.alert_mark(gkey, "resolved", "recovered at 14:02 UTC after 37 failures in 25 min")
    acknowledge(**ack_click(), client=client, respond=respond)
    assert respond.call_args.kwargs["text"] == (
        "This alert already recovered: recovered at 14:02 UTC after 37 failures in 25 min."
    )
    client.chat_update.assert_not_called()


def test_alert_messages_golden() -> None:
    from tests.handlers.golden_files import check_golden

    check_golden("alert_open", group_message(notice()))
    check_golden(
        "alert_acknowledged", group_message(notice(acked_by="U0ALICE", acked_at="2026-05-18T10:07:00+00:00"))
    )
    check_golden(
        "alert_resolved",
        group_message(notice(count=37, resolved="recovered at 14:02 UTC after 37 failures in 25 min")),
    )
    check_golden(
        "alert_recurrence",
        group_message(
            notice(
                previous_ts="1700000000.000100",
                previous_resolved="recovered at 14:02 UTC after 37 failures in 25 min",
            ),
            previous_link="https://example.slack.com/archives/C1/p1700000000000100",
        ),
    )
