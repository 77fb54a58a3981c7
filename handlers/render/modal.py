"""The confirmation modal: exactly what will change (before → after) and the AWS call, before anything does,
and which guardrail rule lets it happen (in mode approve: who must approve it first)."""

from __future__ import annotations

import json
from typing import Any

from slack_sdk.models.blocks import ContextBlock, MarkdownTextObject, SectionBlock
from slack_sdk.models.views import View

from bot.guardrails.policy import Decision
from bot.remediation.as_code import props
from bot.remediation.kinds import Plan
from handlers.render.iac import managed_blocks
from handlers.render.text import block_code, cut, escape

CONFIRM = "ecs_why_confirm"


def changes_text(plan_changes: list[tuple[str, str, str]] | list[list[str]]) -> str:
    """• *what*: before → *after*, one line per change, escaped (values come from AWS)."""
    return "\n".join(
        f"• *{escape(what)}*: {escape(before)} → *{escape(after)}*" for what, before, after in plan_changes
    )


def confirm_view(
    plan: Plan,
    key: str,
    channel: str,
    thread_ts: str | None,
    risk: str,
    decision: Decision | None = None,
    approvers: str = "",
    code_only: bool = False,
) -> dict[str, Any]:
    """`approvers`: Slack mrkdwn of who may approve (mentions built from validated IDs, not escaped).
    `code_only`: ECS_WHY_MANAGED_SERVICES=code-only; a managed service's modal then has no submit."""
    approve = decision is not None and decision.mode == "approve"
    code_only = code_only and plan.ownership.owner is not None and bool(props(plan))
    if decision is None:
        rule = "Applied once, as you, and recorded in the audit log."
    elif approve:
        rule = (
            f"Guardrail rule `{escape(decision.rule)}`: a second, different person must approve it. "
            f"Who may approve: {approvers or 'nobody'}. Submitting posts an approval request in the thread; "
            "nothing changes until someone approves."
        )
    else:
        rule = f"Allowed by guardrail rule `{escape(decision.rule)}`. Applied once, as you, and audited."
    view = View(
        type="modal",
        callback_id=CONFIRM,
        title=cut("Confirm the change", 24),
        submit=None if code_only else "Request approval" if approve else "Apply",
        close="Close" if code_only else "Cancel",
        private_metadata=json.dumps({"key": key, "channel": channel, "thread_ts": thread_ts}),
        blocks=[
            SectionBlock(
                text=MarkdownTextObject(text=cut(f"*{escape(plan.title)}*\n{changes_text(plan.changes)}"))
            ),
            *managed_blocks(plan, code_only),
            SectionBlock(text=MarkdownTextObject(text=cut("*The AWS call*\n" + block_code(plan.cli)))),
            ContextBlock(elements=[MarkdownTextObject(text=cut(f"Risk: {escape(risk)} · {rule}", 3000))]),
        ],
    )
    return view.to_dict()
