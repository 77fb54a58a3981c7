"""`/ecs-why summary`: posted in the channel; a cluster AWS does not know and a Redis that is down are one
ephemeral message each; where the bot cannot post, the summary comes through the response URL."""

from __future__ import annotations

from unittest.mock import MagicMock, patch

from bot.store import StoreUnavailable
from bot.summary import Scope, Summary
from handlers.grammar import Command
from handlers.replies import CannotPost
from handlers.summary import post_summary

COMMAND = Command("summary", "prod", since="6h")


def quiet(
    _store: object, scopes: list[Scope], since: str, channel: str | None, notes: tuple[str, ...] = ()
) -> Summary:
    return Summary(tuple(scopes), since, 0.0, 3600.0, notes=notes)


def test_the_summary_is_posted_in_the_channel_for_the_window_asked() -> None:
    client, respond = MagicMock(), MagicMock()
    client.chat_postMessage.return_value = {"ok": True, "ts": "1.000100"}
    with patch("handlers.summary.summary_scope", return_value=(Scope("prod", region="eu-west-1"), ())), \
         patch("handlers.summary.build_summary", side_effect=quiet) as built:  # fmt: skip
        assert post_summary(client, MagicMock(), COMMAND, "C1", respond)
    assert built.call_args.args[2] == "6h" and built.call_args.args[3] == "C1"
    posted = client.chat_postMessage.call_args.kwargs
    assert posted["channel"] == "C1" and posted["blocks"][0]["text"]["text"] == "Summary of prod, last 6h"
    respond.assert_not_called()


def test_the_default_window_is_a_day() -> None:
    client = MagicMock()
    client.chat_postMessage.return_value = {"ok": True, "ts": "1.000100"}
    with patch("handlers.summary.summary_scope", return_value=(Scope("prod"), ())), \
         patch("handlers.summary.build_summary", side_effect=quiet) as built:  # fmt: skip
        post_summary(client, MagicMock(), Command("summary", "prod"), "C1", MagicMock())
    assert built.call_args.args[2] == "24h"


def test_an_unknown_cluster_and_a_redis_outage_are_ephemeral() -> None:
    for error, says in ((ValueError("no cluster 'prdo' in eu-west-1"), "no cluster 'prdo'"),
                        (StoreUnavailable("down"), "state store (Redis) is unreachable")):  # fmt: skip
        client, respond = MagicMock(), MagicMock()
        with patch("handlers.summary.summary_scope", return_value=(Scope("prod"), ())), \
             patch("handlers.summary.build_summary", side_effect=error):  # fmt: skip
            assert not post_summary(client, MagicMock(), COMMAND, "C1", respond)
        assert respond.call_args.kwargs["response_type"] == "ephemeral"
        assert says in respond.call_args.kwargs["text"]
        client.chat_postMessage.assert_not_called()


def test_where_the_bot_cannot_post_the_summary_comes_through_the_response_url() -> None:
    respond = MagicMock()
    with patch("handlers.summary.summary_scope", return_value=(Scope("prod"), ())), \
         patch("handlers.summary.build_summary", side_effect=quiet), \
         patch("handlers.summary.post", side_effect=CannotPost("not_in_channel")):  # fmt: skip
        assert post_summary(MagicMock(), MagicMock(), COMMAND, "G1", respond)
    assert respond.call_args.kwargs["response_type"] == "in_channel"
    assert respond.call_args.kwargs["blocks"][0]["type"] == "header"
