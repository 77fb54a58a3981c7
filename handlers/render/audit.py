"""`/ecs-why audit`: the audit log as an ephemeral Block Kit message, newest first, one block a record."""

from __future__ import annotations

from slack_sdk.models.blocks import Block, ContextBlock, MarkdownTextObject, SectionBlock

from bot.audit import Entry
from handlers.render.diagnosis import Message
from handlers.render.text import MAX_BLOCKS, code, cut, escape, mention

SHOWN = 40  # records shown in Slack; the terminal shows them all


def _line(e: Entry) -> str:
    changes = "; ".join(f"{escape(w)} {escape(b)} → *{escape(a)}*" for w, b, a in e.changes)
    parts = [
        f"`{escape(e.at.replace('T', ' ')[:16])}` *{escape(e.outcome)}*",
        escape(" ".join(p for p in (e.kind, e.target) if p)) or "—",
        f"asked by {mention(e.asked_by)}",
        f"approved by {mention(e.approved_by)}" if e.approved_by else "",
        changes,
        f"rule {code(e.rule)}" if e.rule else "",
        f"AWS request {code(e.aws_request_id)}" if e.aws_request_id else "",
        escape(e.detail) if e.detail else "",
    ]
    return " · ".join(p for p in parts if p)


def audit_message(entries: list[Entry], service: str, since: str) -> Message:
    what = f"*{escape(service)}*" if service else "every service"
    head = (
        f"🧾 Audit of {what}, last {escape(since)}: {len(entries)} record{'s' if len(entries) != 1 else ''}"
    )
    if not entries:
        text = f"{head}. Nothing was asked for, approved, refused or changed."
        return Message(text=text, blocks=[SectionBlock(text=MarkdownTextObject(text=text)).to_dict()])
    blocks: list[Block] = [SectionBlock(text=MarkdownTextObject(text=head + ", newest first"))]
    blocks += [SectionBlock(text=MarkdownTextObject(text=cut(_line(e)))) for e in entries[:SHOWN]]
    if len(entries) > SHOWN:
        more = f"ecs-why audit {service} --since {since}".replace("  ", " ")
        blocks.append(
            ContextBlock(
                elements=[
                    MarkdownTextObject(
                        text=f"…and {len(entries) - SHOWN} more: {code(more)} in a terminal shows them all"
                    )
                ]
            )
        )
    return Message(text=head, blocks=[b.to_dict() for b in blocks[:MAX_BLOCKS]])
