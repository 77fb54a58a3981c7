"""The shortcut's answer from what a message says: target completed from the names in it, stored history
added, and a note that ECS no longer knows the task."""

from __future__ import annotations

import time
from unittest.mock import MagicMock

from bot.store import Store, service_key
from bot.store.records import StopRecord
from handlers.extract import find_in_message
from handlers.grammar import Command
from handlers.shortcuts import explain

TASK = "arn:aws:ecs:us-east-1:123456789012:task/prod/0f1e2d3c4b5a69788796a5b4c3d2e1f0"
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
