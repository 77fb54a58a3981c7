"""Block Kit for `/ecs-why check`: errors in the channel message (with the fix buttons that exist), warnings
and what could not be checked in its thread. Every text from AWS goes through `escape`/`code`."""

from __future__ import annotations

from slack_sdk.models.blocks import (
    ActionsBlock,
    Block,
    ContextBlock,
    DividerBlock,
    MarkdownTextObject,
    SectionBlock,
)

from diagnosis.models import Action
from diagnosis.prevent.model import CheckReport, RuleResult
from diagnosis.prevent.report import summary
from diagnosis.report import fix_label
from handlers.render.diagnosis import FIX, RERUN, Message, _blocks, _button, gaps_message
from handlers.render.text import block_code, cut, escape

MAX_SHOWN = 8  # results in one message; the rest are counted


def headline(report: CheckReport, command: str, fixes: list[tuple[Action, str]]) -> Message:
    label = escape(report.target.label() if report.target else ", ".join(report.subjects))
    errors, warnings = report.errors, report.warnings
    if errors:
        head = f"🔴 *{label}*: {len(errors)} error{'s' if len(errors) != 1 else ''} would stop its tasks"
    elif warnings:
        head = f"🟡 *{label}*: no error; {len(warnings)} warning{'s' if len(warnings) != 1 else ''} in the thread"
    else:
        head = f"✅ *{label}*: nothing found that would stop its tasks"
    body: list[Block] = [SectionBlock(text=MarkdownTextObject(text=cut(head)))]
    for result in errors[:MAX_SHOWN]:
        body.append(SectionBlock(text=MarkdownTextObject(text=cut(_result_text(result)))))
    if len(errors) > MAX_SHOWN:
        body.append(
            ContextBlock(elements=[MarkdownTextObject(text=f"… and {len(errors) - MAX_SHOWN} more errors")])
        )
    buttons = [
        _button(fix_label(action), f"{FIX}:{i}", key, style="primary" if i == 0 else None)
        for i, (action, key) in enumerate(fixes[:4])
    ]
    buttons.append(_button("Re-run", RERUN, command))
    body.append(ActionsBlock(elements=buttons))
    if warnings or report.gaps:
        body.append(
            ContextBlock(
                elements=[MarkdownTextObject(text="Warnings and what I could not check are in the thread 🧵")]
            )
        )
    text = summary(report, label)
    return Message(text=cut(text, 3000), blocks=_blocks(body))


def thread(report: CheckReport) -> list[Message]:
    messages = []
    warnings = report.warnings
    for start in range(0, len(warnings), MAX_SHOWN):
        blocks: list[Block] = [
            SectionBlock(text=MarkdownTextObject(text=cut(_result_text(r))))
            for r in warnings[start : start + MAX_SHOWN]
        ]
        blocks.append(DividerBlock())
        messages.append(Message(text=f"{len(warnings)} warnings", blocks=_blocks(blocks)))
    if report.gaps:
        messages.append(gaps_message(report.gaps))
    stats = report.stats
    if stats.api_calls:
        note = (
            f"{stats.api_calls} AWS calls in {stats.rounds} rounds, {stats.elapsed_ms / 1000:.1f} s · "
            "`ecs-why check` runs the same rules in CI"
        )
        messages.append(
            Message(text="stats", blocks=_blocks([ContextBlock(elements=[MarkdownTextObject(text=note)])]))
        )
    return messages


def _result_text(result: RuleResult) -> str:
    mark = "🔴" if result.severity == "error" else "🟡"
    lines = [f"{mark} *{escape(result.title)}* (`{result.rule}`)", escape(result.fact)]
    if result.fix.cli:
        lines.append(block_code(result.fix.cli))
    if result.docs:
        lines.append(f"<{result.docs[0]}|docs>")
    return "\n".join(lines)
