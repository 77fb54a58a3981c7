"""The listeners as small functions, tested with mocks (Bolt starter template style): the registered ack
and lazy functions are taken from a real slack_bolt App and called with a mock client and respond."""

from __future__ import annotations

from typing import Any
from unittest.mock import MagicMock

import pytest
from slack_bolt import App
from slack_sdk.errors import SlackApiError
from slack_sdk.web import SlackResponse

from diagnosis.collect.target import AmbiguousTarget, UnknownTarget
from handlers import commands as command_listeners
from handlers import register_all
from handlers.grammar import USAGE, Command
from handlers.render.diagnosis import Message
from handlers.replies import CannotPost, post
from handlers.run import PICK, diagnose_and_publish
from tests.builders.listener_mocks import client, services


def slack_error(error: str) -> SlackApiError:
    response = SlackResponse(
        client=None, http_verb="POST", api_url="http://x/api/chat.postMessage", req_args={},
        data={"ok": False, "error": error}, headers={}, status_code=200,
    )  # fmt: skip
    return SlackApiError(error, response)


def listeners(svc: MagicMock) -> App:
    app = App(token="xoxb-test", signing_secret="secret", token_verification_enabled=False)
    register_all(app, svc)
    return app


def slash_listener(app: App) -> Any:
    for listener in app._listeners:
        if listener.ack_function.__name__ == "ack_command":
            return listener
    raise AssertionError("no /ecs-why listener")


def command_payload(text: str) -> dict[str, Any]:
    return {"text": text, "channel_id": "C1", "user_id": "U1", "command": command_listeners.COMMAND}


# ------------------------------------------------------------------ the ack of /ecs-why


@pytest.mark.parametrize("text", ["", "help"])
def test_ack_answers_help(text: str) -> None:
    listener = slash_listener(listeners(services()))
    ack = MagicMock()
    listener.ack_function(ack=ack, command=command_payload(text))
    ack.assert_called_once_with(text=USAGE)


def test_ack_answers_an_error_with_the_valid_flags() -> None:
    listener = slash_listener(listeners(services()))
    ack = MagicMock()
    listener.ack_function(ack=ack, command=command_payload("web --clutser prod"))
    text = ack.call_args.kwargs["text"]
    assert "unknown option --clutser" in text and "--cluster" in text and USAGE in text


def test_a_bad_target_is_refused_in_the_ack_escaped_and_never_diagnosing() -> None:
    listener = slash_listener(listeners(services()))
    ack = MagicMock()
    listener.ack_function(ack=ack, command=command_payload("'<!here>' --cluster prod"))
    text = ack.call_args.kwargs["text"]
    assert text.startswith("⚠️ '&lt;!here&gt;' is not a target") and "Diagnosing" not in text


@pytest.mark.parametrize(
    ("typed", "says"),
    [
        ("web —since yesterday", "--since 'yesterday': use a number and a unit"),
        ("web --region moon-1", "is not an AWS region"),
        ("web --account nope", "unknown account 'nope'"),
    ],
)
def test_the_whole_command_is_checked_before_the_ack(typed: str, says: str) -> None:
    svc = services()
    listener = slash_listener(listeners(svc))
    ack = MagicMock()
    listener.ack_function(ack=ack, command=command_payload(typed))
    ack.assert_called_once()
    assert says in ack.call_args.kwargs["text"]
    slack = client()
    listener.lazy_functions[0](command=command_payload(typed), client=slack, respond=MagicMock())
    slack.chat_postMessage.assert_not_called()
    svc.diagnoser.run.assert_not_called()


def test_diagnosing_is_one_message_that_becomes_the_answer() -> None:
    svc = services()
    listener = slash_listener(listeners(svc))
    ack = MagicMock()
    listener.ack_function(ack=ack, command=command_payload("web —cluster prod."))
    ack.assert_called_once_with()
    slack, respond = client(), MagicMock()
    listener.lazy_functions[0](command=command_payload("web —cluster prod."), client=slack, respond=respond)
    first = slack.chat_postMessage.call_args_list[0].kwargs
    assert first["text"].startswith("🔎 Diagnosing web for <@U1>") and "thread_ts" not in first
    updated = slack.chat_update.call_args.kwargs
    assert updated["ts"] == "1700000000.000001" and "elb_health_check" in updated["text"]
    rest = [c.kwargs for c in slack.chat_postMessage.call_args_list[1:]]
    assert rest and all(p["thread_ts"] == "1700000000.000001" for p in rest)
    respond.assert_not_called()


