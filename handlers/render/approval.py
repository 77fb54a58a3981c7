"""The approval request in the diagnosis thread (guardrail mode approve): who asks, before → after, the AWS
call, the rule, who may approve, when it expires, and Approve / Reject; then what became of it."""

from __future__ import annotations

from datetime import UTC, datetime

from slack_sdk.models.blocks import (
    ActionsBlock,
    ButtonElement,
    ContextBlock,
    MarkdownTextObject,
    SectionBlock,
)

from bot.store.records import ApprovalRequest
from diagnosis.when import clock
from handlers.render.diagnosis import Message
from handlers.render.modal import changes_text
from handlers.render.text import block_code, cut, escape

APPROVE = "ecs_why_approve"
REJECT = "ecs_why_reject"


def _summary(request: ApprovalRequest) -> str:
    where = request.target.path
    return (
        f"<@{request.requested_by}> asks for *{escape(request.title)}*"
        + (f" ({escape(where)})" if where else "")
        + f"\n{changes_text(list(request.changes))}"
    )


def approval_request(request: ApprovalRequest, approvers: str) -> Message:
    """`approvers`: Slack mrkdwn mentions built from validated IDs (not escaped)."""
    expires = clock(datetime.fromtimestamp(request.expires_at, UTC))
    blocks = [
        SectionBlock(text=MarkdownTextObject(text=cut("🔐 " + _summary(request)))),
        SectionBlock(text=MarkdownTextObject(text=cut("*The AWS call*\n" + block_code(request.cli)))),
        ContextBlock(
            elements=[
                MarkdownTextObject(
                    text=cut(
                        f"Guardrail rule `{escape(request.rule)}`: a second, different person must "
                        f"approve. Who may approve: {approvers}. Expires {expires}.",
                        3000,
                    )
                )
            ]
        ),
        ActionsBlock(
            elements=[
                ButtonElement(text="Approve", action_id=APPROVE, value=request.id, style="primary"),
                ButtonElement(text="Reject", action_id=REJECT, value=request.id, style="danger"),
            ]
        ),
    ]
    text = (
        f"Approval needed: {escape(request.title)} ({escape(request.target.path)}), "
        f"asked by <@{request.requested_by}>"
    )
    return Message(text=text, blocks=[b.to_dict() for b in blocks])


def approval_outcome(request: ApprovalRequest, outcome: str) -> Message:
    """The request message once decided or expired: the buttons give way to what happened (mrkdwn)."""
    blocks = [
        SectionBlock(text=MarkdownTextObject(text=cut(_summary(request)))),
        ContextBlock(elements=[MarkdownTextObject(text=cut(outcome, 3000))]),
    ]
    return Message(text=f"Approval request: {escape(request.title)}", blocks=[b.to_dict() for b in blocks])
