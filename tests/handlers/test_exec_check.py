"""`/ecs-why exec-check SERVICE` in Slack: a plain-text header with the verdict, failures first with their
facts and fixes, the execute-command line, the "Enable ECS Exec" button only when ECS Exec is off, AWS text
escaped, and a bad target answered in words."""

from __future__ import annotations

import json
from typing import Any
from unittest.mock import MagicMock, patch

from slack_sdk.errors import SlackApiError
from slack_sdk.models.blocks import Block
from slack_sdk.web import SlackResponse

from bot.store import StoreUnavailable
from diagnosis.collect.target import UnknownTarget
from handlers.exec_check import exec_check_and_publish
from handlers.grammar import parse_command
from tests.builders.exec_report import LINE, report
from tests.builders.listener_mocks import client, services

COMMAND = "exec-check shell --cluster tools"


def run(result: Any = None, error: Exception | None = None) -> tuple[MagicMock, MagicMock, MagicMock, bool]:
    svc, slack, respond = services(), client(), MagicMock()
    with patch("handlers.exec_check.run_exec_check", side_effect=error, return_value=result):
        done = exec_check_and_publish(slack, svc, parse_command(COMMAND), "C1", "U1", respond)
    return svc, slack, respond, done


def test_the_verdict_failures_first_the_line_and_the_enable_button() -> None:
    svc, slack, _respond, done = run(report())
    assert done
    placeholder, *thread = slack.chat_postMessage.call_args_list
    assert "Checking ECS Exec on shell" in placeholder.kwargs["text"]
    top = slack.chat_update.call_args.kwargs
    blocks = top["blocks"]
    assert blocks[0]["type"] == "header" and blocks[0]["text"]["type"] == "plain_text"
    assert "1 of 3 checks fail" in blocks[0]["text"]["text"]
    sections = [b["text"]["text"] for b in blocks if b["type"] == "section"]
    assert "service_enabled" in sections[0] and "update-service --enable-execute-command" in sections[0]
    assert "could not check" in sections[1] and "iam:SimulatePrincipalPolicy" in sections[1]
    assert any(LINE in s for s in sections)
    [offered] = svc.remediator.offer.call_args_list
    assert offered.args[0].action.kind == "enable_execute_command"
    assert offered.args[0].target.service == "shell"
    buttons = [e for b in blocks if b["type"] == "actions" for e in b["elements"]]
    assert buttons[0]["text"]["text"] == "Enable ECS Exec" and buttons[0]["value"] == "key0"
    assert buttons[-1]["value"] == COMMAND  # Re-run: the same command
    for block in blocks:
        assert Block.parse(block) is not None
    gaps = json.dumps([c.kwargs["blocks"] for c in thread])
    assert "AccessDenied" in gaps and all(c.kwargs["thread_ts"] == top["ts"] for c in thread)


def test_no_enable_button_when_ecs_exec_is_on() -> None:
    svc, slack, _respond, _done = run(report(exec_on=True))
    svc.remediator.offer.assert_not_called()
    buttons = [
        e
        for b in slack.chat_update.call_args.kwargs["blocks"]
        if b["type"] == "actions"
        for e in b["elements"]
    ]
    assert [b["text"]["text"] for b in buttons] == ["Re-run"]


def test_aws_text_is_escaped() -> None:
    _svc, slack, _respond, _done = run(report(fact="<!channel> false on shell"))
    shown = json.dumps(slack.chat_update.call_args.kwargs["blocks"])
    assert "<!channel>" not in shown and "&lt;!channel&gt;" in shown


def test_an_unknown_service_replaces_the_checking_message_with_the_error() -> None:
    _svc, slack, respond, done = run(error=UnknownTarget("no service shel in tools; closest: shell"))
    assert not done
    assert "closest: shell" in slack.chat_update.call_args.kwargs["text"]
    respond.assert_not_called()


def test_a_crash_says_what_failed() -> None:
    _svc, slack, _respond, done = run(error=RuntimeError("boom"))
    assert not done and "RuntimeError" in slack.chat_update.call_args.kwargs["text"]


def test_the_exec_check_message_golden() -> None:
    from handlers.render.exec_check import headline
    from tests.handlers.golden_files import check_golden

    off = report()
    assert off.action is not None
    check_golden("exec_check_off", headline(off, COMMAND, [(off.action, "key0")]))
    check_golden("exec_check_ready", headline(report(exec_on=True), COMMAND, []))


def test_with_the_state_store_down_the_verdict_comes_without_the_button_and_says_why() -> None:
    svc, slack, respond = services(), client(), MagicMock()
    svc.remediator.offer.side_effect = StoreUnavailable("redis down")
    with patch("handlers.exec_check.run_exec_check", return_value=report()):
        done = exec_check_and_publish(slack, svc, parse_command(COMMAND), "C1", "U1", respond)
    assert done
    top = slack.chat_update.call_args.kwargs
    shown = json.dumps(top["blocks"])
    assert "Checking ECS Exec" not in top["text"] and "service_enabled" in shown
    assert "Enable ECS Exec" not in shown and "state store (Redis)" in shown


def test_slack_refusing_the_verdict_tells_the_user_with_the_answer() -> None:
    svc, slack, respond = services(), client(), MagicMock()
    refused = SlackResponse(
        client=None,
        http_verb="POST",
        api_url="https://slack.com/api/chat.update",
        req_args={},
        data={"ok": False, "error": "fatal_error"},
        headers={},
        status_code=500,
    )
    slack.chat_update.side_effect = SlackApiError("fatal", refused)
    with patch("handlers.exec_check.run_exec_check", return_value=report()):
        done = exec_check_and_publish(slack, svc, parse_command(COMMAND), "C1", "U1", respond)
    assert not done
    told = respond.call_args.kwargs
    assert told["response_type"] == "ephemeral" and "fatal_error" in told["text"]
    assert "service_enabled" in json.dumps(told["blocks"])
