"""handlers/replies.py's post: joins a public channel it is not in and tries once more; what it cannot fix
is raised (CannotPost where the bot cannot be in the conversation). publish: where Slack refuses the answer
in the channel, the user is told with the answer, which promises no thread, and no "diagnosing…" stays."""

from __future__ import annotations

from unittest.mock import MagicMock

import pytest
from slack_sdk.errors import SlackApiError

from handlers.grammar import Command
from handlers.render.diagnosis import Message
from handlers.replies import CannotPost, post, publish
from tests.builders.diagnoses import build
from tests.builders.listener_mocks import services, slack_error


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


def test_cannot_post_without_respond_is_raised() -> None:
    slack = MagicMock()
    slack.chat_postMessage.side_effect = slack_error("not_in_channel")
    slack.conversations_join.side_effect = slack_error("is_archived")
    with pytest.raises(CannotPost, match="is_archived"):
        post(slack, "C1", Message(text="hi", blocks=[]))


def test_an_answer_slack_refuses_in_the_channel_goes_to_the_user_without_a_thread_it_never_had() -> None:
    slack, respond = MagicMock(), MagicMock()
    slack.chat_update.side_effect = slack_error("msg_too_long", "chat.update")
    slack.chat_postMessage.side_effect = slack_error("msg_too_long")
    slack.chat_delete.side_effect = slack_error("cant_delete_message", "chat.delete")
    diagnosis = build("elb_health_check")
    ts = publish(slack, services(), diagnosis, Command("diagnose", "web"), "C1", "U1", respond, placeholder="9.9")
    assert ts is None
    told = respond.call_args.kwargs
    assert told["response_type"] == "ephemeral" and "only for you" in told["text"]
    assert "in the thread" not in str(told["blocks"]), "no thread was posted"
    assert "could not be posted" in str(told["blocks"][-1])
    slack.chat_delete.assert_called_once_with(channel="C1", ts="9.9")
    last = slack.chat_update.call_args.kwargs
    assert last["ts"] == "9.9" and "Diagnosing" not in last["text"], "the placeholder no longer says it is running"
