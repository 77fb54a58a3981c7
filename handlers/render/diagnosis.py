"""Block Kit for a diagnosis: the headline in the channel (answer + buttons), the evidence in the thread.

Built with slack_sdk's models, whose `to_dict()` validates lengths and shapes; every text from AWS or
logs goes through `escape`/`code` first.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from slack_sdk.models.blocks import (
    ActionsBlock,
    Block,
    ButtonElement,
    ContextBlock,
    DividerBlock,
    HeaderBlock,
    MarkdownTextObject,
    SectionBlock,
)

from bot.diagnoser import outcome
from diagnosis.models import Action, Diagnosis, Finding, Gap
from diagnosis.prevent.catch import sentence
from diagnosis.report import by_source, fix_label
from diagnosis.when import when_line
from handlers.render.text import MAX_BLOCKS, block_code, code, cut, escape, plain, short_label

RERUN = "ecs_why_rerun"
MORE_LOGS = "ecs_why_more_logs"
FIX = "ecs_why_fix"
MUTE = "ecs_why_mute"
OUTCOME_MARK = {"confirms": "✅", "refutes": "❌", "inconclusive": "❔", "not_run": "▫️"}


@dataclass
class Message:
    """A Slack message: fallback text (notifications, screen readers) and validated blocks."""

    text: str
    blocks: list[dict[str, Any]] = field(default_factory=list)


def _blocks(blocks: list[Block]) -> list[dict[str, Any]]:
    return [b.to_dict() for b in blocks[:MAX_BLOCKS]]


def headline(
    diagnosis: Diagnosis, command: str | None, fixes: list[tuple[Action, str]], subject: str | None = None
) -> Message:
    """The channel message: what stopped the tasks, how sure, and the buttons (fixes carry a pending key).
    `command`: what Re-run and More log lines run; None where no target was read (a pasted message), so
    no button that cannot work. `subject`: what the answer is about when the target names nothing."""
    target = escape(subject or diagnosis.target.label())
    top = diagnosis.findings[0] if diagnosis.findings else None
    if top is None:
        if outcome(diagnosis) == "unreadable":  # nothing read is not healthy: no green check for it
            text = f"ecs-why {target}: nothing could be read"
            gap = diagnosis.gaps[0]
            said = f"⚠️ *{target}*: nothing could be read, so nothing was diagnosed ({escape(gap.what)}: "
            said += f"{escape(gap.reason)})"
        else:
            text = f"ecs-why {target}: no stop cause found"
            said = f"✅ *{target}*: {escape(diagnosis.summary)}"
        body: list[Block] = [SectionBlock(text=MarkdownTextObject(text=cut(said)))]
    else:
        mark = "🔴" if top.failure else "🔵"
        count = f"{top.task_count} task{'s' if top.task_count != 1 else ''} · " if top.task_count else ""
        text = f"ecs-why {target}: {top.title} ({top.category})"
        body = [
            SectionBlock(
                text=MarkdownTextObject(
                    text=cut(
                        f"{mark} *{escape(top.title)}*\n`{top.category}` on *{target}* · {count}"
                        f"confidence {top.confidence:.0%}\n{escape(top.summary)}"
                    )
                )
            ),
        ]
        when = when_line(diagnosis.timeline)
        if when:
            body.append(ContextBlock(elements=[MarkdownTextObject(text=f"🕒 {when}")]))
        others = [f"`{f.category}` ({f.task_count or '–'})" for f in diagnosis.findings[1:4]]
        if others:
            body.append(
                ContextBlock(elements=[MarkdownTextObject(text=cut("Also: " + ", ".join(others), 2000))])
            )
    buttons = [
        _button(fix_label(action), f"{FIX}:{i}", key, style="primary" if i == 0 else None)
        for i, (action, key) in enumerate(fixes[:4])
    ]
    if command is not None:
        buttons.append(_button("Re-run", RERUN, command))
    if command is not None and top is not None and top.log_lines:  # a log that was read and had lines
        buttons.append(_button("More log lines", MORE_LOGS, command))
    if buttons:
        body.append(ActionsBlock(elements=buttons[:25]))
    body.append(
        ContextBlock(
            elements=[
                MarkdownTextObject(text="Evidence, commands and what I could not check are in the thread 🧵")
            ]
        )
    )
    return Message(text=cut(text, 3000), blocks=_blocks(body))


def gaps_message(gaps: Sequence[Gap]) -> Message:
    """What could not be read or checked, one line each (AWS's words escaped)."""
    lines = [f"• {escape(g.what)}: {escape(g.reason)}" for g in gaps]
    text = cut("*What I could not check*\n" + "\n".join(lines))
    return Message(
        text="What I could not check", blocks=_blocks([SectionBlock(text=MarkdownTextObject(text=text))])
    )


def thread(diagnosis: Diagnosis) -> list[Message]:
    """One message per finding, then one for the gaps: each within Slack's limits on its own."""
    messages = [_finding_message(i, f) for i, f in enumerate(diagnosis.findings, start=1)]
    if diagnosis.gaps:
        messages.append(gaps_message(diagnosis.gaps))
    stats = diagnosis.stats
    if stats.api_calls:
        messages.append(
            Message(
                text="stats",
                blocks=_blocks(
                    [
                        ContextBlock(
                            elements=[
                                MarkdownTextObject(
                                    text=f"{stats.api_calls} AWS calls in {stats.rounds} rounds, "
                                    f"{stats.elapsed_ms / 1000:.1f} s"
                                )
                            ]
                        )
                    ]
                ),
            )
        )
    return messages


def log_message(diagnosis: Diagnosis) -> Message:
    """The failed container's log lines (for the "More log lines" button)."""
    lines = [e.fact for f in diagnosis.findings[:1] for e in f.log_lines]
    if not lines:
        checks = [
            c.detail for f in diagnosis.findings[:1] for c in f.checks if c.name == "log_tail" and c.detail
        ]
        text = (
            checks[0] if checks else "I could not read the container's log (see what I could not check above)"
        )
        return Message(
            text="Log lines",
            blocks=_blocks([SectionBlock(text=MarkdownTextObject(text=cut(f"*Log lines*\n{escape(text)}")))]),
        )
    return Message(
        text="Log lines",
        blocks=_blocks(
            [SectionBlock(text=MarkdownTextObject(text=cut("*Log lines*\n" + block_code("\n".join(lines)))))]
        ),
    )


def _finding_message(number: int, finding: Finding) -> Message:
    blocks: list[Block] = [
        HeaderBlock(text=plain(f"{number}. {finding.title}", 150)),
        SectionBlock(
            text=MarkdownTextObject(
                text=cut(
                    f"`{finding.category}` · {finding.verdict} · confidence "
                    f"{finding.confidence:.0%}\n{escape(finding.summary)}"
                )
            )
        ),
        SectionBlock(text=MarkdownTextObject(text=cut(f"*Why*\n{escape(finding.why)}"))),
    ]
    if finding.facts:  # each fact says the task it was read from: the proof names what it proves
        lines = [
            f"• {escape(e.source)}: {code(e.fact)}" + (f" (task {code(e.task)})" if e.task else "")
            for e in finding.facts
        ]
        blocks.append(SectionBlock(text=MarkdownTextObject(text=cut("*Evidence*\n" + "\n".join(lines)))))
    if finding.log_lines:  # under the stream they were read from (it names the task)
        logs = "\n".join(
            f"From {code(source)}:\n{block_code(chr(10).join(lines))}"
            for source, lines in by_source(finding.log_lines)
        )
        blocks.append(SectionBlock(text=MarkdownTextObject(text=cut("*Log lines*\n" + logs))))
    for n, step in enumerate(finding.steps, start=1):
        text = f"*{n}.* {escape(step.step)}" + (f"\n{block_code(step.command)}" if step.command else "")
        blocks.append(SectionBlock(text=MarkdownTextObject(text=cut(text if n > 1 else "*Fix*\n" + text))))
    checks = [
        f"{OUTCOME_MARK.get(c.outcome, '▫️')} {escape(c.description)}"
        + (f": {escape(c.detail)}" if c.detail else "")
        for c in finding.checks
    ]
    if checks:
        blocks.append(SectionBlock(text=MarkdownTextObject(text=cut("*Checks*\n" + "\n".join(checks)))))
    if finding.prevention:
        prevention = "🛡️ " + escape(sentence(finding.prevention))
        blocks.append(ContextBlock(elements=[MarkdownTextObject(text=cut(prevention, 2000))]))
    if finding.docs:
        links = " · ".join(f"<{url}|{_doc_name(url)}>" for url in finding.docs)
        blocks.append(ContextBlock(elements=[MarkdownTextObject(text=cut("📖 " + links, 2000))]))
    blocks.append(DividerBlock())
    return Message(text=cut(f"{number}. {finding.title}", 3000), blocks=_blocks(blocks))


def _button(label: str, action_id: str, value: str, style: str | None = None) -> ButtonElement:
    return ButtonElement(text=short_label(label), action_id=action_id, value=value[:2000], style=style)


def _doc_name(url: str) -> str:
    name = url.rstrip("/").rsplit("/", 1)[-1].removesuffix(".html").replace("-", " ").replace("_", " ")
    return escape(name[:60] or "docs")
