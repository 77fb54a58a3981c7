"""The Slack bot as a workspace uses it: the real `ecs-why serve` process, signed requests over a socket,
a fake Slack Web API recording what the bot posts, the moto sandbox as AWS, and a real Redis."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import pytest

from tests.builders.served_bot import (
    OPERATOR,
    SECRET,
    STRANGER,
    audit,
    buttons,
    grace,
    headline,
    log_records,
    restore_grace,
)
from tests.fakes.slack_api import FakeSlackApi
from tests.fakes.slack_requests import (
    block_action,
    click_on,
    event_callback,
    message_shortcut,
    send,
    slash_command,
    view_submission,
)

pytestmark = pytest.mark.e2e
def test_bad_signature_and_stale_timestamp_are_refused(bot: str) -> None:
    request = slash_command("web --cluster demo")
    assert send(bot, request, SECRET, bad_signature=True)[0] == 401
    assert send(bot, request, SECRET, timestamp=int(time.time()) - 600)[0] == 401


def test_help_and_unknown_flags_answer_at_once(bot: str) -> None:
    status, body, _ = send(bot, slash_command("help"), SECRET)
    assert status == 200 and "subscribe" in body
    status, body, _ = send(bot, slash_command("web --clutser demo"), SECRET)
    assert status == 200 and "unknown option --clutser" in body and "--cluster" in body


def test_a_typo_gets_one_ephemeral_error_and_no_diagnosing(bot: str, slack: FakeSlackApi) -> None:
    slack.clear()
    status, body, _ = send(bot, slash_command("web —cluster demo —since yesterday"), SECRET)
    assert status == 200 and "use a number and a unit" in body
    time.sleep(1)
    assert not slack.calls("chat.postMessage"), "nothing is posted for a command that cannot run"


def test_smart_dashes_quotes_and_a_trailing_period_are_read_as_meant(bot: str, slack: FakeSlackApi) -> None:
    slack.clear()
    status, body, _ = send(
        bot,
        slash_command("“checkout” —cluster demo –since 24h.", response_url=slack.response_url("t")),
        SECRET,
    )
    assert status == 200 and not body
    top = headline(slack, "oom")
    assert "demo/checkout" in top["text"]


def test_slash_command_then_grace_period_button_changes_ecs_once(
    bot: str, slack: FakeSlackApi, endpoint: str, redis_url: str
) -> None:
    slack.clear()
    status, body, _elapsed = send(
        bot, slash_command("web --cluster demo", user_id=OPERATOR, response_url=slack.response_url()), SECRET
    )
    assert status == 200 and not body, "a valid command is acknowledged without an ephemeral"
    placeholder = slack.wait_for(
        "chat.postMessage", lambda c: "Diagnosing web" in c.params.get("text", ""), timeout=30
    )
    top = headline(slack, "elb_health_check")
    assert "demo/web" in top["text"]
    assert top["ts"] == placeholder.response["ts"], "the diagnosing message became the answer in place"
    fix = next(b for b in buttons(top) if b["action_id"].startswith("ecs_why_fix"))
    assert "190" in fix["text"]["text"], "the grace period offered is twice the observed start time"
    thread = slack.wait_for("chat.postMessage", lambda c: c.params.get("thread_ts") == top["ts"], timeout=30)
    assert thread.params["blocks"], "the evidence goes in the thread"

    before = grace(endpoint)
    send(
        bot,
        click_on(top, fix, OPERATOR),
        SECRET,
    )
    modal = slack.wait_for("views.open", timeout=30).params["view"]
    shown = json.dumps(modal)
    assert f"{before} s" in shown and "190 s" in shown and "aws ecs update-service" in shown
    assert grace(endpoint) == before, "nothing changes before the confirmation"

    view = slack.views()[-1]
    send(
        bot, view_submission("ecs_why_confirm", view["private_metadata"], user_id=OPERATOR, view=view), SECRET
    )
    slack.wait_for(
        "chat.postMessage",
        lambda c: "applied" in c.params.get("text", "") and c.params.get("thread_ts") == top["ts"],
        timeout=30,
    )
    assert grace(endpoint) == 190

    send(
        bot, view_submission("ecs_why_confirm", view["private_metadata"], user_id=OPERATOR, view=view), SECRET
    )
    slack.wait_for("chat.postEphemeral", lambda c: c.params.get("user") == OPERATOR, timeout=30)
    applied = [
        r for r in audit(redis_url) if r.get("event") == "applied" and r.get("kind") == "raise_grace_period"
    ]
    assert len(applied) == 1, "the same confirmation twice changes ECS once"
    assert applied[0]["user"] == OPERATOR
    restore_grace(endpoint, before)


def test_when_slack_refuses_to_update_the_diagnosing_message_the_answer_is_a_new_message_with_its_thread(
    bot: str, slack: FakeSlackApi
) -> None:
    """chat.update refused (msg_too_long, the message deleted, a rate limit after the retries): the
    answer used to go only to the user, pointing to a thread never posted, and "Diagnosing…" stayed."""
    slack.clear()
    slack.fail_next("chat.update", "msg_too_long")
    send(bot, slash_command("web --cluster demo", user_id=OPERATOR, channel_id="C5"), SECRET)
    placeholder = slack.wait_for(
        "chat.postMessage", lambda c: "Diagnosing web" in c.params.get("text", ""), timeout=30
    )
    top = headline(slack, "elb_health_check")
    assert top["channel"] == "C5" and top["ts"] != placeholder.response["ts"], "a new message in the channel"
    slack.wait_for("chat.postMessage", lambda c: c.params.get("thread_ts") == top["ts"], timeout=30)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and any("Diagnosing" in m.get("text", "") for m in slack.messages("C5")):
        time.sleep(0.1)
    shown = [m.get("text", "") for m in slack.messages("C5")]
    assert not [t for t in shown if "Diagnosing" in t], "no message says it is still diagnosing"


def test_one_log_line_per_request_diagnosis_and_change(
    bot: str, slack: FakeSlackApi, server_log: Path
) -> None:
    """Runs after the grace-period test above: its command, diagnosis and change are in the server's log."""
    wait_for_log = time.monotonic() + 30
    while time.monotonic() < wait_for_log and not log_records(server_log, "change"):
        time.sleep(0.2)
    commands = [r for r in log_records(server_log, "request") if r["kind"] == "command"]
    mine = [r for r in commands if r.get("user") == OPERATOR and r.get("target") == "web --cluster demo"]
    assert mine, commands
    assert mine[0]["channel"] and mine[0]["ack_ms"] >= 0
    kinds = {r["kind"] for r in log_records(server_log, "request")}
    assert {"command", "action", "view"} <= kinds
    web = [r for r in log_records(server_log, "diagnosis") if r["target"].endswith("demo/web")]
    assert web, log_records(server_log, "diagnosis")
    assert web[0]["category"] == "elb_health_check"
    assert web[0]["outcome"] == "failure"
    assert web[0]["calls"] > 0 and web[0]["rounds"] > 0 and web[0]["ms"] > 0
    assert 0 < web[0]["confidence"] <= 1 and web[0]["gaps"] >= 0
    [change] = [r for r in log_records(server_log, "change") if r["outcome"] == "applied"]
    assert change["who"] == OPERATOR
    assert change["what"] == "raise_grace_period"
    assert change["target"] == "demo/web"
    assert change["aws_request_id"], "the AWS request ID that CloudTrail knows the change by"
    text = server_log.read_text()
    assert SECRET not in text and "xoxb-e2e" not in text, "no secret in the log"


