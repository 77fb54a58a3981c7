"""`/ecs-why check SERVICE` in Slack: errors in the channel with the fix buttons the bot can apply, warnings
in the thread, AWS text escaped, and a typo or an AWS failure answered in words."""

from __future__ import annotations

import json
from typing import Any
from unittest.mock import MagicMock, patch

from diagnosis.collect.target import UnknownTarget
from diagnosis.models import Target
from diagnosis.prevent.rules import ALL
from diagnosis.prevent.run import check_subjects
from handlers.check import check_and_publish
from tests.builders.listener_mocks import client, services
from tests.builders.live_subject import live
from tests.builders.prevent import service

COMMAND = "check web --cluster prod"


def report(fact_tag: str = "v2.4.0") -> Any:
    lb = [{"targetGroupArn": "tg", "containerName": "app", "containerPort": 8080}]
    subject = live(
        svc=service(deploymentConfiguration={}, loadBalancers=lb, desiredCount=2),
        images={"web": [fact_tag]},
        ecr={"web": ["v2.3.1"]},
    )
    found = check_subjects([subject], ALL)
    return found.model_copy(
        update={"target": Target(account="111122223333", region="eu-west-1", cluster="prod", service="web")}
    )


def run(result: Any = None, error: Exception | None = None) -> tuple[MagicMock, MagicMock, MagicMock, bool]:
    from handlers.grammar import parse_command

    svc, slack, respond = services(), client(), MagicMock()
    with patch("handlers.check.run_check", side_effect=error, return_value=result):
        done = check_and_publish(slack, svc, parse_command(COMMAND), "C1", "U1", respond)
    return svc, slack, respond, done


def test_errors_go_in_the_channel_with_fix_buttons_and_warnings_in_the_thread() -> None:
    svc, slack, _respond, done = run(report())
    assert done
    placeholder, *thread = slack.chat_postMessage.call_args_list
    assert "Checking web" in placeholder.kwargs["text"]
    top = slack.chat_update.call_args.kwargs
    assert top["ts"] == "1700000000.000001"
    text = json.dumps(top["blocks"])
    assert "1 error" in text and "v2.4.0" in text and "image_exists" in text
    assert "circuit_breaker" not in text  # a warning: in the thread
    offered = [call.args[0].action.kind for call in svc.remediator.offer.call_args_list]
    assert offered == ["enable_circuit_breaker", "raise_grace_period"]
    buttons = [e for b in top["blocks"] if b["type"] == "actions" for e in b["elements"]]
    assert [b["value"] for b in buttons[:2]] == ["key0", "key1"]
    assert buttons[-1]["value"] == COMMAND  # Re-run
    warnings = json.dumps([c.kwargs["blocks"] for c in thread])
    assert "circuit_breaker" in warnings and all(c.kwargs["thread_ts"] == top["ts"] for c in thread)


def test_aws_text_is_escaped() -> None:
    _svc, slack, _respond, _done = run(report("<!channel>"))
    assert "<!channel>" not in json.dumps(slack.chat_update.call_args.kwargs["blocks"])


def test_an_unknown_service_replaces_the_checking_message_with_the_error() -> None:
    _svc, slack, respond, done = run(error=UnknownTarget("no service webb in prod; closest: web"))
    assert not done
    assert "closest: web" in slack.chat_update.call_args.kwargs["text"]
    respond.assert_not_called()


def test_a_crash_says_what_failed() -> None:
    _svc, slack, _respond, done = run(error=RuntimeError("boom"))
    assert not done and "RuntimeError" in slack.chat_update.call_args.kwargs["text"]
