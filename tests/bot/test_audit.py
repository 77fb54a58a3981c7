"""Reading the audit log: one service's records over a window, who asked and approved, what changed, the
AWS request ID and the outcome; `ecs-why audit` in a terminal against a real redis-server."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest

from bot.audit import AuditQueryError, entry, read
from bot.store import Store
from handlers.grammar import CommandError, check_command, read_command
from handlers.render.audit import audit_message
from tests.builders.slack_messages import check_limits

ROOT = Path(__file__).resolve().parents[2]
WEB = {"cluster": "prod", "service": "web", "account": "123456789012"}
APPLIED = {
    "event": "applied",
    "user": "U0ASKER",
    "approved_by": "U0APPROVER",
    "kind": "raise_grace_period",
    "target": WEB,
    "changes": [["healthCheckGracePeriodSeconds", "10 s", "190 s"]],
    "aws_request_id": "8d1f-req",
    "rule": "prod-two",
    "mode": "approve",
}


NOT_PLANNED = {
    "event": "failed",
    "user": "U0ASKER",
    "kind": "raise_grace_period",
    "target": WEB,
    "rule": "prod-two",
    "why_not": {"code": "grace_already_long", "service": "web", "before": 300, "asked": 190},
}
GRACE_SAID = "the grace period of web is already 300 s (asked for 190 s)"


def seed(store: Store) -> None:
    store.audit(
        {
            "event": "refused",
            "user": "U0X",
            "kind": "rollback",
            "target": {"cluster": "prod", "service": "api"},
            "rule": "freeze",
            "mode": "deny",
            "stage": "click",
        }
    )
    store.audit(
        {
            "event": "approval_requested",
            "user": "U0ASKER",
            "requested_by": "U0ASKER",
            "kind": "raise_grace_period",
            "target": WEB,
            "rule": "prod-two",
        }
    )
    store.audit(APPLIED)
    store.audit(
        {
            "event": "approved",
            "user": "U0APPROVER",
            "requested_by": "U0ASKER",
            "kind": "raise_grace_period",
            "target": WEB,
            "rule": "prod-two",
        }
    )


def test_one_services_records_newest_first(store: Store) -> None:
    seed(store)
    records = read(store, timedelta(days=7), "web")
    assert [r["event"] for r in records] == ["approved", "applied", "approval_requested"]
    assert [r["event"] for r in read(store, timedelta(days=7), "prod/api")] == ["refused"]
    assert read(store, timedelta(days=7), "staging/web") == []
    assert len(read(store, timedelta(days=7))) == 4


def test_the_window_leaves_older_records_out(store: Store) -> None:
    old = {"event": "applied", "user": "U0OLD", "target": WEB}
    store.redis.xadd(store.key("audit"), {"record": json.dumps(old)}, id="1000-0")  # 1970
    seed(store)
    assert "U0OLD" not in {r["user"] for r in read(store, timedelta(days=7), "web")}
    assert "U0OLD" in {r["user"] for r in read(store, timedelta(days=365 * 80), "web")}


def test_an_entry_says_who_asked_who_approved_what_changed_and_the_request_id() -> None:
    e = entry(APPLIED)
    assert (e.outcome, e.asked_by, e.approved_by, e.target) == (
        "applied",
        "U0ASKER",
        "U0APPROVER",
        "prod/web",
    )
    assert e.changes == [("healthCheckGracePeriodSeconds", "10 s", "190 s")]
    assert (e.aws_request_id, e.rule) == ("8d1f-req", "prod-two")
    approved = entry({"event": "approved", "user": "U0APPROVER", "requested_by": "U0ASKER", "target": WEB})
    assert (approved.asked_by, approved.approved_by) == ("U0ASKER", "U0APPROVER")
    rejected = entry({"event": "rejected", "user": "U0B", "requested_by": "U0ASKER", "target": WEB})
    assert (rejected.approved_by, rejected.detail) == (None, "rejected by U0B")


def test_why_a_change_was_not_planned_is_read_from_its_code_and_older_records_as_written() -> None:
    assert entry(NOT_PLANNED).detail == GRACE_SAID
    written_before = {**NOT_PLANNED, "why_not": None, "error": "PlanError: the grace period is already 300 s"}
    assert entry(written_before).detail == "PlanError: the grace period is already 300 s"
    newer = entry({**NOT_PLANNED, "why_not": {"code": "from_a_newer_version", "service": "web"}})
    assert newer.detail is not None and "from_a_newer_version" in newer.detail and "web" in newer.detail
    aws = entry({**NOT_PLANNED, "why_not": None, "error": "AccessDeniedException: not allowed"})
    assert aws.detail == "AccessDeniedException: not allowed"


def test_a_service_filter_that_names_no_service_is_refused(store: Store) -> None:
    with pytest.raises(AuditQueryError, match="not a service name"):
        read(store, timedelta(days=1), "<!channel>")


def test_the_slash_command_reads_audit_with_since_and_refuses_anything_else() -> None:
    command = read_command("audit web --since 7d")
    check_command(command, set())
    assert (command.verb, command.target, command.since) == ("audit", "web", "7d")
    assert read_command("audit").target == ""
    with pytest.raises(CommandError, match="unknown option --cluster"):
        read_command("audit web --cluster prod")
    with pytest.raises(CommandError, match="not a service name"):
        check_command(read_command("audit 'web api'"), set())


def test_the_slack_answer_mentions_people_and_keeps_aws_values_plain() -> None:
    evil = APPLIED | {
        "changes": [["taskDefinition", "web:7 <!here>", "web:6"]],
        "aws_request_id": "<!channel>",
    }
    message = audit_message([entry(evil), entry(APPLIED)], "web", "7d")
    check_limits({"text": message.text, "blocks": message.blocks})
    text = json.dumps(message.blocks, ensure_ascii=False)
    assert "<@U0ASKER>" in text and "approved by <@U0APPROVER>" in text
    assert "<!here>" not in text and "<!channel>" not in text
    assert "10 s → *190 s*" in text and "`prod-two`" in text
    evil_why = {**NOT_PLANNED, "why_not": {"code": "service_gone", "cluster": "prod", "service": "<!here>"}}
    said = json.dumps(audit_message([entry(evil_why)], "web", "7d").blocks, ensure_ascii=False)
    assert "service prod/&lt;!here&gt; no longer exists" in said
    many = audit_message([entry(APPLIED)] * 60, "web", "7d")
    assert len(many.blocks) <= 50 and "20 more" in json.dumps(many.blocks, ensure_ascii=False)


def run_audit(*args: str, redis_url: str | None) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ECS_WHY_") and k != "REDIS_URL"}
    if redis_url:
        env["REDIS_URL"] = redis_url
    return subprocess.run(
        [sys.executable, "-m", "bot.cli", "audit", *args],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_ecs_why_audit_in_a_terminal(store: Store, redis_url: str) -> None:
    seed(store)
    result = run_audit("web", "--since", "7d", "--json", redis_url=redis_url)
    assert result.returncode == 0, result.stderr
    records = [json.loads(line) for line in result.stdout.splitlines()]
    assert [r["event"] for r in records] == ["approved", "applied", "approval_requested"]
    assert records[1]["aws_request_id"] == "8d1f-req" and records[1]["approved_by"] == "U0APPROVER"
    text = run_audit("web", redis_url=redis_url)
    assert text.returncode == 0, text.stderr
    applied = next(line for line in text.stdout.splitlines() if " applied " in line)
    for part in (
        "raise_grace_period",
        "prod/web",
        "asked by U0ASKER",
        "approved by U0APPROVER",
        "healthCheckGracePeriodSeconds 10 s → 190 s",
        "rule prod-two",
        "request 8d1f-req",
    ):
        assert part in applied, applied


def test_ecs_why_audit_in_a_terminal_says_why_a_change_was_not_planned(store: Store, redis_url: str) -> None:
    store.audit(NOT_PLANNED)
    text = run_audit("web", redis_url=redis_url)
    assert text.returncode == 0, text.stderr
    (failed,) = text.stdout.splitlines()
    assert " failed " in failed and failed.endswith(GRACE_SAID), failed
    as_json = run_audit("web", "--json", redis_url=redis_url)
    assert json.loads(as_json.stdout)["why_not"] == NOT_PLANNED["why_not"], "machine-readable as recorded"


def test_ecs_why_audit_says_what_is_wrong(redis_url: str) -> None:
    no_redis = run_audit(redis_url=None)
    assert no_redis.returncode == 2 and "REDIS_URL is not set" in no_redis.stderr
    bad_since = run_audit("--since", "yesterday", redis_url=redis_url)
    assert bad_since.returncode == 2 and "use a number and a unit" in bad_since.stderr
    bad_service = run_audit("web api", redis_url=redis_url)
    assert bad_service.returncode == 2 and "not a service name" in bad_service.stderr
    assert "Traceback" not in no_redis.stderr + bad_since.stderr + bad_service.stderr
