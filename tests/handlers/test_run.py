"""handlers/run.py: one path for "diagnose this" — the headline in the channel with fix buttons that carry
only keys, the details in its thread, and what went wrong said in words (ephemeral) when it cannot run."""

from __future__ import annotations

from unittest.mock import MagicMock

from diagnosis.collect.target import AmbiguousTarget, UnknownTarget
from handlers.grammar import Command
from handlers.run import PICK, diagnose_and_publish
from tests.builders.listener_mocks import client, services, slack_error


def test_diagnose_and_publish_posts_the_headline_then_the_thread() -> None:
    svc, slack, respond = services(), client(), MagicMock()
    assert diagnose_and_publish(slack, svc, Command("diagnose", "prod/web-api"), "C1", "U1", respond)
    posts = [c.kwargs for c in slack.chat_postMessage.call_args_list]
    head, rest = posts[0], posts[1:]
    assert "thread_ts" not in head and "elb_health_check" in head["text"]
    assert head["unfurl_links"] is False
    fix_values = [
        e["value"] for b in head["blocks"] if b["type"] == "actions" for e in b["elements"]
        if e["action_id"].startswith("ecs_why_fix")
    ]  # fmt: skip
    assert fix_values == ["key0", "key1"], "the buttons carry pending keys, never parameters"
    offered = svc.remediator.offer.call_args_list[0]
    assert offered.args[0].action.kind == "raise_grace_period"
    assert offered.args[0].channel == "C1" and offered.args[0].offered_to == "U1"
    assert rest and all(p["thread_ts"] == "1700000000.000001" for p in rest)
    respond.assert_not_called()


def test_publish_into_an_existing_thread() -> None:
    svc, slack = services(), client()
    diagnose_and_publish(slack, svc, Command("diagnose", "prod/web-api"), "C1", "U1", MagicMock(), "111.222")
    assert all(c.kwargs["thread_ts"] == "111.222" for c in slack.chat_postMessage.call_args_list)


def test_private_channel_falls_back_to_respond_in_channel_with_the_invite_hint() -> None:
    svc, slack, respond = services(), MagicMock(), MagicMock()
    slack.chat_postMessage.side_effect = slack_error("channel_not_found")
    slack.conversations_join.side_effect = slack_error("method_not_supported_for_channel_type")
    assert diagnose_and_publish(slack, svc, Command("diagnose", "prod/web-api"), "G1", "U1", respond)
    respond.assert_called_once()
    kwargs = respond.call_args.kwargs
    assert kwargs["response_type"] == "in_channel"
    assert "elb_health_check" in kwargs["text"]
    assert "/invite @ecs-why" in kwargs["blocks"][-1]["elements"][0]["text"]
    assert slack.chat_postMessage.call_count == 1, "no thread messages after the fallback"


def test_an_ambiguous_target_gets_an_ephemeral_menu() -> None:
    error = AmbiguousTarget("web is in 2 clusters", ["prod/web", "staging/web"])
    svc, slack, respond = services(error=error), client(), MagicMock()
    assert not diagnose_and_publish(
        slack, svc, Command("diagnose", "web", region="eu-west-1"), "C1", "U1", respond
    )
    kwargs = respond.call_args.kwargs
    assert kwargs["response_type"] == "ephemeral" and kwargs["replace_original"] is False
    menu = kwargs["blocks"][0]["accessory"]
    assert menu["type"] == "static_select" and menu["action_id"] == PICK
    assert [o["value"] for o in menu["options"]] == [
        "prod/web --region eu-west-1",
        "staging/web --region eu-west-1",
    ]
    slack.chat_postMessage.assert_not_called()


def test_an_unknown_target_gets_an_ephemeral_message() -> None:
    error = UnknownTarget("no service web-apu; closest: web-api, web-app")
    svc, slack, respond = services(error=error), client(), MagicMock()
    assert not diagnose_and_publish(slack, svc, Command("diagnose", "web-apu"), "C1", "U1", respond)
    respond.assert_called_once_with(
        response_type="ephemeral",
        replace_original=False,
        text="⚠️ no service web-apu; closest: web-api, web-app",
    )


def test_an_unknown_target_found_by_the_shortcut_is_quiet() -> None:
    svc, respond = services(error=UnknownTarget("no such")), MagicMock()
    assert not diagnose_and_publish(
        client(), svc, Command("diagnose", "and/or"), "C1", "U1", respond, quiet_unknown=True
    )
    respond.assert_not_called()


def test_a_bot_failure_says_what_failed() -> None:
    svc, respond = services(error=RuntimeError("boom")), MagicMock()
    assert not diagnose_and_publish(client(), svc, Command("diagnose", "web"), "C1", "U1", respond)
    text = respond.call_args.kwargs["text"]
    assert "could not finish diagnosing web: RuntimeError" in text
