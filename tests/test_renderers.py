"""Text, Markdown and Block Kit translate the same typed fields of a finding: a log line is shown as a log
line because its `kind` says so (not because of a prefix on its text), a fact as a fact, the steps as the
fix, and no renderer keeps a list of categories or reads a convention off a text."""

from __future__ import annotations

import ast
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import pytest

from bot.terminal import render
from diagnosis.knowledge import CATALOG
from diagnosis.models import Diagnosis, EvidenceItem, Timeline
from diagnosis.when import when_line
from handlers.render.diagnosis import MORE_LOGS, headline, log_message, thread
from tests.builders.diagnoses import build

ROOT = Path(__file__).resolve().parents[1]
# A fact whose text looks like the old "log: " convention, and a log line that does not.
FACT = "log: the stopped reason ECS gave, not a line the container wrote"
LINE = "Error: connect ECONNREFUSED 10.0.3.7:5432"
LOG_SOURCE = "logs:GetLogEvents /ecs/web-api ecs/app/0f1e"


def with_evidence(*evidence: EvidenceItem) -> Diagnosis:

    base = build("app_error")
    top = replace(base.findings[0], evidence=list(evidence))
    return replace(base, findings=[top])


def logged() -> Diagnosis:
    return with_evidence(
        EvidenceItem(source="ecs:DescribeTasks", fact=FACT, task="0f1e"),
        EvidenceItem(source=LOG_SOURCE, fact=LINE, kind="log"),
    )


def text_sections(diagnosis: Diagnosis) -> dict[str, str]:
    """Heading → what is under it, in the plain text a pipe gets (headings are the unindented lines)."""
    sections: dict[str, list[str]] = {}
    heading = ""
    for line in render(diagnosis, "text").splitlines():
        if line and not line.startswith(" "):
            heading = line
        sections.setdefault(heading, []).append(line)
    return {h: "\n".join(lines) for h, lines in sections.items()}


def markdown_sections(diagnosis: Diagnosis) -> dict[str, str]:
    """`**Heading**` → what is under it, up to the next heading."""
    sections: dict[str, list[str]] = {}
    heading = ""
    for line in render(diagnosis, "markdown").splitlines():
        if line.startswith(("**", "#")):
            heading = line.split("**")[1] if line.startswith("**") else line
        sections.setdefault(heading, []).append(line)
    return {h: "\n".join(lines) for h, lines in sections.items()}


def block_kit_sections(diagnosis: Diagnosis) -> dict[str, str]:
    """`*Heading*` (a section's first line) → its text and that of the sections after it (each fix step
    is a section of its own), over every thread message."""
    sections: dict[str, str] = {}
    heading = ""
    for message in thread(diagnosis):
        for block in message.blocks:
            text = (block.get("text") or {}).get("text", "")
            first = text.split("\n", 1)[0]
            if block["type"] != "section":
                heading = ""
            elif first.startswith("*") and first.endswith("*") and len(first) > 2:
                heading = first.strip("*")
            sections[heading] = sections.get(heading, "") + text + "\n"
    return sections


RENDERERS: dict[str, Callable[[Diagnosis], dict[str, str]]] = {
    "text": text_sections,
    "markdown": markdown_sections,
    "block kit": block_kit_sections,
}


@pytest.mark.parametrize("renderer", sorted(RENDERERS))
def test_a_log_line_shows_as_a_log_line_and_a_fact_as_a_fact(renderer: str) -> None:
    sections = RENDERERS[renderer](logged())
    assert LINE in sections["Log lines"], sections
    assert FACT not in sections["Log lines"], "a fact is a fact whatever its text starts with"
    assert FACT in sections["Evidence"]
    assert LINE not in sections["Evidence"], "a log line is not repeated among the facts"


@pytest.mark.parametrize("renderer", sorted(RENDERERS))
def test_no_log_lines_section_without_a_log_line(renderer: str) -> None:
    sections = RENDERERS[renderer](with_evidence(EvidenceItem(source="ecs:DescribeTasks", fact=FACT)))
    assert "Log lines" not in sections
    assert FACT in sections["Evidence"]


