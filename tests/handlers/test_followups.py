"""Follow-ups in a thread and in a DM: answered in that thread, about the thread's target (stored when the
diagnosis was posted), the DM's target named in the message; unknown words get the list."""

from __future__ import annotations

import time
from typing import Any
from unittest.mock import MagicMock

from bot.store import Store
from diagnosis.collect.target import UnknownTarget
from diagnosis.models import ContainerFacts, Observations, TaskFacts
from handlers import followups
from handlers.grammar import Command
from tests.builders.diagnoses import build
from tests.builders.listener_mocks import client, services

ROOT = "1700000000.000100"


def mention(text: str, thread_ts: str | None = ROOT, **extra: Any) -> dict[str, Any]:
    event = {"type": "app_mention", "text": f"<@U0BOT> {text}", "channel": "C1", "user": "U1",
             "ts": "1700000000.000900", **extra}  # fmt: skip
    if thread_ts:
        event["thread_ts"] = thread_ts
    return event


def in_thread(svc: MagicMock, command: str | None = "web-api --cluster prod") -> MagicMock:
    svc.store.thread_command.side_effect = lambda channel, ts: (
        command if (channel, ts) == ("C1", ROOT) else None
    )
    return svc


def posts(slack: MagicMock) -> list[dict[str, Any]]:
    return [c.kwargs for c in slack.chat_postMessage.call_args_list]


def test_logs_in_a_diagnosis_thread_are_about_its_target_and_answered_there() -> None:
    svc, slack = in_thread(services()), client()
    followups.answer(svc, slack, mention("logs"))
    svc.diagnoser.run.assert_called_once_with(Command("diagnose", "web-api", "prod"), log_lines=200)
    (reply,) = posts(slack)
    assert reply["thread_ts"] == ROOT and reply["channel"] == "C1" and reply["text"] == "Log lines"


def test_rerun_posts_a_fresh_diagnosis_in_the_same_thread() -> None:
    svc, slack = in_thread(services()), client()
    followups.answer(svc, slack, mention("rerun"))
    svc.diagnoser.run.assert_called_once_with(Command("diagnose", "web-api", "prod"))
    assert posts(slack) and all(p["thread_ts"] == ROOT for p in posts(slack))
    assert "elb_health_check" in posts(slack)[0]["text"]


def test_tasks_reads_the_service_now(monkeypatch: Any) -> None:
    seen: list[Command] = []
    task = TaskFacts(
        task_arn="arn:aws:ecs:us-east-1:1:task/prod/" + "a" * 32,
        last_status="STOPPED",
        stop_code="EssentialContainerExited",
        containers=(ContainerFacts(name="app", exit_code=137),),
    )

    def observe(settings: Any, command: Command) -> Observations:
        seen.append(command)
        return Observations(kind="live", tasks=(task,))

    monkeypatch.setattr(followups, "observe", observe)
    svc, slack = in_thread(services()), client()
    followups.answer(svc, slack, mention("tasks"))
    assert seen == [Command("diagnose", "web-api", "prod")]
    assert "app exit 137" in posts(slack)[0]["blocks"][0]["text"]["text"]


def test_why_names_the_cause_and_whether_it_was_seen() -> None:
    svc, slack = in_thread(services(build("oom"))), client()
    followups.answer(svc, slack, mention("why oom"))
    text = posts(slack)[0]["blocks"][0]["text"]["text"]
    assert text.startswith("*Why `oom`*") and "Seen here" in text


def test_unknown_words_get_the_list_without_any_lookup() -> None:
    svc, slack = in_thread(services()), client()
    followups.answer(svc, slack, mention("make coffee"))
    (reply,) = posts(slack)
    assert reply["thread_ts"] == ROOT
    assert (
        "I do not know `make`" in reply["blocks"][0]["text"]["text"]
        and "`logs`" in reply["blocks"][0]["text"]["text"]
    )
    svc.diagnoser.run.assert_not_called()


def test_a_thread_that_is_no_diagnosis_asks_for_the_target() -> None:
    svc, slack = in_thread(services(), None), client()
    followups.answer(svc, slack, mention("logs"))
    assert "name it: `logs prod/web-api`" in posts(slack)[0]["text"]
    svc.diagnoser.run.assert_not_called()


