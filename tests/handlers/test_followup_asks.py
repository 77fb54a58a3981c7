"""What a follow-up asks: the first word (a few synonyms), its argument, a target named in the message."""

from __future__ import annotations

import pytest

from handlers.followup_asks import HELP, FollowUp, read_followup
from handlers.grammar import Command


def asked(text: str, **message: object) -> FollowUp:
    return read_followup({"text": text, **message})


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("<@U0BOT> logs", FollowUp("logs")),
        ("<@U0BOT|ecs-why> Events please", FollowUp("events")),
        ("<@U0BOT> diff", FollowUp("diff")),
        ("<@U0BOT> history", FollowUp("history", "7d")),
        ("<@U0BOT> history 24h.", FollowUp("history", "24h")),
        ("<@U0BOT> tasks", FollowUp("tasks")),
        ("<@U0BOT> stopped", FollowUp("tasks")),
        ("<@U0BOT> rerun", FollowUp("rerun")),
        ("<@U0BOT> why OOM?", FollowUp("why", "oom")),
        ("<@U0BOT> help", FollowUp("help")),
        ("<@U0BOT>", FollowUp("help")),
        ("<@U0BOT> make coffee", FollowUp("unknown", "make")),
        ("<@U0BOT> why bananas", FollowUp("unknown", "why bananas")),
        ("<@U0BOT> history yesterday", FollowUp("unknown", "history yesterday")),
    ],
)
def test_what_is_asked(text: str, expected: FollowUp) -> None:
    assert asked(text) == expected


def test_a_dm_names_its_target() -> None:
    assert asked("logs prod/web-api") == FollowUp("logs", target=Command("diagnose", "prod/web-api"))
    arn = "arn:aws:ecs:eu-west-1:123456789012:service/prod/web-api"
    assert asked(f"events <{arn}>") == FollowUp("events", target=Command("diagnose", arn))


def test_a_target_alone_is_a_diagnosis() -> None:
    assert asked("prod/web-api") == FollowUp("rerun", target=Command("diagnose", "prod/web-api"))


def test_a_target_in_an_attachment_counts() -> None:
    message = {"attachments": [{"title": "ALARM demo/orders RunningTaskCount < 2"}]}
    assert asked("tasks", **message).target == Command("diagnose", "demo/orders")


def test_help_lists_every_ask() -> None:
    for word in ("logs", "events", "diff", "history 7d", "tasks", "rerun", "why CATEGORY"):
        assert f"`{word}`" in HELP