def test_the_log_lines_are_shown_as_code_and_as_written() -> None:
    diagnosis = logged()
    assert f"```{LINE}```" in block_kit_sections(diagnosis)["Log lines"]
    assert f"```text\n{LINE}\n```" in markdown_sections(diagnosis)["Log lines"]
    assert f"\n    {LINE}" in text_sections(diagnosis)["Log lines"]
    assert "log: " + LINE not in render(diagnosis, "text") + render(diagnosis, "markdown")


def test_a_log_line_with_backticks_cannot_close_the_markdown_block() -> None:
    line = "x ```` </pre> ``` y"
    markdown = render(with_evidence(EvidenceItem(source=LOG_SOURCE, fact=line, kind="log")), "markdown")
    assert f"\n`````text\n{line}\n`````\n" in markdown, "the fence is longer than any backtick run inside"


def test_more_log_lines_comes_from_the_kind_of_the_evidence() -> None:
    def buttons(diagnosis: Diagnosis) -> list[str]:
        message = headline(diagnosis, "diagnose prod/web-api", [])
        return [e["action_id"] for b in message.blocks if b["type"] == "actions" for e in b["elements"]]

    assert MORE_LOGS in buttons(logged())
    assert MORE_LOGS not in buttons(with_evidence(EvidenceItem(source="ecs:DescribeTasks", fact=FACT)))
    shown = str(log_message(logged()).blocks)
    assert LINE in shown and FACT not in shown


@pytest.mark.parametrize("renderer", sorted(RENDERERS))
def test_the_fix_is_the_steps_and_never_a_button_label(renderer: str) -> None:

    top = build("app_error").findings[0]
    assert top.steps and top.actions, "app_error offers both steps and a rollback"
    labels = {action.label for action in top.actions} - {step.step for step in top.steps}
    fix = RENDERERS[renderer](build("app_error"))["Fix"]
    for step in top.steps:
        assert step.step.split(" (", 1)[0][:40] in fix.replace("\\", "")
    for label in labels:
        assert label not in fix, "a fix button is offered as a button, not listed as a step"


# Every module that turns a diagnosis into what a person reads.
RENDERER_MODULES = [
    ROOT / "diagnosis" / "report.py",
    ROOT / "bot" / "terminal.py",
    *sorted((ROOT / "handlers" / "render").glob("*.py")),
]


def _strings(path: Path) -> list[tuple[int, str]]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return [
        (node.lineno, node.value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant) and isinstance(node.value, str)
    ]


def test_no_renderer_holds_a_category_list() -> None:
    """What a renderer shows differently per cause comes from a field of the finding (failure, the
    evidence's kind, its steps and actions) or from the category's declaration in diagnosis/knowledge,
    never from category IDs written in the renderer."""
    assert any(p.name == "diagnosis.py" and p.parent.name == "render" for p in RENDERER_MODULES)
    named = [
        f"{path.relative_to(ROOT)}:{line}: {value!r}"
        for path in RENDERER_MODULES
        for line, value in _strings(path)
        if value in CATALOG
    ]
    assert not named, (
        "a renderer decides by category IDs; declare a flag in diagnosis/knowledge:\n" + "\n".join(named)
    )


# The demo's scenarios are examples of causes, so they name them; `other` is the fallback of a stored
# record without a category (and a common word).
SERVICE_MODULES = [
    path
    for package in ("bot", "handlers")
    for path in sorted((ROOT / package).rglob("*.py"))
    if "demo" not in path.relative_to(ROOT).parts
]


def test_no_bot_or_handler_module_holds_a_category_list() -> None:
    """Which causes a listener, a filter or the worker treats apart is a flag of the cause or a field of
    the finding, read from diagnosis/, not a list of IDs kept next to the code that uses it."""
    assert len(SERVICE_MODULES) > 20
    named = [
        f"{path.relative_to(ROOT)}:{line}: {value!r}"
        for path in SERVICE_MODULES
        for line, value in _strings(path)
        if value in CATALOG and value != "other"
    ]
    assert not named, "category IDs outside diagnosis/:\n" + "\n".join(named)


