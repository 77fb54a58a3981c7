"""handlers/commands.py, called as Bolt calls it: the ack of `/ecs-why` answers help and errors at once,
the whole command checked; the work (a diagnosis that is one message becoming the answer) is lazy."""

from __future__ import annotations

import time
from typing import Any
from unittest.mock import MagicMock

import pytest
from slack_bolt import BoltContext

from bot.store import Store
from diagnosis.collect.target import UnknownTarget
from handlers.commands import COMMAND, PASTED_IN_CHANNEL, ack_command, run_command
from handlers.grammar import USAGE, Command
from tests.builders.listener_mocks import client, services, slack_error


def command_payload(text: str) -> dict[str, Any]:
    return {"text": text, "channel_id": "C1", "user_id": "U1", "command": COMMAND}


@pytest.mark.parametrize("text", ["", "help"])
def test_ack_answers_help(text: str) -> None:
    svc = services()
    ack = MagicMock()
    ack_command(svc, ack=ack, command=command_payload(text), context=BoltContext())
    ack.assert_called_once_with(text=USAGE)


def test_ack_answers_an_error_with_the_valid_flags() -> None:
    svc = services()
    ack = MagicMock()
    ack_command(svc, ack=ack, command=command_payload("web --clutser prod"), context=BoltContext())
    text = ack.call_args.kwargs["text"]
    assert "unknown option --clutser" in text and "--cluster" in text and USAGE in text


def test_a_bad_target_is_refused_in_the_ack_escaped_and_never_diagnosing() -> None:
    svc = services()
    ack = MagicMock()
    ack_command(svc, ack=ack, command=command_payload("'<!here>' --cluster prod"), context=BoltContext())
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
    ack = MagicMock()
    ack_command(svc, ack=ack, command=command_payload(typed), context=BoltContext())
    ack.assert_called_once()
    assert says in ack.call_args.kwargs["text"]
    slack = client()
    run_command(svc, command=command_payload(typed), client=slack, respond=MagicMock())
    slack.chat_postMessage.assert_not_called()
    svc.diagnoser.run.assert_not_called()


def test_diagnosing_is_one_message_that_becomes_the_answer() -> None:
    svc = services()
    ack = MagicMock()
    ack_command(svc, ack=ack, command=command_payload("web —cluster prod."), context=BoltContext())
    ack.assert_called_once_with()
    slack, respond = client(), MagicMock()
    run_command(svc, command=command_payload("web —cluster prod."), client=slack, respond=respond)
    first = slack.chat_postMessage.call_args_list[0].kwargs
    assert first["text"].startswith("🔎 Diagnosing web for <@U1>") and "thread_ts" not in first
    updated = slack.chat_update.call_args.kwargs
    assert updated["ts"] == "1700000000.000001" and "elb_health_check" in updated["text"]
    rest = [c.kwargs for c in slack.chat_postMessage.call_args_list[1:]]
    assert rest and all(p["thread_ts"] == "1700000000.000001" for p in rest)
    respond.assert_not_called()


def test_an_unknown_target_turns_the_diagnosing_message_into_the_error() -> None:
    svc = services(error=UnknownTarget("no service web-apu; closest: web-api"))
    slack, respond = client(), MagicMock()
    run_command(svc, command=command_payload("web-apu"), client=slack, respond=respond)
    assert slack.chat_postMessage.call_count == 1
    assert slack.chat_update.call_args.kwargs["text"] == "⚠️ no service web-apu; closest: web-api"
    respond.assert_not_called()


def test_ack_of_a_subscription_command_is_empty() -> None:
    svc = services()
    ack = MagicMock()
    ack_command(svc, ack=ack, command=command_payload("subscriptions"), context=BoltContext())
    ack.assert_called_once_with()


def test_the_slash_command_does_its_work_lazily() -> None:
    svc = services()
    ack = MagicMock()
    ack_command(svc, ack=ack, command=command_payload("web --cluster prod"), context=BoltContext())
    svc.diagnoser.run.assert_not_called()
    slack = client()
    run_command(svc, command=command_payload("web --cluster prod"), client=slack, respond=MagicMock())
    svc.diagnoser.run.assert_called_once_with(Command("diagnose", "web", cluster="prod"))
    assert slack.chat_postMessage.call_count >= 2


def test_an_account_alias_of_the_settings_is_accepted() -> None:
    svc = services()
    svc.settings.accounts = [MagicMock(alias="prod-acct")]
    ack = MagicMock()
    ack_command(svc, ack=ack, command=command_payload("web --account prod-acct"), context=BoltContext())
    ack.assert_called_once_with()
    run_command(svc, command=command_payload("web --account prod-acct"), client=client(), respond=MagicMock())
    svc.diagnoser.run.assert_called_once_with(Command("diagnose", "web", account="prod-acct"))


def test_a_command_the_bot_cannot_post_for_says_diagnosing_through_the_response_url() -> None:
    svc, slack, respond = services(), client(), MagicMock()
    slack.chat_postMessage.side_effect = [slack_error("channel_not_found")] + [{"ok": True, "ts": "1.2"}] * 10
    slack.conversations_join.side_effect = slack_error("method_not_supported_for_channel_type")
    run_command(svc, command=command_payload("web --cluster prod"), client=slack, respond=respond)
    assert respond.call_args_list[0].kwargs == {"response_type": "ephemeral", "text": "🔎 Diagnosing web…"}


PULL = (
    "CannotPullContainerError: pull image manifest has been retried 5 time(s): failed to resolve ref "
    "docker.io/library/foo:bar: not found"
)


def test_a_pasted_stop_reason_is_explained_in_the_channel_not_refused() -> None:
    """`/ecs-why <a stopped reason>`: explained as the shortcut explains it, in the job, never "one target"."""
    svc, ack, context = services(), MagicMock(), BoltContext()
    svc.settings.since_default, svc.store = "24h", Store.from_url(None, prefix=f"t{time.time_ns()}")
    ack_command(svc, ack=ack, command=command_payload(PULL), context=context)
    # queued as any other command (the answer comes from the job), and the user is told, privately, that
    # the answer to a private paste will be seen by the channel, and how to keep it to themselves
    ack.assert_called_once_with(text=PASTED_IN_CHANNEL)
    slack, respond = client(), MagicMock()
    run_command(svc, command=command_payload(PULL), client=slack, respond=respond)
    svc.diagnoser.run.assert_not_called()
    head = slack.chat_postMessage.call_args_list[0].kwargs
    shown = str(head["blocks"])
    assert "`image_not_found`" in shown and "on *the pasted text*" in shown, shown
    assert "one target at a time" not in shown and "Re-run" not in shown
    respond.assert_not_called()


@pytest.mark.parametrize(
    ("typed", "never"),
    [
        ("lorem ipsum " * 250, "lorem ipsum " * 10),  # a 3,000-character argument is not echoed whole
        ("<!channel> web", "<!channel>"),  # a mention typed in the command is not echoed as markup
    ],
)
def test_an_error_echoes_only_a_short_prefix_of_what_was_typed(typed: str, never: str) -> None:
    ack = MagicMock()
    ack_command(services(), ack=ack, command=command_payload(typed), context=BoltContext())
    text = ack.call_args.kwargs["text"]
    assert text.startswith("⚠️ one target at a time, got ") and never not in text
    assert len(text.removesuffix(USAGE)) < 200
