"""handlers/replies.py's post: joins a public channel it is not in and tries once more; what it cannot fix
is raised (CannotPost where the bot cannot be in the conversation)."""

from __future__ import annotations

from unittest.mock import MagicMock

import pytest
from slack_sdk.errors import SlackApiError

from handlers.render.diagnosis import Message
from handlers.replies import CannotPost, post
from tests.builders.listener_mocks import slack_error


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
