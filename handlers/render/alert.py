"""Block Kit for a failure group (an alert): its one channel message, whose counter and state change in
place, and the notes its thread gets (more stops, recovered, escalated, acknowledged, muted)."""

from __future__ import annotations

import re
from datetime import UTC, datetime

from slack_sdk.models.blocks import (
    ActionsBlock,
    Block,
    ButtonElement,
    ContextBlock,
    MarkdownTextObject,
    SectionBlock,
)

from bot.events.notifier import Notice
from bot.store.records import Recovery
from handlers.grammar import Command
from handlers.render.diagnosis import MUTE, RERUN, Message
from handlers.render.text import MAX_BLOCKS, code, cut, escape

ACK = "ecs_why_ack"
USER = re.compile(r"^[UW][A-Z0-9]{1,20}$")  # a Slack user ID, safe to put in a <@…> mention


def group_message(notice: Notice, account_alias: str | None = None, previous_link: str = "") -> Message:
    """The channel message of a group: cause, service, the running count, the latest stop, its state
    (open, acknowledged by whom, recovered) and the buttons that state allows."""
    mark = "✅" if notice.resolved else "🔴" if notice.failure else "🔵"
    plural = "s" if notice.count != 1 else ""
    since = f" since {notice.opened_at[11:16]} UTC" if len(notice.opened_at) >= 16 else ""
    state = f" — recovered ({recovered(notice.resolved).removeprefix('recovered ')})" if notice.resolved else ""
    text = f"ecs-why {notice.label}: {notice.title} ({notice.category}) × {notice.count}{state}"
    lines = [
        f"{mark} *{escape(notice.title)}*",
        f"`{notice.category}` on *{escape(notice.label)}* · *{notice.count} stop{plural}*{since} "
        f"(grouped for {notice.window_minutes} min)",
        escape(notice.summary),
    ]
    blocks: list[Block] = [SectionBlock(text=MarkdownTextObject(text=cut("\n".join(lines))))]
    if notice.resolved:
        blocks.append(
            SectionBlock(text=MarkdownTextObject(text=f"✅ *{escape(_sentence(recovered(notice.resolved)))}*"))
        )
    if notice.latest_task or notice.latest_reason:
        blocks.append(ContextBlock(elements=[MarkdownTextObject(text=cut(_latest(notice), 2000))]))
    states = []
    if notice.acked_by and USER.match(notice.acked_by):
        when = f" at {notice.acked_at[11:16]} UTC" if len(notice.acked_at) >= 16 else ""
        states.append(f"👀 Acknowledged by <@{notice.acked_by}>{when}")
    if notice.previous_ts:
        last = f"<{previous_link}|the last alert>" if previous_link else "the last alert"
        how = recovered(notice.previous_resolved) if notice.previous_resolved else "recovered"
        states.append(f"↩️ Again: {last} {escape(how)}")
    if states:
        blocks.append(ContextBlock(elements=[MarkdownTextObject(text=cut(" · ".join(states), 2000))]))
    command = Command(
        "diagnose", notice.service, notice.cluster or None, notice.region or None, account_alias
    ).text()  # "Diagnose now" reads the service's own account, through its alias
    buttons = [ButtonElement(text="Diagnose now", action_id=RERUN, value=command[:2000])]
    if not notice.resolved:
        if not notice.acked_by:
            buttons.insert(
                0,
                ButtonElement(
                    text="Acknowledge", action_id=ACK, value=notice.fingerprint[:2000], style="primary"
                ),
            )
        buttons.append(ButtonElement(text="Mute 1h", action_id=MUTE, value=notice.fingerprint[:2000]))
    blocks.append(ActionsBlock(elements=buttons))
    return Message(text=cut(text, 3000), blocks=[b.to_dict() for b in blocks[:MAX_BLOCKS]])


def update_reply(notice: Notice, added: int) -> Message:
    """The thread reply of an update: how many more stops, and the latest one."""
    head = f"+{added} more stop{'s' if added != 1 else ''} (now {notice.count})"
    body = f"*{head}*\n{_latest(notice)}"
    return Message(text=head, blocks=[SectionBlock(text=MarkdownTextObject(text=cut(body))).to_dict()])


def recovered(recovery: Recovery) -> str:
    """How an alert recovered, as a channel reads it: "recovered at 14:02 UTC after 37 failures in 25 min"
    (an older version's own sentence as it was)."""
    if recovery.said:
        return recovery.said
    at = f" at {datetime.fromtimestamp(recovery.at, UTC):%H:%M} UTC" if recovery.at is not None else ""
    minutes = max(1, round(recovery.lasted_seconds / 60))
    lasted = f"{minutes} min" if minutes < 120 else f"{minutes / 60:.0f} h"
    failures = f"{recovery.failures} failure{'s' if recovery.failures != 1 else ''}"
    return f"recovered{at} after {failures} in {lasted}"


def resolved_note(notice: Notice) -> Message:
    """The thread reply when the service recovered."""
    how = recovered(notice.resolved) if notice.resolved else "recovered"
    return _note(
        f"✅ {escape(_sentence(how))}: the service runs its desired tasks. A new failure opens a new alert."
    )


def escalation_note(notice: Notice, usergroup: str, minutes: int) -> Message:
    """The thread reply that mentions the on-call group of an alert nobody acknowledged."""
    return _note(
        f"<!subteam^{usergroup}> this alert has been open for {minutes} min and nobody acknowledged "
        f"it: `{notice.category}` on *{escape(notice.label)}*, {notice.count} "
        f"stop{'s' if notice.count != 1 else ''}."
    )


def acknowledged_note(user: str) -> Message:
    return _note(f"👀 <@{user}> acknowledged this alert.")


def muted_note(user: str, category: str, cluster: str, service: str) -> Message:
    return _note(
        f"🔕 <@{user}> muted `{category}` on *{escape(cluster)}/{escape(service)}* in this channel for 1 h: "
        "stops are still counted and stored, not posted here."
    )


def _note(text: str) -> Message:
    return Message(text=text, blocks=[SectionBlock(text=MarkdownTextObject(text=cut(text))).to_dict()])


def _sentence(text: str) -> str:
    return text[:1].upper() + text[1:]


def _latest(notice: Notice) -> str:
    task = notice.latest_task.rsplit("/", 1)[-1]
    when = f" at {notice.latest_at[:19].replace('T', ' ')}" if notice.latest_at else ""
    who = f"task {code(task)}" if task else "latest event"
    return f"Latest: {who}{when}" + (
        f" — {escape(notice.latest_reason[:300])}" if notice.latest_reason else ""
    )
