"""`/ecs-why subscribe | unsubscribe | subscriptions | history`: answers in the channel, ephemeral on errors."""

from __future__ import annotations

import logging
from typing import Any

from slack_sdk import WebClient

from bot.aws_session import SessionError
from bot.lookup import history_report, resolve_cluster, resolve_service
from bot.services import Services
from bot.store import StoreUnavailable
from bot.store.records import Subscription
from diagnosis.collect.target import TargetError
from handlers.grammar import Command, is_pattern
from handlers.render.text import cut, escape
from handlers.replies import Respond

log = logging.getLogger(__name__)


def run_subscription_command(
    client: WebClient, services: Services, command: Command, channel: str, user: str, respond: Respond
) -> None:
    try:
        text = _run(services, command, channel, user)
    except (TargetError, SessionError, ValueError) as exc:
        respond(response_type="ephemeral", text=f"⚠️ {escape(str(exc))}")
        return
    except StoreUnavailable:
        respond(
            response_type="ephemeral",
            text="⚠️ My state store (Redis) is unreachable right now; nothing was "
            "changed. Try again in a minute.",
        )
        return
    respond(response_type="in_channel" if command.verb != "subscriptions" else "ephemeral", text=cut(text))


def _run(services: Services, command: Command, channel: str, user: str) -> str:
    store = services.store
    if command.verb == "subscriptions":
        subs = store.subscriptions(channel) + store.pattern_subscriptions(channel)
        if not subs:
            return "This channel has no subscriptions. `/ecs-why subscribe web-api` posts its failures here."
        return "*Subscriptions of this channel*\n" + "\n".join(_describe(s) for s in subs)
    if command.verb == "unsubscribe" and command.all:
        count = store.unsubscribe_all(channel)
        for sub in store.pattern_subscriptions(channel):
            count += store.unsubscribe_pattern(channel, sub.region, sub.cluster, sub.pattern)
        return f"<@{user}> removed all {count} subscription(s) of this channel."
    if command.verb in ("subscribe", "unsubscribe") and is_pattern(command.target):
        return _pattern(services, command, channel, user)
    target = resolve_service(services.settings, command)
    name = f"{target['cluster']}/{target['service']}"
    if command.verb == "subscribe":
        sub = store.subscribe(channel, target, list(command.only) or None, command.all, user)
        return f"📣 <@{user}> subscribed this channel to {escape(name)}: {_filters(sub)}."
    if command.verb == "unsubscribe":
        removed = store.unsubscribe(channel, target)
        return (
            f"<@{user}> unsubscribed this channel from {escape(name)}."
            if removed
            else f"This channel was not subscribed to {escape(name)}."
        )
    report = history_report(store, target, command.since or "7d")
    return history_text(name, report)


def _pattern(services: Services, command: Command, channel: str, user: str) -> str:
    where = resolve_cluster(services.settings, command)
    region, cluster, pattern = where["region"], where["cluster"], where["pattern"]
    name = escape(command.target)
    scope = "every service of" if pattern == "*" else "the services matching"
    if command.verb == "subscribe":
        sub = services.store.subscribe_pattern(
            channel, region, cluster, pattern, list(command.only) or None, command.all, user
        )
        what = f"{scope} {escape(cluster)}" if pattern == "*" else f"{scope} {name}"
        return f"📣 <@{user}> subscribed this channel to {what} ({escape(region)}): {_filters(sub)}."
    removed = services.store.unsubscribe_pattern(channel, region, cluster, pattern)
    return (
        f"<@{user}> unsubscribed this channel from {name}."
        if removed
        else f"This channel was not subscribed to {name}."
    )


def _describe(sub: Subscription) -> str:
    name = f"{escape(sub.cluster)}/{escape(sub.service or sub.pattern)}"
    return f"• {name} — {_filters(sub)} (by <@{sub.by}>)"


def _filters(sub: Subscription) -> str:
    what = f"only {', '.join(sub.only)}" if sub.only else "every failure"
    return what + (" and normal stops" if sub.include_lifecycle else "")


def history_text(name: str, report: dict[str, Any]) -> str:
    if not report["total"]:
        return f"No stopped task of {escape(name)} is stored for the last {report['since']}."
    lines = [f"*{escape(name)}: {report['total']} stopped tasks in the last {report['since']}*"]
    for category, count in report["per_cause"].items():
        example = report["latest"].get(category, {})
        when = str(example.get("stoppedAt") or example.get("stopped_at") or "")[:16]
        reason = escape(str(example.get("reason") or example.get("summary") or ""))[:200]
        lines.append(f"• `{category}` × {count} — latest {when}: {reason}")
    days = [
        f"{day}: " + ", ".join(f"{c} {n}" for c, n in counts.items())
        for day, counts in report["per_day"].items()
    ]
    lines.append("_Per day_: " + " · ".join(days[-7:]))
    return "\n".join(lines)
