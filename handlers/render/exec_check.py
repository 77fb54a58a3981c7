"""Block Kit for `/ecs-why exec-check`: a plain-text header with the verdict, one section per check (what
failed or could not be checked first, with the fact it read and the fix), the `execute-command` line,
and the "Enable ECS Exec" button when the service has it off. AWS text goes through `escape`/`code`."""

from __future__ import annotations

from slack_sdk.models.blocks import (
    ActionsBlock,
    Block,
    ContextBlock,
    HeaderBlock,
    MarkdownTextObject,
    SectionBlock,
)

from diagnosis.exec_check import ExecReport, ExecResult
from diagnosis.models import Action
from diagnosis.report import fix_label
from handlers.render.diagnosis import FIX, RERUN, Message, _blocks, _button, gaps_message
from handlers.render.text import block_code, code, cut, escape, plain

MARK = {"fail": "🔴", "unknown": "❔", "pass": "✅"}
HEADER_LIMIT = 150


def headline(report: ExecReport, command: str, fixes: list[tuple[Action, str]]) -> Message:
    summary = report.summary()
    body: list[Block] = [HeaderBlock(text=plain(summary, HEADER_LIMIT))]
    order = {"fail": 0, "unknown": 1, "pass": 2}
    for result in sorted(report.results, key=lambda r: order[r.status]):
        body.append(SectionBlock(text=MarkdownTextObject(text=cut(_result_text(result)))))
    if report.command:
        body.append(
            SectionBlock(text=MarkdownTextObject(text=cut("*Connect*\n" + block_code(report.command))))
        )
    else:
        body.append(
            SectionBlock(
                text=MarkdownTextObject(text="No running task to connect to: start one, then re-run.")
            )
        )
    buttons = [
        _button(fix_label(action), f"{FIX}:{i}", key, style="primary" if i == 0 else None)
        for i, (action, key) in enumerate(fixes[:4])
    ]
    buttons.append(_button("Re-run", RERUN, command))
    body.append(ActionsBlock(elements=buttons))
    body.append(
        ContextBlock(
            elements=[
                MarkdownTextObject(
                    text="Whoever runs it needs `ecs:ExecuteCommand` and the Session Manager plugin · "
                    "`ecs-why exec-check` runs the same checks in a terminal"
                )
            ]
        )
    )
    return Message(text=cut(escape(summary), 3000), blocks=_blocks(body))


def thread(report: ExecReport) -> list[Message]:
    messages = [gaps_message(report.gaps)] if report.gaps else []
    stats = report.stats
    note = f"{stats.api_calls} AWS calls in {stats.rounds} rounds, {stats.elapsed_ms / 1000:.1f} s"
    messages.append(
        Message(text="stats", blocks=_blocks([ContextBlock(elements=[MarkdownTextObject(text=note)])]))
    )
    return messages


def _result_text(result: ExecResult) -> str:
    lines = [f"{MARK[result.status]} *{escape(result.title)}* ({code(result.name)})", escape(result.fact)]
    if result.status == "unknown":
        lines[0] += " — could not check"
        if result.iam_action:
            lines.append(f"needs {code(result.iam_action)}")
    if result.fix and result.status == "fail":
        lines.append(block_code(result.fix))
    return "\n".join(lines)