def test_a_dm_names_its_target_and_is_answered_in_the_dm() -> None:
    svc, slack = services(), client()
    event = {"type": "message", "channel_type": "im", "channel": "D1", "user": "U1", "ts": "5.6",
             "text": "logs prod/web-api"}  # fmt: skip
    followups.answer(svc, slack, event)
    svc.diagnoser.run.assert_called_once_with(Command("diagnose", "prod/web-api"), log_lines=200)
    (reply,) = posts(slack)
    assert reply["channel"] == "D1" and "thread_ts" not in reply


def test_an_error_is_said_in_the_thread() -> None:
    svc, slack = in_thread(services(error=UnknownTarget("no service web-api in prod"))), client()
    followups.answer(svc, slack, mention("diff"))
    assert posts(slack)[0]["text"] == "⚠️ no service web-api in prod"


def test_the_bots_own_messages_and_edits_are_ignored() -> None:
    svc, slack = services(), client()
    followups.answer(svc, slack, {"type": "message", "channel_type": "im", "channel": "D1", "bot_id": "B1",
                                  "text": "logs prod/web"})  # fmt: skip
    followups.answer(svc, slack, {"type": "message", "channel_type": "im", "channel": "D1",
                                  "subtype": "message_changed", "text": "logs prod/web"})  # fmt: skip
    slack.chat_postMessage.assert_not_called()


def test_a_mention_is_answered_and_a_channel_message_without_one_is_not() -> None:
    svc, slack = in_thread(services()), client()
    followups.on_message(
        svc,
        event={"type": "message", "channel_type": "channel", "channel": "C1", "text": "logs prod/web"},
        client=slack,
    )
    slack.chat_postMessage.assert_not_called()
    followups.on_mention(svc, event=mention("logs"), client=slack)
    assert posts(slack)[0]["thread_ts"] == ROOT


def test_a_direct_message_is_answered() -> None:
    svc, slack = services(), client()
    event = {"type": "message", "channel_type": "im", "channel": "D1", "user": "U1", "ts": "5.6",
             "text": "logs prod/web-api"}  # fmt: skip
    followups.on_message(svc, event=event, client=slack)
    assert posts(slack)[0]["channel"] == "D1"


def pasting(svc: MagicMock) -> MagicMock:
    svc.settings.since_default = "24h"
    svc.store = Store.from_url(None, prefix=f"t{time.time_ns()}")
    return svc


def test_a_dm_that_pastes_a_stop_reason_is_explained_there_without_aws() -> None:
    svc, slack = pasting(services()), client()
    event = {"type": "message", "channel_type": "im", "channel": "D1", "user": "U1", "ts": "5.6",
             "text": "got this overnight: Essential container in task exited. Exit code 137, "
                     "reason OutOfMemoryError: Container killed due to memory usage"}  # fmt: skip
    followups.answer(svc, slack, event)
    svc.diagnoser.run.assert_not_called()
    said = " ".join(str(p) for p in posts(slack))
    assert posts(slack)[0]["channel"] == "D1"
    assert "memory" in said.lower() and "I do not know" not in said


def test_a_mention_in_a_thread_that_pastes_a_service_event_is_explained_in_the_thread() -> None:
    svc, slack = pasting(services()), client()
    followups.answer(
        svc,
        slack,
        mention(
            "(service api) was unable to place a task because no container instance met all of its "
            "requirements. The closest matching container-instance 4a1c has insufficient memory available."
        ),
    )
    svc.diagnoser.run.assert_not_called()
    first = posts(slack)[0]
    assert first["thread_ts"] == ROOT and "I do not know" not in str(first)
    assert "memory" in str(posts(slack)).lower()


def test_words_that_say_nothing_of_ecs_still_get_the_list() -> None:
    svc, slack = in_thread(services()), client()
    followups.answer(svc, slack, mention("thanks, that was it"))
    assert "I do not know `thanks,`" in posts(slack)[0]["blocks"][0]["text"]["text"]
