"""The approval request in the diagnosis thread (guardrail mode approve): who asks, before → after, the AWS
call, the rule, who may approve, when it expires, and Approve / Reject; then what became of it."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from slack_sdk.models.blocks import (
    ActionsBlock,
    ButtonElement,
    ContextBlock,
    MarkdownTextObject,
    SectionBlock,
)

from diagnosis.when import clock
from handlers.render.diagnosis import Message
from handlers.render.modal import changes_text
from handlers.render.text import block_code, cut, escape

APPROVE = "ecs_why_approve"
REJECT = "ecs_why_reject"


def _where(request: dict[str, Any]) -> str:
    target = request.get("target") or {}
    return "/".join(str(target[k]) for k in ("cluster", "service") if target.get(k))


def _summary(request: dict[str, Any]) -> str:
    where = _where(request)
    return (
        f"<@{request['requested_by']}> asks for *{escape(str(request['title']))}*"
        + (f" ({escape(where)})" if where else "")
        + f"\n{changes_text(request.get('changes') or [])}"
    )


def approval_request(request: dict[str, Any], approvers: str) -> Message:
    """`approvers`: Slack mrkdwn mentions built from validated IDs (not escaped)."""
    expires = clock(datetime.fromtimestamp(float(request["expires_at"]), UTC))
    blocks = [
        SectionBlock(text=MarkdownTextObject(text=cut("🔐 " + _summary(request)))),
        SectionBlock(text=MarkdownTextObject(text=cut("*The AWS call*\n" + block_code(str(request["cli"]))))),
        ContextBlock(
            elements=[
                MarkdownTextObject(
                    text=cut(
                        f"Guardrail rule `{escape(str(request.get('rule')))}`: a second, different person must "
                        f"approve. Who may approve: {approvers}. Expires {expires}.",
                        3000,
                    )
                )
            ]
        ),
        ActionsBlock(
            elements=[
                ButtonElement(text="Approve", action_id=APPROVE, value=str(request["id"]), style="primary"),
                ButtonElement(text="Reject", action_id=REJECT, value=str(request["id"]), style="danger"),
            ]
        ),
    ]
    text = (
        f"Approval needed: {escape(str(request['title']))} ({escape(_where(request))}), "
        f"asked by <@{request['requested_by']}>"
    )
    return Message(text=text, blocks=[b.to_dict() for b in blocks])


def approval_outcome(request: dict[str, Any], outcome: str) -> Message:
    """The request message once decided or expired: the buttons give way to what happened (mrkdwn)."""
    blocks = [
        SectionBlock(text=MarkdownTextObject(text=cut(_summary(request)))),
        ContextBlock(elements=[MarkdownTextObject(text=cut(outcome, 3000))]),
    ]
    return Message(
        text=f"Approval request: {escape(str(request['title']))}", blocks=[b.to_dict() for b in blocks]
    )
