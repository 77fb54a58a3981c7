"""Slack text safety: AWS and log text renders as plain text (no mention, no forged link), and long texts
are cut with a marker, never leaving a code block open."""

from __future__ import annotations

import json
import re
from dataclasses import replace
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from diagnosis.engine import diagnose
from diagnosis.models import Diagnosis, EvidenceItem, Gap
from diagnosis.parse import parse_document
from handlers.grammar import Command
from handlers.render.diagnosis import headline, log_message, thread
from handlers.render.modal import confirm_view
from handlers.render.text import SECTION_LIMIT, block_code, code, cut, escape, mention, who
from handlers.run import ambiguous_blocks
from tests.builders.hostile_text import PAYLOAD
from tests.builders.slack_messages import check_limits, texts

TASK = "arn:aws:ecs:us-east-1:123456789012:task/prod/0f1e2d3c4b5a69788796a5b4c3d2e1f0"
MARKER = "… (cut)"
FENCE = "```"


# ------------------------------------------------------------------ the primitives


def test_escape_the_three_control_characters() -> None:
    assert escape("<!channel> & <@U1>") == "&lt;!channel&gt; &amp; &lt;@U1&gt;"
    assert escape("&lt;") == "&amp;lt;", "an already-escaped entity from AWS stays literal text"


def test_who_may_renders_ids_as_mentions_and_nothing_else() -> None:
    """Users and groups become mentions, `*` is anyone; an ID that is not Slack's stays escaped text."""
    assert who(["U0OP", "W2", "S0GROUP", "*"]) == "<@U0OP>, <@W2>, <!subteam^S0GROUP>, anyone"
    assert mention("<!channel>") == "&lt;!channel&gt;" and mention("u1") == "u1"
    assert who([]).startswith("nobody: no rule of ECS_WHY_GUARDRAILS")


def test_inline_code_cannot_be_closed_early() -> None:
    rendered = code("a`b <!here>")
    assert rendered.startswith("`") and rendered.endswith("`")
    assert rendered.count("`") == 2
    assert "<" not in rendered


def test_block_code_cannot_be_closed_early() -> None:
    rendered = block_code("x ``` <!channel> ``` y")
    assert rendered.startswith(FENCE) and rendered.endswith(FENCE)
    assert rendered.count(FENCE) == 2
    assert "<" not in rendered


def test_cut_leaves_short_text_alone() -> None:
    assert cut("abc", 10) == "abc"
    assert cut("a" * 3000) == "a" * 3000


def test_cut_marks_a_cut_text_and_keeps_the_limit() -> None:
    text = cut("a" * 5000)
    assert len(text) == SECTION_LIMIT and text.endswith(MARKER)


def test_cut_closes_a_code_block_it_cut_into() -> None:
    text = cut("*Log lines*\n" + block_code("x" * 5000))
    assert len(text) <= SECTION_LIMIT and text.endswith(MARKER)
    assert text.count(FENCE) % 2 == 0


@pytest.mark.parametrize("n", [88, 89, 90])
def test_cut_never_leaves_a_block_open_when_the_fence_is_at_the_cut(n: int) -> None:
    text = cut("a" * n + FENCE + "b" * 50 + FENCE, 100)
    assert text.count(FENCE) % 2 == 0


_pieces = st.lists(
    st.one_of(st.text(alphabet="ab \n", min_size=1, max_size=40), st.just(FENCE)), max_size=30
).map("".join)


@settings(max_examples=300, deadline=None)
@given(_pieces, st.integers(min_value=20, max_value=400))
def test_cut_property_within_limit_and_marked(text: str, limit: int) -> None:
    result = cut(text, limit)
    assert len(result) <= limit
    if len(text) > limit:
        assert result.endswith(MARKER)
    else:
        assert result == text


# ------------------------------------------------------------------ whole messages with hostile AWS text


def hostile_diagnosis() -> Diagnosis:
    """A stopped task whose reasons, container names and logs carry mentions, links and fences."""
    document = {
        "taskArn": TASK,
        "clusterArn": "arn:aws:ecs:us-east-1:123456789012:cluster/prod",
        "group": "service:web",
        "taskDefinitionArn": "arn:aws:ecs:us-east-1:123456789012:task-definition/web:7",
        "launchType": "FARGATE",
        "lastStatus": "STOPPED",
        "desiredStatus": "STOPPED",
        "stopCode": "EssentialContainerExited",
        "stoppedReason": f"Essential container in task exited {PAYLOAD}",
        "containers": [{"name": "app", "lastStatus": "STOPPED", "exitCode": 1, "reason": f"boom {PAYLOAD}"}],
    }
    base = diagnose(
        parse_document(document),
        gaps=[Gap(what=f"CloudWatch Logs {PAYLOAD}", reason=f"AccessDenied {PAYLOAD}")],
    )
    top = base.findings[0]
    logs = [
        EvidenceItem(source="logs:GetLogEvents", fact=f"line {i} {PAYLOAD}", kind="log") for i in range(3)
    ]
    evidence = [*top.evidence, EvidenceItem(source=f"ecs {PAYLOAD}", fact=PAYLOAD), *logs]
    finding = replace(top, evidence=evidence, summary=top.summary + " " + PAYLOAD, why=PAYLOAD)
    return replace(base, findings=[finding], summary=PAYLOAD)


