"""handlers/alerts.py, called as Bolt calls it: "Mute 1h" (for who may fix the service, this channel
only) and "Acknowledge" (once, shown in place), on a real store."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from unittest.mock import MagicMock

import pytest

from bot import metrics
from bot.authz import GroupCache
from bot.guardrails.policy import Policy
from bot.guardrails.rules import Rule
from bot.store import Store, StoreUnavailable
from bot.store.records import Recovery
from handlers.alerts import acknowledge, mute, valid_fingerprint
from handlers.replies import CannotPost
from tests.builders.alert_notice import FP, notice


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


def services(store: Any, allowed: bool = True) -> MagicMock:
    """Services under guardrails that let U7 fix FP's service (or, `allowed=False`, U0OPS only)."""
    svc = MagicMock(store=store)
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
    svc.remediator.policy = Policy(rules, GroupCache(lambda g: set()))
    return svc


def click(action_id: str, value: str = FP, user: str = "U7") -> dict[str, Any]:
    return {
        "body": {"user": {"id": user}, "channel": {"id": "C1"}, "message": {"ts": "1700000000.000100"}},
        "action": {"action_id": action_id, "value": value},
    }


def test_mute_button_mutes_for_an_hour_and_says_so_in_the_thread(store: Store) -> None:
    client, respond = MagicMock(), MagicMock()
    client.chat_postMessage.return_value = {"ok": True, "ts": "1700000000.000200"}
    mute(services(store), **click("ecs_why_mute"), client=client, respond=respond)
    assert store.muted(f"{FP}|C1") and 3590 <= store.redis.ttl(f"ecs-why:mute:{FP}|C1") <= 3600
    assert not store.muted(f"{FP}|C2"), "a mute is this channel's only"
    kwargs = client.chat_postMessage.call_args.kwargs
    assert kwargs["thread_ts"] == "1700000000.000100" and "<@U7> muted `oom`" in kwargs["text"]
    assert "in this channel for 1 h" in kwargs["text"]
    respond.assert_not_called()


def test_only_operators_may_mute(store: Store) -> None:
    client, respond = MagicMock(), MagicMock()
    mute(services(store, allowed=False), **click("ecs_why_mute"), client=client, respond=respond)
    assert not store.muted(f"{FP}|C1")
    assert respond.call_args.kwargs["text"] == (
        "🚫 Only people a guardrail rule lets fix prod/web-api may mute its alerts; allowed: <@U0OPS>."
    )
    client.chat_postMessage.assert_not_called()


def test_mute_refuses_a_forged_value_and_reports_a_store_outage() -> None:
    store, respond = MagicMock(), MagicMock()
    mute(services(store), **click("ecs_why_mute", "a:b:c:d:made_up"), client=MagicMock(), respond=respond)
    store.mute.assert_not_called()
    assert "not valid" in respond.call_args.kwargs["text"]
    store.mute.side_effect = StoreUnavailable("down")
    mute(services(store), **click("ecs_why_mute"), client=MagicMock(), respond=respond)
    assert "nothing was muted" in respond.call_args.kwargs["text"]


def test_a_mute_the_bot_cannot_post_is_told_to_the_user(store: Store) -> None:
    client, respond = MagicMock(), MagicMock()
    client.chat_postMessage.side_effect = CannotPost("is_archived")
    mute(services(store), **click("ecs_why_mute"), client=client, respond=respond)
    assert store.muted(f"{FP}|C1")
    assert respond.call_args.kwargs["text"].startswith("🔕 <@U7> muted `oom`")


def open_alert(store: Store, **changes: Any) -> str:
    gkey = f"{FP}|C1"
    store.alert_open(gkey, "C1", "1700000000.000100", notice(**changes))
    return gkey


def test_acknowledge_shows_who_and_when_and_only_once(store: Store) -> None:
    gkey = open_alert(store)
    client, respond = MagicMock(), MagicMock()
    client.chat_postMessage.return_value = {"ok": True, "ts": "1700000000.000300"}
    acked = metrics.REGISTRY.get_sample_value("ecs_why_alerts_total", {"state": "acknowledged"}) or 0.0
    acknowledge(services(store), **click("ecs_why_ack", user="U7"), client=client, respond=respond)
    assert metrics.REGISTRY.get_sample_value("ecs_why_alerts_total", {"state": "acknowledged"}) == acked + 1
    updated = client.chat_update.call_args.kwargs
    assert updated["ts"] == "1700000000.000100" and updated["channel"] == "C1"
    context = [e["text"] for b in updated["blocks"] if b["type"] == "context" for e in b["elements"]]
    assert any(t.startswith("👀 Acknowledged by <@U7> at ") and t.endswith(" UTC") for t in context)
    ids = [e["action_id"] for e in updated["blocks"][-1]["elements"]]
    assert ids == ["ecs_why_rerun", "ecs_why_mute"], "no second Acknowledge button"
    assert "<@U7> acknowledged" in client.chat_postMessage.call_args.kwargs["text"]
    respond.assert_not_called()
    alert = store.alert_get(gkey)
    assert alert is not None and alert.acked_by == "U7" and alert.acked_at.endswith("+00:00")

    other, respond = MagicMock(), MagicMock()
    acknowledge(services(store), **click("ecs_why_ack", user="U8"), client=other, respond=respond)
    other.chat_update.assert_not_called()
    assert respond.call_args.kwargs["text"] == "<@U7> already acknowledged this alert."
    assert metrics.REGISTRY.get_sample_value("ecs_why_alerts_total", {"state": "acknowledged"}) == acked + 1


def test_acknowledge_of_a_recovered_or_unknown_alert_changes_nothing(store: Store) -> None:
    client, respond = MagicMock(), MagicMock()
    acknowledge(services(store), **click("ecs_why_ack"), client=client, respond=respond)
    assert "no longer tracked" in respond.call_args.kwargs["text"]
    gkey = open_alert(store)
    at = datetime(2026, 5, 18, 14, 2, tzinfo=UTC).timestamp()
    assert store.alert_resolve(gkey, Recovery(at=at, failures=37, lasted_seconds=25 * 60))
    acknowledge(services(store), **click("ecs_why_ack"), client=client, respond=respond)
    assert respond.call_args.kwargs["text"] == (
        "This alert already recovered: recovered at 14:02 UTC after 37 failures in 25 min."
    )
    client.chat_update.assert_not_called()


def test_acknowledge_refuses_a_forged_user_and_reports_a_store_outage() -> None:
    store, respond = MagicMock(), MagicMock()
    acknowledge(services(store), **click("ecs_why_ack", user="<!here>"), client=MagicMock(), respond=respond)
    store.alert_get.assert_not_called()
    assert respond.call_args.kwargs["text"] == "⚠️ This button is not valid."
    store.alert_get.side_effect = StoreUnavailable("down")
    acknowledge(services(store), **click("ecs_why_ack"), client=MagicMock(), respond=respond)
    assert "the alert is not acknowledged" in respond.call_args.kwargs["text"]