def test_a_user_who_is_not_an_operator_changes_nothing(
    bot: str, slack: FakeSlackApi, endpoint: str, redis_url: str
) -> None:
    slack.clear()
    send(
        bot,
        slash_command("checkout --cluster demo", user_id=STRANGER, response_url=slack.response_url("s")),
        SECRET,
    )
    top = headline(slack, "oom")
    fix = next(b for b in buttons(top) if b["action_id"].startswith("ecs_why_fix"))
    send(
        bot,
        block_action(
            fix["action_id"],
            fix["value"],
            user_id=STRANGER,
            message_ts=top["ts"],
            response_url=slack.response_url("refused"),
        ),
        SECRET,
    )
    refused = slack.wait_for("response_url", lambda c: "not allowed" in c.params.get("text", ""), timeout=30)
    assert refused.params.get("response_type") == "ephemeral"
    assert not [c for c in slack.calls("views.open")], "no confirmation modal for a refused user"
    assert any(r.get("event") == "refused" and r.get("user") == STRANGER for r in audit(redis_url))


def test_message_shortcut_answers_in_that_messages_thread(bot: str, slack: FakeSlackApi) -> None:
    slack.clear()
    alert = {
        "title": "ALARM: demo/orders RunningTaskCount < 2",
        "text": "Service demo/orders is flapping",
        "fallback": "alarm",
    }
    send(
        bot,
        message_shortcut(
            "CloudWatch alarm fired",
            attachments=[alert],
            message_ts="1700000555.000100",
            bot_id="B0ALARMS",
            message_user=None,
            response_url=slack.response_url("sc"),
        ),
        SECRET,
    )
    answer = slack.wait_for(
        "chat.postMessage",
        lambda c: (
            c.params.get("thread_ts") == "1700000555.000100" and "app_error" in c.params.get("text", "")
        ),
        timeout=60,
    )
    assert "demo/orders" in answer.params["text"]