def all_messages(diagnosis: Diagnosis) -> list[dict[str, Any]]:
    top = diagnosis.findings[0]
    fixes = [(action, f"k{i}") for i, action in enumerate(top.actions)]
    rendered = [headline(diagnosis, Command("diagnose", "prod/web").text(), fixes), *thread(diagnosis)]
    rendered.append(log_message(diagnosis))
    return [{"text": m.text, "blocks": m.blocks} for m in rendered]


def allowed_links(diagnosis: Diagnosis) -> set[str]:
    return {url for f in diagnosis.findings for url in f.docs}


def assert_plain(text: str, links: set[str]) -> None:
    """Only the bot's own docs links use <…>; nothing else may open a link, mention or channel."""
    for match in re.finditer(r"<([^>]*)>", text):
        url = match.group(1).split("|", 1)[0]
        assert url in links, f"unexpected <…> in {text!r}"
    stripped = re.sub(r"<([^>]*)>", "", text)
    assert "<" not in stripped and ">" not in stripped, text


def test_hostile_aws_text_renders_as_plain_text() -> None:
    diagnosis = hostile_diagnosis()
    links = allowed_links(diagnosis)
    assert links, "the finding has docs links, so the allow-list is exercised"
    messages = all_messages(diagnosis)
    seen_payload = 0
    for message in messages:
        check_limits(message)
        for block in message["blocks"]:
            for text in texts(block):
                if block["type"] != "header":
                    assert_plain(text, links)
                seen_payload += text.count("&lt;!channel&gt;")
    assert seen_payload >= 5, "the hostile text is shown (escaped), not dropped"
    dumped = json.dumps(messages)
    for raw in ("<!channel>", "<!here>", "<@U123>", "<http://evil.example|click>", "<!subteam^S123>"):
        assert raw not in dumped


def test_triple_backticks_from_logs_do_not_close_the_log_block() -> None:
    message = log_message(hostile_diagnosis())
    text = message.blocks[0]["text"]["text"]
    assert text.count(FENCE) == 2 and text.endswith(FENCE)


def test_hostile_text_in_the_fallback_notification_text() -> None:
    diagnosis = hostile_diagnosis()
    for message in all_messages(diagnosis):
        assert_plain(message["text"], set())


def test_many_long_log_lines_are_cut_and_the_block_closed() -> None:
    diagnosis = hostile_diagnosis()
    top = diagnosis.findings[0]
    logs = [EvidenceItem(source="logs", fact=f"{i} {'x' * 200} ``` <!here>", kind="log") for i in range(100)]
    diagnosis = replace(diagnosis, findings=[replace(top, evidence=logs)])
    for message in all_messages(diagnosis):
        check_limits(message)
        for block in message["blocks"]:
            for text in texts(block):
                assert text.count(FENCE) % 2 == 0, text[-80:]
                if len(text) >= SECTION_LIMIT - 10:
                    assert text.endswith(MARKER)


def test_confirmation_modal_escapes_the_plan() -> None:
    from bot.remediation.kinds import Plan

    plan = Plan(
        "rollback",
        f"Roll back {PAYLOAD}",
        [(f"taskDefinition {PAYLOAD}", "web:7 <!here>", "web:6 <@U1>")],
        f"aws ecs update-service --service {PAYLOAD}",
        "update_service",
    )
    view = confirm_view(plan, "key", "C1", "1.2", "low <!channel>")
    for block in view["blocks"]:
        for text in texts(block):
            assert_plain(text, set())
    assert json.loads(view["private_metadata"]) == {"key": "key", "channel": "C1", "thread_ts": "1.2"}


def test_ambiguous_menu_escapes_the_message() -> None:
    blocks = ambiguous_blocks(
        f"which one? {PAYLOAD}", ["prod/web", "staging/web"], Command("diagnose", "web")
    )
    assert_plain(blocks[0]["text"]["text"], set())
