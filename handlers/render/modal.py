"""The confirmation modal: exactly what will change (before → after) and the AWS call, before anything does."""

from __future__ import annotations

import json
from typing import Any

from slack_sdk.models.blocks import ContextBlock, MarkdownTextObject, SectionBlock
from slack_sdk.models.views import View

from bot.remediation.kinds import Plan
from handlers.render.text import block_code, cut, escape

CONFIRM = "ecs_why_confirm"


def confirm_view(plan: Plan, key: str, channel: str, thread_ts: str | None, risk: str) -> dict[str, Any]:
    changes = "\n".join(
        f"• *{escape(what)}*: {escape(before)} → *{escape(after)}*" for what, before, after in plan.changes
    )
    view = View(
        type="modal",
        callback_id=CONFIRM,
        title=cut("Confirm the change", 24),
        submit="Apply",
        close="Cancel",
        private_metadata=json.dumps({"key": key, "channel": channel, "thread_ts": thread_ts}),
        blocks=[
            SectionBlock(text=MarkdownTextObject(text=cut(f"*{escape(plan.title)}*\n{changes}"))),
            SectionBlock(text=MarkdownTextObject(text=cut("*The AWS call*\n" + block_code(plan.cli)))),
            ContextBlock(
                elements=[
                    MarkdownTextObject(
                        text=f"Risk: {escape(risk)} · it is applied once, as you, "
                        "and recorded in the audit log."
                    )
                ]
            ),
        ],
    )
    return view.to_dict()