def test_a_pasted_reason_typed_after_the_command_is_said_to_be_answered_in_the_channel(
    bot: str, slack: FakeSlackApi
) -> None:
    """Slash-command text is private to who typed it; the explanation goes to the channel, as any answer
    of /ecs-why: the ack says so at once, only to the user, and how to keep it private."""
    slack.clear()
    reason = (
        "CannotPullContainerError: pull image manifest has been retried 5 time(s): failed to resolve ref "
        "docker.io/library/foo:bar: not found"
    )
    status, body, _ = send(bot, slash_command(reason, channel_id="C7"), SECRET)
    assert status == 200 and "posted in this channel" in body and "direct messages" in body, body
    answer = headline(slack, "image_not_found")
    assert answer["channel"] == "C7"


def test_pasted_event_json_is_explained_without_aws(bot: str, slack: FakeSlackApi) -> None:
    slack.clear()
    event = {
        "detail-type": "ECS Task State Change",
        "source": "aws.ecs",
        "account": "123456789012",
        "region": "us-east-1",
        "detail": {
            "taskArn": "arn:aws:ecs:us-east-1:123456789012:task/prod/0123456789abcdef0123456789abcdef",
            "clusterArn": "arn:aws:ecs:us-east-1:123456789012:cluster/prod",
            "group": "service:payments",
            "lastStatus": "STOPPED",
            "stopCode": "TaskFailedToStart",
            "stoppedReason": "CannotPullContainerError: pull image manifest has been retried 5 time(s): "
            "failed to resolve ref docker.io/library/node:20: toomanyrequests: You have "
            "reached your pull rate limit.",
            "containers": [{"name": "app", "lastStatus": "STOPPED"}],
        },
    }
    text = "why did this die?\n```" + json.dumps(event) + "```"
    send(
        bot,
        message_shortcut(text, message_ts="1700000777.000100", response_url=slack.response_url("js")),
        SECRET,
    )
    answer = slack.wait_for(
        "chat.postMessage", lambda c: c.params.get("thread_ts") == "1700000777.000100", timeout=30
    )
    assert "registry_rate_limit" in answer.params["text"]


def test_a_fix_click_for_a_cluster_the_bot_cannot_reach_says_why_to_the_clicker(
    bot: str, slack: FakeSlackApi
) -> None:
    """A pasted task of another account's cluster `prod` offers "more memory"; the bot's credentials (the
    sandbox account) have no such cluster. The click used to get no answer at all."""
    slack.clear()
    task = {
        "taskArn": "arn:aws:ecs:us-east-1:111122223333:task/prod/0f1e2d3c4b5a69788796a5b4c3d2e1f0",
        "clusterArn": "arn:aws:ecs:us-east-1:111122223333:cluster/prod",
        "taskDefinitionArn": "arn:aws:ecs:us-east-1:111122223333:task-definition/api:7",
        "group": "service:api",
        "lastStatus": "STOPPED",
        "stopCode": "EssentialContainerExited",
        "stoppedReason": "Essential container in task exited",
        "memory": "512",
        "containers": [
            {"name": "app", "exitCode": 137, "reason": "OutOfMemoryError: Container killed due to memory usage"}
        ],
    }
    send(
        bot,
        message_shortcut(
            "```" + json.dumps({"tasks": [task]}) + "```",
            message_ts="1700000888.000100",
            response_url=slack.response_url("far"),
        ),
        SECRET,
    )
    answer = slack.wait_for(
        "chat.postMessage",
        lambda c: c.params.get("thread_ts") == "1700000888.000100" and bool(buttons(c.params)),
        timeout=60,
    )
    posted = answer.params | {"ts": answer.response["ts"]}
    fix = next(b for b in buttons(posted) if b["action_id"].startswith("ecs_why_fix"))
    assert send(bot, click_on(posted, fix, OPERATOR, response_url=slack.response_url("far-click")), SECRET)[0] == 200
    said = slack.wait_for("response_url", lambda c: c.params.get("response_type") == "ephemeral", timeout=30)
    text = said.params["text"]
    assert "cluster prod is not in" in text and "111122223333" in text and "--account" in text, text
    assert not slack.calls("views.open"), "no modal for a change that cannot be planned"


