"""Block Kit for a summary (`/ecs-why summary prod --since 24h`, the daily summary): a plain-text header,
the window and totals, what is still failing (open and acknowledged alerts), what recovered and when, and
the failures per service and cause. Everything from AWS (names, reasons) is escaped."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

from bot.summary import AlertState, ServiceFailures, Summary
from handlers.render.alert import recovered
from handlers.render.diagnosis import Message
from handlers.render.text import code, cut, escape, plain

SHOWN = 15  # lines per section; the rest is counted
REASON_SHOWN = 140
_USER = re.compile(r"^[UW][A-Z0-9]+$")


def summary_message(summary: Summary, title: str = "Summary") -> Message:
    header = plain(f"{title} of {summary.label}, last {summary.since}", 150)
    failing, recovered = len(summary.still_failing), len(summary.recovered)
    text = (
        f"{header}: {summary.failures} failed task(s) in {len(summary.services)} service(s), "
        f"{failing} still failing, {recovered} recovered"
    )
    blocks = [
        {"type": "header", "text": {"type": "plain_text", "text": header, "emoji": True}},
        _context(_totals(summary)),
        _section("🔴 Still failing", [_open(a, summary.end) for a in summary.still_failing],
                 "Nothing is failing: no alert of these services is open."),
        _section("✅ Recovered", [_recovered(a, summary.end) for a in summary.recovered],
                 f"No alert of these services recovered in the last {escape(summary.since)}."),
        _section("Failures per service", [_service(s, summary.end) for s in summary.services],
                 f"No failed task of {escape(summary.label)} is stored for the last {escape(summary.since)}."),
    ]  # fmt: skip
    if summary.notes:
        blocks.append(_context(" · ".join(f"⚠️ {escape(n)}" for n in summary.notes)))
    return Message(text=cut(text), blocks=blocks)


def _totals(summary: Summary) -> str:
    window = f"🕒 {_clock(summary.start, True)} → {_clock(summary.end, True)}"
    stops = f" · {summary.normal_stops} normal stop(s) not counted" if summary.normal_stops else ""
    return (
        f"{window} · {summary.failures} failed task(s) in {len(summary.services)} service(s){stops} · "
        "from the history and alerts ecs-why stored"
    )


def _open(alert: AlertState, end: float) -> str:
    since = f" since {_clock(alert.opened_at, _other_day(alert.opened_at, end))}" if alert.opened_at else ""
    line = (
        f"• *{escape(alert.name)}* — {code(alert.category)} {escape(alert.title)}: "
        f"{alert.count} failure{'s' if alert.count != 1 else ''}{since}"
    )
    if alert.acked_by and _USER.match(alert.acked_by):
        return line + f" · 👀 acknowledged by <@{alert.acked_by}>"
    return line + " · not acknowledged"


def _recovered(alert: AlertState, end: float) -> str:
    resolved = escape(recovered(alert.resolved) if alert.resolved else "recovered")
    if alert.resolved_at and _other_day(alert.resolved_at, end):
        resolved += f" ({datetime.fromtimestamp(alert.resolved_at, UTC):%Y-%m-%d})"
    return f"• *{escape(alert.name)}* — {code(alert.category)}: {resolved}"


def _service(service: ServiceFailures, end: float) -> str:
    causes = []
    for cause in service.causes:
        latest = f"latest {_clock(cause.latest_at, _other_day(cause.latest_at, end))}" if cause.latest_at else ""
        reason = " ".join(cause.latest_reason.split())
        if len(reason) > REASON_SHOWN:
            reason = reason[: REASON_SHOWN - 1] + "…"
        said = f": {escape(reason)}" if reason and latest else ""
        causes.append(f"{code(cause.category)} × {cause.count}" + (f" ({latest}{said})" if latest else ""))
    return f"• *{escape(service.name)}* — {service.total}: " + "; ".join(causes)


def _section(title: str, lines: list[str], empty: str) -> dict[str, Any]:
    shown = lines[:SHOWN] or [f"_{empty}_"]
    if len(lines) > SHOWN:
        shown.append(f"_… and {len(lines) - SHOWN} more_")
    return {"type": "section", "text": {"type": "mrkdwn", "text": cut(f"*{title}*\n" + "\n".join(shown))}}


def _context(text: str) -> dict[str, Any]:
    return {"type": "context", "elements": [{"type": "mrkdwn", "text": cut(text)}]}


def _clock(epoch: float, with_date: bool = False) -> str:
    return datetime.fromtimestamp(epoch, UTC).strftime("%Y-%m-%d %H:%M UTC" if with_date else "%H:%M UTC")


def _other_day(epoch: float, end: float) -> bool:
    return datetime.fromtimestamp(epoch, UTC).date() != datetime.fromtimestamp(end, UTC).date()
