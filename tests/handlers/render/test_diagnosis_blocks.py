"""Golden files of the rendered Slack blocks, one per taxonomy category (Botkube-style).

Each diagnosis is built from real-looking input (the corpus cases and the collected wordings, or a
plausible task document) through `diagnosis.parse` and `diagnosis.engine.diagnose`, then rendered as the
headline (with fake pending keys for its fix buttons) and the thread. Every message is checked against
Slack's limits and rebuilt through slack_sdk's models. Regenerate with `UPDATE_GOLDEN=1 pytest …`.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest
from slack_sdk.models.blocks import Block

from bot.commands import Command
from diagnosis.engine import diagnose
from diagnosis.knowledge import CATALOG
from diagnosis.models import Diagnosis, EvidenceItem, Gap
from diagnosis.parse import parse_document
from handlers.render.diagnosis import FIX, MORE_LOGS, RERUN, Message, headline, log_message, thread
from tests.diagnosis.test_wordings import as_document

GOLDEN = Path(__file__).parent / "golden"
DATA = Path(__file__).resolve().parents[2] / "diagnosis" / "data"
UPDATE = os.environ.get("UPDATE_GOLDEN") == "1"
TASK = "arn:aws:ecs:us-east-1:123456789012:task/prod/0f1e2d3c4b5a69788796a5b4c3d2e1f0"

# category → where its input comes from: ("corpus", id), ("wording", id) or ("task", extra fields)
SOURCES: dict[str, tuple[str, Any]] = {
    "agent_or_docker_daemon": ("wording", "w072"),
    "app_error": ("corpus", "s09"),
    "clean_exit": ("corpus", "s14"),
    "command_not_found": ("corpus", "s10"),
    "container_health_check": ("corpus", "s18"),
    "container_start_failure": ("corpus", "s24"),
    "elb_health_check": ("corpus", "s17"),
    "eni_or_subnet": ("corpus", "s06"),
    "fargate_capacity_or_quota": ("corpus", "s28"),
    "graceful_sigterm": (
        "task",
        {
            "stopCode": "EssentialContainerExited",
            "stoppedReason": "Essential container in task exited",
            "containers": [{"name": "app", "lastStatus": "STOPPED", "exitCode": 143}],
        },
    ),
    "image_not_found": ("corpus", "s01"),
    "image_platform_mismatch": ("corpus", "s31"),
    "image_pull_auth": ("corpus", "s03"),
    "image_pull_network": ("corpus", "s29"),
    "infra_maintenance": ("corpus", "s21"),
    "instance_terminated_or_drained": ("wording", "w022"),
    "invalid_task_definition_or_parameter": ("wording", "w014"),
    "log_driver_init": ("corpus", "s30"),
    "oom": ("corpus", "s07"),
    "other": ("wording", "w012"),
    "placement_constraint_or_no_instances": ("corpus", "s27"),
    "placement_insufficient_resources": ("corpus", "s19"),
    "registry_rate_limit": ("corpus", "s04"),
    "runtime_timeout": ("corpus", "s25"),
    "scaling_or_deployment": ("corpus", "s13"),
    "secrets_retrieval": ("corpus", "s05"),
    "segfault": ("corpus", "s12"),
    # always a side observation (secondary): a task ECS was stopping anyway that had to be SIGKILLed
    "sigkill_stop_timeout": (
        "task",
        {
            "stopCode": "UserInitiated",
            "stoppedReason": "Task stopped by user",
            "containers": [{"name": "app", "lastStatus": "STOPPED", "exitCode": 137}],
        },
    ),
    "spot_interruption": ("corpus", "s23"),
    "storage_exhausted": ("wording", "w003"),
    "user_stopped": ("corpus", "s22"),
    "volume_mount": ("corpus", "s26"),
}
SECONDARY_ONLY = {"sigkill_stop_timeout"}


def _jsonl(name: str) -> dict[str, dict[str, Any]]:
    lines = (DATA / name).read_text().splitlines()
    return {row["id"]: row for row in (json.loads(line) for line in lines if line.strip())}


def document(category: str) -> Any:
    kind, ref = SOURCES[category]
    if kind == "corpus":
        return _jsonl("corpus_cases.jsonl")[ref]["input"]
    if kind == "wording":
        return as_document({**_jsonl("wordings.jsonl"), **_jsonl("wordings_more.jsonl")}[ref])
    return {
        "taskArn": TASK,
        "clusterArn": "arn:aws:ecs:us-east-1:123456789012:cluster/prod",
        "group": "service:web",
        "taskDefinitionArn": "arn:aws:ecs:us-east-1:123456789012:task-definition/web:7",
        "launchType": "FARGATE",
        "lastStatus": "STOPPED",
        "desiredStatus": "STOPPED",
        **ref,
    }


def build(category: str) -> Diagnosis:
    return diagnose(parse_document(document(category)))


def render(diagnosis: Diagnosis) -> dict[str, Any]:
    top = diagnosis.findings[0] if diagnosis.findings else None
    actions = [r.action for r in (top.remediations if top else []) if r.action is not None]
    fixes = [(action, f"pending-key-{i}") for i, action in enumerate(actions)]
    command = Command("diagnose", diagnosis.target.label()).text()
    return {
        "headline": _as_dict(headline(diagnosis, command, fixes)),
        "thread": [_as_dict(m) for m in thread(diagnosis)],
        "log_lines": _as_dict(log_message(diagnosis)),
    }


def _as_dict(message: Message) -> dict[str, Any]:
    return {"text": message.text, "blocks": message.blocks}


def messages(rendered: dict[str, Any]) -> list[dict[str, Any]]:
    return [rendered["headline"], *rendered["thread"], rendered["log_lines"]]


def texts(block: dict[str, Any]) -> list[str]:
    """Every text string in a block (section text and fields, context elements, headers)."""
    found: list[str] = []
    if isinstance(block.get("text"), dict):
        found.append(block["text"]["text"])
    for item in block.get("fields") or []:
        found.append(item["text"])
    for element in block.get("elements") or []:
        if element.get("type") in ("mrkdwn", "plain_text"):
            found.append(element["text"])
    return found


def check_limits(message: dict[str, Any]) -> None:
    """Slack's limits and slack_sdk's validation, for one message."""
    blocks = message["blocks"]
    assert 0 < len(blocks) <= 50
    assert len(message["text"]) <= 3000
    action_ids: list[str] = []
    for block in blocks:
        if block["type"] == "section":
            assert len(block["text"]["text"]) <= 3000
        if block["type"] == "header":
            assert len(block["text"]["text"]) <= 150
        for element in block.get("elements") or []:
            if element.get("type") == "button":
                assert len(element["text"]["text"]) <= 75
                assert len(element.get("value", "")) <= 2000
            if "action_id" in element:
                action_ids.append(element["action_id"])
        if block["type"] == "actions":
            assert len(block["elements"]) <= 25
        rebuilt = Block.parse(block)
        assert rebuilt is not None, f"slack_sdk cannot parse {block}"
        assert rebuilt.to_dict() == block  # to_dict() validates lengths and shapes
    assert len(action_ids) == len(set(action_ids)), f"duplicate action_ids {action_ids}"


def test_every_category_has_a_case() -> None:
    assert set(SOURCES) == set(CATALOG)


@pytest.mark.parametrize("category", sorted(SOURCES))
def test_golden_blocks(category: str) -> None:
    diagnosis = build(category)
    categories = [f.category for f in diagnosis.findings]
    if category in SECONDARY_ONLY:
        assert category in categories[1:], categories
    else:
        assert categories[0] == category, categories
    rendered = render(diagnosis)
    for message in messages(rendered):
        check_limits(message)

    head = rendered["headline"]
    ids = [e["action_id"] for b in head["blocks"] if b["type"] == "actions" for e in b["elements"]]
    assert RERUN in ids
    top = diagnosis.findings[0]
    logged = any(e.fact.startswith("log: ") for e in top.evidence)
    assert (MORE_LOGS in ids) == logged, "more log lines only where the container's log was read"
    for block in (b for m in messages(rendered) for b in m["blocks"] if b["type"] == "header"):
        assert "`" not in block["text"]["text"], "a header is plain text: a backtick would show as is"
    for button in (e for b in head["blocks"] if b["type"] == "actions" for e in b["elements"]):
        assert len(button["text"]["text"]) <= 30, "a button label fits a phone"
    offered = [r.action for r in top.remediations if r.action is not None]
    fix_buttons = [
        e for b in head["blocks"] if b["type"] == "actions" for e in b["elements"]
        if e["action_id"].startswith(FIX)
    ]  # fmt: skip
    assert [b["value"] for b in fix_buttons] == [f"pending-key-{i}" for i in range(min(4, len(offered)))]
    assert top.category in head["text"]
    assert len(rendered["thread"]) >= len(diagnosis.findings)

    path = GOLDEN / f"{category}.json"
    current = json.dumps(rendered, indent=2, ensure_ascii=False, sort_keys=True) + "\n"
    if UPDATE or not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(current)
        if not UPDATE:
            pytest.fail(f"wrote the missing golden file {path.name}; run again (or with UPDATE_GOLDEN=1)")
    assert json.loads(current) == json.loads(path.read_text()), (
        f"rendered blocks changed for {category}; if intended, regenerate with UPDATE_GOLDEN=1"
    )


def test_rendering_is_deterministic() -> None:
    assert render(build("elb_health_check")) == render(build("elb_health_check"))


def test_gaps_and_stats_messages() -> None:
    obs = parse_document(document("oom"))
    diagnosis = diagnose(
        obs,
        gaps=[
            Gap(what="CloudWatch Logs", reason="AccessDenied", iam_action="logs:GetLogEvents"),
            Gap(what="CloudTrail", reason="not enabled in eu-west-1"),
        ],
        stats={"api_calls": 9, "rounds": 3, "elapsed_ms": 1234.0},
    )
    rendered = render(diagnosis)
    for message in messages(rendered):
        check_limits(message)
    gaps, stats = rendered["thread"][-2:]
    assert gaps["text"] == "What I could not check"
    assert "CloudWatch Logs: AccessDenied" in gaps["blocks"][0]["text"]["text"]
    assert stats["blocks"][0]["elements"][0]["text"].startswith("9 AWS calls in 3 rounds, 1.2 s")


def test_no_finding_headline() -> None:
    steady = {
        "serviceName": "web",
        "clusterArn": "arn:aws:ecs:us-east-1:123456789012:cluster/prod",
        "status": "ACTIVE",
        "desiredCount": 2,
        "runningCount": 2,
        "events": [
            {"id": "e1", "createdAt": "2026-04-19T10:00:00Z", "message": "(service web) has reached a steady state."}
        ],
    }
    diagnosis = diagnose(parse_document({"services": [steady]}))
    rendered = render(diagnosis)
    for message in messages(rendered):
        check_limits(message)
    assert "no stop cause found" in rendered["headline"]["text"]
    blocks = rendered["headline"]["blocks"]
    ids = [e["action_id"] for b in blocks if b["type"] == "actions" for e in b["elements"]]
    assert ids == [RERUN]


def test_at_most_four_fix_buttons_with_unique_action_ids() -> None:
    diagnosis = build("elb_health_check")
    action = next(r.action for r in diagnosis.findings[0].remediations if r.action is not None)
    fixes = [(action, f"k{i}") for i in range(9)]
    message = headline(diagnosis, "prod/web", fixes)
    check_limits({"text": message.text, "blocks": message.blocks})
    buttons = [e for b in message.blocks if b["type"] == "actions" for e in b["elements"]]
    assert [b["action_id"] for b in buttons if b["action_id"].startswith(FIX)] == [
        f"{FIX}:{i}" for i in range(4)
    ]


def test_more_log_lines_is_offered_when_the_log_was_read() -> None:
    diagnosis = build("oom")
    top = diagnosis.findings[0]
    logged = top.model_copy(
        update={"evidence": [*top.evidence, EvidenceItem(source="logs:GetLogEvents g s", fact="log: boom")]}
    )
    with_log = diagnosis.model_copy(update={"findings": [logged, *diagnosis.findings[1:]]})
    ids = [e["action_id"] for b in headline(with_log, "prod/web", []).blocks if b["type"] == "actions"
           for e in b["elements"]]  # fmt: skip
    assert MORE_LOGS in ids
    ids = [e["action_id"] for b in headline(diagnosis, "prod/web", []).blocks if b["type"] == "actions"
           for e in b["elements"]]  # fmt: skip
    assert MORE_LOGS not in ids


def test_a_title_with_backticks_makes_a_plain_header() -> None:
    diagnosis = build("oom")
    top = diagnosis.findings[0].model_copy(update={"title": "Container `app` ran   out of memory"})
    first = thread(diagnosis.model_copy(update={"findings": [top]}))[0]
    header = next(b for b in first.blocks if b["type"] == "header")
    assert header["text"] == {"type": "plain_text", "text": "1. Container app ran out of memory", "emoji": True}


def test_a_long_fix_label_is_cut_at_a_word_for_a_phone() -> None:
    diagnosis = build("elb_health_check")
    action = next(r.action for r in diagnosis.findings[0].remediations if r.action is not None)
    assert action.label and len(action.label) > 30
    message = headline(diagnosis, "prod/web", [(action, "k0")])
    label = next(e for b in message.blocks if b["type"] == "actions" for e in b["elements"])["text"]["text"]
    head, _, amount = label.partition("… ")
    assert len(label) <= 30 and action.label.startswith(head)
    assert amount and action.label.endswith(amount)
    assert any(ch.isdigit() for ch in amount), "the amount tells two such buttons apart"