def test_an_alert_with_only_a_stop_reason_is_explained_in_its_thread(bot: str, slack: FakeSlackApi) -> None:
    """An EventBridge notifier's message: no ARN, no JSON, the reason in Block Kit fields."""
    slack.clear()
    blocks = [
        {"type": "header", "text": {"type": "plain_text", "text": ":red_circle: ECS task stopped"}},
        {
            "type": "section",
            "fields": [
                {"type": "mrkdwn", "text": "*Cluster*\nprod"},
                {
                    "type": "mrkdwn",
                    "text": "*Stopped reason*\nCannotPullContainerError: pull image manifest has been retried "
                    "5 time(s): failed to resolve ref docker.io/library/nginx:1.27-alpne: "
                    "docker.io/library/nginx:1.27-alpne: not found",
                },
            ],
        },
        {"type": "context", "elements": [{"type": "mrkdwn", "text": "sent by ecs-alerts via EventBridge"}]},
    ]
    send(
        bot,
        message_shortcut(
            "ECS task stopped",
            blocks=blocks,
            bot_id="B0NOTIFY",
            message_user=None,
            message_ts="1700000888.000100",
            response_url=slack.response_url("al"),
        ),
        SECRET,
    )
    answer = slack.wait_for(
        "chat.postMessage", lambda c: c.params.get("thread_ts") == "1700000888.000100", timeout=30
    )
    assert "image_not_found" in answer.params["text"]
    assert "nginx:1.27-alpne" in json.dumps(answer.params.get("blocks"))


def test_a_task_ecs_has_forgotten_is_answered_from_what_the_alert_says(bot: str, slack: FakeSlackApi) -> None:
    """A CloudWatch alarm bot's legacy attachment naming a task ARN the sandbox does not know."""
    slack.clear()
    forgotten = "arn:aws:ecs:us-east-1:123456789012:task/demo/feedfacefeedfacefeedfacefeedface"
    attachment = {
        "color": "danger",
        "pretext": "ECS Task State Change",
        "title": f"Task {forgotten} STOPPED",
        "fields": [
            {"title": "Stop code", "value": "ServiceSchedulerInitiated", "short": True},
            {
                "title": "Stopped reason",
                "value": "Task failed ELB health checks in (target-group arn:aws:elasticloadbalancing:"
                "us-east-1:123456789012:targetgroup/demo-web/0f1e2d3c4b5a6978)",
                "short": False,
            },
        ],
        "fallback": "ECS task stopped",
    }
    send(
        bot,
        message_shortcut(
            "",
            attachments=[attachment],
            bot_id="B0ALARMS",
            message_user=None,
            message_ts="1700000999.000100",
            response_url=slack.response_url("fg"),
        ),
        SECRET,
    )
    answer = slack.wait_for(
        "chat.postMessage", lambda c: c.params.get("thread_ts") == "1700000999.000100", timeout=60
    )
    assert "elb_health_check" in answer.params["text"]
    assert not [c for c in slack.calls("response_url") if "nothing" in c.params.get("text", "").lower()]


def test_a_follow_up_in_the_diagnosis_thread_is_about_the_same_service(bot: str, slack: FakeSlackApi) -> None:
    slack.clear()
    send(bot, slash_command("checkout --cluster demo", response_url=slack.response_url("f")), SECRET)
    top = headline(slack, "oom")
    slack.wait_for("chat.postMessage", lambda c: c.params.get("thread_ts") == top["ts"], timeout=30)

    def ask(text: str) -> dict[str, Any]:
        event = {"type": "app_mention", "user": "U1", "text": f"<@UBOT> {text}", "channel": "C1",
                 "ts": f"{time.time():.6f}", "thread_ts": top["ts"]}  # fmt: skip
        status, _, _ = send(bot, event_callback(event), SECRET)
        assert status == 200
        return event

    ask("tasks")
    tasks = slack.wait_for(
        "chat.postMessage",
        lambda c: (
            c.params.get("thread_ts") == top["ts"] and c.params.get("text", "").startswith("Stopped tasks")
        ),
        timeout=60,
    )
    assert "exit 137" in tasks.params["blocks"][0]["text"]["text"], (
        "the OOM-killed tasks, with their exit code"
    )
    ask("make coffee")
    unknown = slack.wait_for(
        "chat.postMessage",
        lambda c: c.params.get("thread_ts") == top["ts"] and "I do not know" in c.params.get("text", ""),
        timeout=30,
    )
    assert "`logs`" in unknown.params["blocks"][0]["text"]["text"]


def test_a_dm_names_the_service(bot: str, slack: FakeSlackApi) -> None:
    slack.clear()
    event = {"type": "message", "channel_type": "im", "user": "U1", "text": "events demo/web", "channel": "D0DM",
             "ts": f"{time.time():.6f}"}  # fmt: skip
    send(bot, event_callback(event), SECRET)
    answer = slack.wait_for("chat.postMessage", lambda c: c.params.get("channel") == "D0DM", timeout=60)
    assert answer.params["text"].startswith("Recent events of demo/web")
