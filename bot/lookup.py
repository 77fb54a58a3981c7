"""What an inquiry names, looked up for the listeners (independent of Slack): the service or cluster it
means, checked in AWS (subscribe, history, summary), the service's tasks and events now (follow-ups), and
what the stored history says about it."""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import UTC, datetime
from typing import Any

from bot.aws_session import session_for
from bot.inquiry import Inquiry
from bot.settings import Settings
from bot.store import Store, service_key
from diagnosis.collect.aws import Aws, Call, first
from diagnosis.collect.service_tasks import collect_core
from diagnosis.collect.target import parse_target, resolve, unknown_service
from diagnosis.live import parse_since
from diagnosis.models import Observations


def resolve_service(settings: Settings, inquiry: Inquiry) -> dict[str, Any]:
    """The service a subscription or history inquiry names; TargetError (with the closest names) if none."""
    session = session_for(settings, inquiry.account, inquiry.region)
    spec = parse_target(inquiry.target, inquiry.cluster, inquiry.region or session.region_name)
    aws = Aws(session, spec.region)
    try:
        spec = resolve(aws, spec, settings.clusters)
        if not spec.service:
            raise ValueError("subscribe to a service (web-api, cluster/service or a service ARN), not a task")
        found = aws.round(
            {
                "s": Call(
                    "ecs",
                    "describe_services",
                    {"cluster": spec.cluster, "services": [spec.service]},
                    "service",
                )
            }
        )["s"]
        services = [s for s in first(found, "services") if s.get("status") != "INACTIVE"]
        if found.ok and not services:
            raise unknown_service(aws, spec.service, [spec.cluster or "default"])
        arn = services[0].get("serviceArn", "") if services else ""
        account = arn.split(":")[4] if arn.count(":") >= 5 else spec.account
        return {
            "account": account,
            "region": aws.region,
            "cluster": spec.cluster,
            "service": spec.service,
            "account_alias": inquiry.account,
        }
    finally:
        aws.close()


def resolve_cluster(settings: Settings, inquiry: Inquiry) -> dict[str, str]:
    """The cluster and region of a pattern subscription (`prod/*`); ValueError when the cluster is not there."""
    session = session_for(settings, inquiry.account, inquiry.region)
    cluster, _, pattern = inquiry.target.partition("/")
    aws = Aws(session, inquiry.region or session.region_name)
    try:
        call = Call(
            "ecs", "list_services", {"cluster": cluster, "maxResults": 1}, "cluster",
            frozenset({"ClusterNotFoundException"}),
        )  # fmt: skip
        if aws.round({"c": call})["c"].error == "ClusterNotFoundException":
            raise ValueError(f"no cluster {cluster!r} in {aws.region}; check the name or pass --region")
        return {"region": aws.region or "", "cluster": cluster, "pattern": pattern}
    finally:
        aws.close()


def observe(settings: Settings, inquiry: Inquiry) -> Observations:
    """The service's tasks, task definitions and events now (rounds 1–2 of a diagnosis)."""
    session = session_for(settings, inquiry.account, inquiry.region)
    spec = parse_target(inquiry.target, inquiry.cluster, inquiry.region or session.region_name)
    aws = Aws(session, spec.region)
    try:
        return collect_core(aws, resolve(aws, spec, settings.clusters)).observations
    finally:
        aws.close()


def history_report(store: Store, target: dict[str, Any], since: str) -> dict[str, Any]:
    """Counts per cause and per day, with the latest example of each cause."""
    window = parse_since(since)
    start = datetime.now(UTC) - window
    key = service_key(target.get("account"), target.get("region"), target["cluster"], target["service"])
    records = store.history(key, start.timestamp())
    per_cause: Counter[str] = Counter()
    per_day: dict[str, Counter[str]] = defaultdict(Counter)
    latest: dict[str, dict[str, Any]] = {}
    for record in records:
        per_cause[record.category] += 1
        day = record.stopped_at[:10] or "unknown"
        per_day[day][record.category] += 1
        latest[record.category] = record.to_json()
    return {
        "total": len(records),
        "per_cause": dict(per_cause.most_common()),
        "per_day": {d: dict(c) for d, c in sorted(per_day.items())},
        "latest": latest,
        "since": since,
    }
