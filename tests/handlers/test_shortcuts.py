"""handlers/shortcuts.py: the shortcut diagnoses what a message names in its thread, or says it found nothing;
its answer from what a message says has the target completed from the names in it, stored history added,
and a note that ECS no longer knows the task."""

from __future__ import annotations

import json
import time
from typing import Any
from unittest.mock import MagicMock

from bot.store import Store, service_key
from bot.store.records import StopRecord
from handlers.extract import find_in_message
from handlers.grammar import Command
from handlers.render.diagnosis import MORE_LOGS, RERUN
from handlers.shortcuts import answer, explain
from tests.builders.listener_mocks import client
from tests.builders.listener_mocks import services as mocked_services

TASK = "arn:aws:ecs:us-east-1:123456789012:task/prod/0f1e2d3c4b5a69788796a5b4c3d2e1f0"
SERVICE = "arn:aws:ecs:us-east-1:123456789012:service/prod/web-api"
OOM = "OutOfMemoryError: Container killed due to memory usage"


def services(store: Store) -> MagicMock:
    svc = MagicMock()
    svc.store = store
    svc.settings.since_default = "24h"
    return svc


def test_a_forgotten_task_is_explained_from_the_message_with_stored_history() -> None:
    store = Store.from_url(None, prefix=f"t{time.time_ns()}")
    key = service_key("123456789012", "us-east-1", "prod", "web")
    for i in range(3):
        store.record_stop(key, StopRecord(task_arn=f"{TASK[:-1]}{i}", category="oom"), 7, 100)
    found = find_in_message(f"prod/web task {TASK} stopped\nStatus reason: {OOM}\nExit code: 137")
    assert found.explained is not None
    diagnosis = explain(found.explained, found.commands, services(store))
    assert diagnosis is not None
    assert diagnosis.target.cluster == "prod" and diagnosis.target.service == "web"
    top = diagnosis.findings[0]
    assert top.category == "oom"
    assert any("stored history: oom 3 times" in e.fact for e in top.evidence)
    assert any(g.what == "live task details" for g in diagnosis.gaps)


def test_a_message_naming_no_cause_gives_no_explanation() -> None:
    found = find_in_message("(service web) has reached a steady state.")
    assert found.explained is not None
    assert explain(found.explained, [Command("diagnose", "prod/web")], services(Store.from_url(None))) is None


def shortcut(text: str, thread_ts: str | None = None) -> dict[str, Any]:
    message = {"type": "message", "text": text, "ts": "1700000000.000100", "user": "U2"}
    if thread_ts:
        message["thread_ts"] = thread_ts
    return {"type": "message_action", "callback_id": "why_did_this_stop", "channel": {"id": "C1"},
            "user": {"id": "U1"}, "message": message}  # fmt: skip


def test_the_shortcut_diagnoses_what_the_message_names_in_its_thread() -> None:
    svc, slack, respond = mocked_services(), client(), MagicMock()
    asked = shortcut(f"web-api in prod is flapping: {SERVICE}")
    answer(svc, shortcut=asked, client=slack, respond=respond)
    svc.diagnoser.run.assert_called_once()
    assert (
        svc.diagnoser.run.call_args.args[0].target
        == "arn:aws:ecs:us-east-1:123456789012:service/prod/web-api"
    )
    posted = [c.kwargs for c in slack.chat_postMessage.call_args_list]
    assert posted and all(p["thread_ts"] == "1700000000.000100" for p in posted)
    respond.assert_not_called()


def test_a_message_with_nothing_to_diagnose_is_told_so_only_to_the_user() -> None:
    svc, slack, respond = mocked_services(), client(), MagicMock()
    answer(svc, shortcut=shortcut("lunch at noon?"), client=slack, respond=respond)
    svc.diagnoser.run.assert_not_called()
    slack.chat_postMessage.assert_not_called()
    kwargs = respond.call_args.kwargs
    assert kwargs["response_type"] == "ephemeral" and kwargs["text"].startswith("I found nothing to diagnose")


def test_a_pasted_stop_names_this_message_and_offers_no_button_that_cannot_work() -> None:
    """No target in the message: the answer is about "this message", with no Re-run of 'the input'."""
    svc, slack, respond = services(Store.from_url(None, prefix=f"t{time.time_ns()}")), client(), MagicMock()
    svc.remediator.offer.side_effect = lambda pending: "key"
    pasted = "Task stopped: Essential container in task exited & exit code 1"
    answer(svc, shortcut=shortcut(pasted), client=slack, respond=respond)
    svc.diagnoser.run.assert_not_called()
    head = slack.chat_postMessage.call_args_list[0].kwargs
    shown = json.dumps(head["blocks"], ensure_ascii=False)
    assert "on *this message*" in shown and "the input" not in shown + head["text"]
    buttons = [e for b in head["blocks"] if b["type"] == "actions" for e in b["elements"]]
    assert all(b["action_id"] not in (RERUN, MORE_LOGS) for b in buttons), buttons
    assert "the input" not in json.dumps([c.kwargs for c in slack.chat_postMessage.call_args_list])