def test_no_renderer_reads_a_convention_off_a_fact() -> None:
    """`fact.startswith("log: ")` was such a convention: the evidence's `kind` says it now."""
    found = []
    for path in RENDERER_MODULES:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and node.func.attr in {"startswith", "endswith", "removeprefix", "removesuffix"}
                and isinstance(node.func.value, ast.Attribute)
                and node.func.value.attr in {"fact", "source", "step", "summary", "title", "why"}
            ):
                found.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    assert not found, "renderers read typed fields, not prefixes: " + ", ".join(found)


def full() -> Diagnosis:
    """A finding with every field a person reads: facts, log lines, steps with commands, checks that ran,
    prevention and docs."""
    base = logged()
    top = base.findings[0]
    checks = [
        replace(top.checks[0], outcome="confirms", detail="the last error line: " + LINE),
        *top.checks[1:],
    ]
    timeline = Timeline(
        newest_failure_at="2026-04-19T14:02:11Z", failing_since="2026-04-19T13:37:40Z", running=1, desired=3
    )
    return replace(base, findings=[replace(top, checks=checks)], timeline=timeline)


def _texts(node: object) -> list[str]:
    """Every text of a Block Kit structure (sections, context elements, headers)."""
    if isinstance(node, dict):
        return [
            t
            for key, value in node.items()
            for t in ([value] if key == "text" and isinstance(value, str) else _texts(value))
        ]
    if isinstance(node, list):
        return [t for value in node for t in _texts(value)]
    return []


def _shown(renderer: str, diagnosis: Diagnosis) -> str:
    """Everything a renderer shows, with its escaping undone (Markdown's backslashes, Slack's entities)."""
    if renderer == "block kit":  # the fixes are the headline's buttons, each carrying its pending key
        fixes = [(action, f"pending-{n}") for n, action in enumerate(diagnosis.findings[0].actions)]
        messages = [headline(diagnosis, "diagnose prod/web-api", fixes), *thread(diagnosis)]
        text = "\n".join(t for message in messages for t in _texts(message.blocks))
        return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")
    return render(diagnosis, renderer).replace("\\", "")


@pytest.mark.parametrize("renderer", sorted(RENDERERS))
def test_every_renderer_translates_the_same_fields(renderer: str) -> None:
    diagnosis = full()
    top = diagnosis.findings[0]
    shown = _shown(renderer, diagnosis)
    wanted = [
        top.title,
        top.category,
        f"{top.confidence:.0%}",
        top.verdict,
        top.summary,
        top.why,
        *(e.fact for e in top.evidence),
        *(e.task for e in top.evidence if e.task),  # the task each fact was read from
        *(e.source for e in top.log_lines),  # the stream each log line was read from
        *(s.step for s in top.steps),
        *(a.label for a in top.actions),  # the fixes offered (Slack: the buttons)
        *(s.command for s in top.steps if s.command),
        *(c.detail for c in top.checks if c.detail),
        *top.docs,
        when_line(diagnosis.timeline),
    ]
    if top.prevention:
        wanted.append(top.prevention.rule)
    assert top.actions and any(e.task for e in top.evidence) and top.log_lines, "the fields are there to show"
    missing = [text for text in wanted if text not in shown]
    assert not missing, f"{renderer} does not show: {missing}"


@pytest.mark.parametrize("renderer", ["text", "markdown"])
def test_text_and_markdown_list_the_fixes_offered_with_their_risk(renderer: str) -> None:
    diagnosis = full()
    [rollback] = diagnosis.findings[0].actions
    offered = RENDERERS[renderer](diagnosis)["Fixes offered"].replace("\\", "")
    assert f"{rollback.label} (risk: {rollback.risk})" in offered
    assert rollback.label not in RENDERERS[renderer](diagnosis)["Fix"]


@pytest.mark.parametrize("renderer", ["text", "markdown"])
def test_no_fixes_offered_section_when_none_is_offered(renderer: str) -> None:
    top = full().findings[0]
    bare = replace(full(), findings=[replace(top, remediations=top.steps)])
    assert "Fixes offered" not in RENDERERS[renderer](bare)


def test_the_slack_thread_names_the_task_of_each_fact_and_the_stream_of_each_log_line() -> None:
    sections = block_kit_sections(logged())
    assert "(task `0f1e`)" in sections["Evidence"]
    assert f"From `{LOG_SOURCE}`:\n```{LINE}```" in sections["Log lines"]