def test_an_unknown_target_turns_the_diagnosing_message_into_the_error() -> None:
    svc = services(error=UnknownTarget("no service web-apu; closest: web-api"))
    listener = slash_listener(listeners(svc))
    slack, respond = client(), MagicMock()
    listener.lazy_functions[0](command=command_payload("web-apu"), client=slack, respond=respond)
    assert slack.chat_postMessage.call_count == 1
    assert slack.chat_update.call_args.kwargs["text"] == "⚠️ no service web-apu; closest: web-api"
    respond.assert_not_called()


def test_ack_of_a_subscription_command_is_empty() -> None:
    listener = slash_listener(listeners(services()))
    ack = MagicMock()
    listener.ack_function(ack=ack, command=command_payload("subscriptions"))
    ack.assert_called_once_with()


def test_the_slash_command_does_its_work_lazily() -> None:
    svc = services()
    listener = slash_listener(listeners(svc))
    ack = MagicMock()
    listener.ack_function(ack=ack, command=command_payload("web --cluster prod"))
    svc.diagnoser.run.assert_not_called()
    assert [f.__name__ for f in listener.lazy_functions] == ["run_command"]
    slack = client()
    listener.lazy_functions[0](command=command_payload("web --cluster prod"), client=slack, respond=MagicMock())
    svc.diagnoser.run.assert_called_once_with(Command("diagnose", "web", cluster="prod"))
    assert slack.chat_postMessage.call_count >= 2


# ------------------------------------------------------------------ diagnose_and_publish


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
    assert offered.args[0]["kind"] == "raise_grace_period"
    assert offered.args[1]["channel"] == "C1" and offered.args[1]["offered_to"] == "U1"
    assert rest and all(p["thread_ts"] == "1700000000.000001" for p in rest)
    respond.assert_not_called()


def test_publish_into_an_existing_thread() -> None:
    svc, slack = services(), client()
    diagnose_and_publish(slack, svc, Command("diagnose", "prod/web-api"), "C1", "U1", MagicMock(), "111.222")
    assert all(c.kwargs["thread_ts"] == "111.222" for c in slack.chat_postMessage.call_args_list)


def test_not_in_channel_joins_and_retries() -> None:
    slack = MagicMock()
    slack.chat_postMessage.side_effect = [slack_error("not_in_channel"), {"ok": True, "ts": "1.2"}]
    assert post(slack, "C1", Message(text="hi", blocks=[])) == "1.2"
    slack.conversations_join.assert_called_once_with(channel="C1")
    assert slack.chat_postMessage.call_count == 2


def test_other_slack_errors_are_raised() -> None:
    slack = MagicMock()
    slack.chat_postMessage.side_effect = slack_error("invalid_blocks")
    with pytest.raises(SlackApiError):
        post(slack, "C1", Message(text="hi", blocks=[]))
    slack.conversations_join.assert_not_called()


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


def test_cannot_post_without_respond_is_raised() -> None:
    slack = MagicMock()
    slack.chat_postMessage.side_effect = slack_error("not_in_channel")
    slack.conversations_join.side_effect = slack_error("is_archived")
    with pytest.raises(CannotPost, match="is_archived"):
        post(slack, "C1", Message(text="hi", blocks=[]))


def test_an_ambiguous_target_gets_an_ephemeral_menu() -> None:
    error = AmbiguousTarget("web is in 2 clusters", ["prod/web", "staging/web"])
    svc, slack, respond = services(error=error), client(), MagicMock()
    assert not diagnose_and_publish(slack, svc, Command("diagnose", "web", region="eu-west-1"), "C1", "U1", respond)
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
        response_type="ephemeral", replace_original=False, text="⚠️ no service web-apu; closest: web-api, web-app"
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
