"""Golden files of the rendered Slack blocks, one per taxonomy category (Botkube-style).

Each diagnosis is built from real-looking input (the corpus cases and the collected wordings, or a
plausible task document) through `diagnosis.parse` and `diagnosis.engine.diagnose`, then rendered as the
headline (with fake pending keys for its fix buttons) and the thread. Every message is checked against
Slack's limits and rebuilt through slack_sdk's models. Regenerate with `UPDATE_GOLDEN=1 pytest …`.
"""

from __future__ import annotations

import json
import os
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from diagnosis.engine import diagnose
from diagnosis.knowledge import CATALOG
from diagnosis.models import Diagnosis, EvidenceItem, Gap, Observations, Target
from diagnosis.parse import parse_document
from handlers.grammar import Command
from handlers.render.diagnosis import FIX, MORE_LOGS, RERUN, Message, headline, log_message, thread
from tests.builders.diagnoses import SOURCES, build, document
from tests.builders.slack_messages import check_limits

GOLDEN = Path(__file__).parent / "golden"
UPDATE = os.environ.get("UPDATE_GOLDEN") == "1"

SECONDARY_ONLY = {"sigkill_stop_timeout"}


def render(diagnosis: Diagnosis) -> dict[str, Any]:
    top = diagnosis.findings[0] if diagnosis.findings else None
    actions = top.actions if top else []
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
    logged = bool(top.log_lines)
    assert (MORE_LOGS in ids) == logged, "more log lines only where the container's log was read"
    for block in (b for m in messages(rendered) for b in m["blocks"] if b["type"] == "header"):
        assert "`" not in block["text"]["text"], "a header is plain text: a backtick would show as is"
    for button in (e for b in head["blocks"] if b["type"] == "actions" for e in b["elements"]):
        assert len(button["text"]["text"]) <= 30, "a button label fits a phone"
    offered = top.actions
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
            {
                "id": "e1",
                "createdAt": "2026-04-19T10:00:00Z",
                "message": "(service web) has reached a steady state.",
            }
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


def test_nothing_read_is_a_warning_not_a_green_check() -> None:
    """ECS could not be read (a cluster that is not there, access denied): no ✅, the subject said once."""
    gap = Gap(what="stopped tasks", reason="ecs:DescribeTasks failed (ClusterNotFoundException)")
    task = Target(region="us-east-1", cluster="gone", task="f" * 32)
    diagnosis = diagnose(Observations(kind="live"), target=task, gaps=[gap])
    head = render(diagnosis)["headline"]
    section = head["blocks"][0]["text"]["text"]
    assert section.startswith(f"⚠️ *task {'f' * 32} in gone*: nothing could be read"), section
    assert "✅" not in section and section.count("f" * 32) == 1
    assert "no stop cause found" not in head["text"]


def test_at_most_four_fix_buttons_with_unique_action_ids() -> None:
    diagnosis = build("elb_health_check")
    action = diagnosis.findings[0].actions[0]
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
    logged = replace(
        top, evidence=[*top.evidence, EvidenceItem(source="logs:GetLogEvents g s", fact="boom", kind="log")]
    )
    with_log = replace(diagnosis, findings=[logged, *diagnosis.findings[1:]])
    ids = [e["action_id"] for b in headline(with_log, "prod/web", []).blocks if b["type"] == "actions"
           for e in b["elements"]]  # fmt: skip
    assert MORE_LOGS in ids
    ids = [e["action_id"] for b in headline(diagnosis, "prod/web", []).blocks if b["type"] == "actions"
           for e in b["elements"]]  # fmt: skip
    assert MORE_LOGS not in ids


def test_a_title_with_backticks_makes_a_plain_header() -> None:
    diagnosis = build("oom")
    top = replace(diagnosis.findings[0], title="Container `app` ran   out of memory")
    first = thread(replace(diagnosis, findings=[top]))[0]
    header = next(b for b in first.blocks if b["type"] == "header")
    assert header["text"] == {
        "type": "plain_text",
        "text": "1. Container app ran out of memory",
        "emoji": True,
    }


def test_a_long_fix_label_is_cut_at_a_word_for_a_phone() -> None:
    diagnosis = build("elb_health_check")
    action = diagnosis.findings[0].actions[0]
    assert action.label and len(action.label) > 30
    message = headline(diagnosis, "prod/web", [(action, "k0")])
    label = next(e for b in message.blocks if b["type"] == "actions" for e in b["elements"])["text"]["text"]
    head, _, amount = label.partition("… ")
    assert len(label) <= 30 and action.label.startswith(head)
    assert amount and action.label.endswith(amount)
    assert any(ch.isdigit() for ch in amount), "the amount tells two such buttons apart"
