"""Block Kit for the answers to follow-ups in a thread: the service's events, its stopped tasks grouped
by how they ended, the revision diff, why a cause happens. Everything from AWS is escaped."""

from __future__ import annotations

from collections import Counter

from diagnosis.knowledge import CATALOG
from diagnosis.models import Diagnosis, Observations, TaskFacts
from handlers.followup_asks import HELP
from handlers.render.diagnosis import Message
from handlers.render.text import MAX_BLOCKS, code, cut, escape

EVENTS_SHOWN = 10
TASK_GROUPS_SHOWN = 10


def _section(title: str, body: str) -> Message:
    text = cut(f"*{title}*\n{body}")
    return Message(text=title, blocks=[{"type": "section", "text": {"type": "mrkdwn", "text": text}}])


def events_message(label: str, obs: Observations) -> Message:
    events = sorted((e for s in obs.services for e in s.events), key=lambda e: e.created_at, reverse=True)
    if not events:
        return _section(f"Recent events of {escape(label)}", "ECS reports no recent service events.")
    lines = [
        f"• {escape(e.created_at[:16].replace('T', ' '))} {escape(e.message)}" for e in events[:EVENTS_SHOWN]
    ]
    more = len(events) - EVENTS_SHOWN
    if more > 0:
        lines.append(f"_… and {more} older_")
    return _section(f"Recent events of {escape(label)} (newest first)", "\n".join(lines))


def _ending(task: TaskFacts) -> str:
    codes = ", ".join(
        f"{c.name} exit {c.exit_code if c.exit_code is not None else '–'}" for c in task.containers
    )
    return f"{task.stop_code or 'no stop code'} · {codes or 'no container exit codes'}"


def tasks_message(label: str, obs: Observations) -> Message:
    stopped = [t for t in obs.tasks if t.last_status == "STOPPED" or t.stopped_at]
    if not stopped:
        return _section(f"Stopped tasks of {escape(label)}", "ECS has no stopped task of this service now "
                        "(it forgets them after about an hour; `history 7d` reads what I stored).")  # fmt: skip
    groups = Counter(_ending(t) for t in stopped)
    example = {_ending(t): t for t in sorted(stopped, key=lambda t: t.stopped_at)}
    lines = []
    for ending, count in groups.most_common(TASK_GROUPS_SHOWN):
        task = example[ending]
        reason = f" — {escape(task.stopped_reason[:200])}" if task.stopped_reason else ""
        lines.append(f"• *{count}×* {escape(ending)}; latest {code(task.task_id)}{reason}")
    return _section(f"Stopped tasks of {escape(label)}: {len(stopped)}", "\n".join(lines))


def diff_message(diagnosis: Diagnosis) -> Message:
    details = [
        c.detail for f in diagnosis.findings for c in f.checks if c.name == "revision_diff" and c.detail
    ]
    label = escape(diagnosis.target.label())
    if not details:
        return _section(
            f"Task definition diff of {label}",
            "No diff: no stopped task or deployment shows a revision failing for a cause the diff is read "
            "for (a container that exits, fails to start or fails its health check).",
        )
    return _section(f"Task definition diff of {label}", escape(details[0]))


def why_message(category: str, diagnosis: Diagnosis | None) -> Message:
    info = CATALOG[category]
    seen = next((f for f in diagnosis.findings if f.category == category), None) if diagnosis else None
    status = (
        f"Seen here: {seen.task_count or '–'} task(s), confidence {seen.confidence:.0%}."
        if seen
        else "Not seen in this service's current diagnosis."
    )
    # Steps are templates filled from a finding's evidence: shown only where this service has the finding.
    steps = "\n".join(f"{n}. {escape(r.step)}" for n, r in enumerate(seen.steps, 1)) if seen else ""
    docs = " · ".join(f"<{url}|docs>" for url in info.docs[:2])
    body = f"{escape(info.why)}\n{status}" + (f"\n*Fix*\n{steps}" if steps else "") + f"\n📖 {docs}"
    return _section(f"Why `{category}`", body)


def help_message(unknown: str = "") -> Message:
    head = f"I do not know `{escape(unknown)}`. " if unknown else ""
    return Message(
        text=head + "What I can answer here",
        blocks=[{"type": "section", "text": {"type": "mrkdwn", "text": cut(head + HELP)}}][:MAX_BLOCKS],
    )
