"""What happened in a cluster over a window, from what the bot stored (independent of Slack): failures per
service and cause (the stopped-task history), what recovered and when, and what is still failing (the
alerts that are open or acknowledged, however old). `/ecs-why summary prod --since 24h` and the daily
summary read it; handlers/render/summary.py shows it."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from fnmatch import fnmatchcase

from bot.aws_session import SessionError
from bot.inquiry import Inquiry
from bot.lookup import resolve_cluster
from bot.settings import Settings
from bot.store import Store
from bot.store.history import epoch_of
from bot.store.records import AlertRecord, GroupRecord, Recovery, StopRecord
from diagnosis.live import parse_since


@dataclass(frozen=True, slots=True)
class CauseCount:
    category: str
    title: str
    count: int
    latest_at: float
    latest_reason: str


@dataclass(frozen=True, slots=True)
class ServiceFailures:
    name: str  # cluster/service
    causes: tuple[CauseCount, ...]

    @property
    def total(self) -> int:
        return sum(c.count for c in self.causes)


@dataclass(frozen=True, slots=True)
class AlertState:
    """One alert (service + cause) as the summary tells it."""

    name: str  # cluster/service
    category: str
    title: str
    count: int
    opened_at: float | None
    acked_by: str = ""
    resolved: Recovery | None = None  # how it recovered
    resolved_at: float | None = None
    channel: str = ""
    ts: str = ""


@dataclass(frozen=True, slots=True)
class Scope:
    """Which services: a cluster (`pattern` "*"), or those whose names match, in a region (None: any)."""

    cluster: str
    pattern: str = "*"
    region: str | None = None

    @property
    def label(self) -> str:
        return self.cluster if self.pattern == "*" else f"{self.cluster}/{self.pattern}"

    def holds(self, gkey: str) -> bool:
        """Whether an alert's group key (`account:region:cluster:service:cause|channel`) is in scope."""
        parts = gkey.partition("|")[0].split(":")
        return (
            len(parts) == 5
            and parts[2] == self.cluster
            and self.region in (None, parts[1])
            and fnmatchcase(parts[3], self.pattern)
        )


@dataclass(frozen=True, slots=True)
class Summary:
    scopes: tuple[Scope, ...]
    since: str
    start: float
    end: float
    services: tuple[ServiceFailures, ...] = ()
    still_failing: tuple[AlertState, ...] = ()
    recovered: tuple[AlertState, ...] = ()
    normal_stops: int = 0
    notes: tuple[str, ...] = field(default_factory=tuple)  # what could not be read or checked

    @property
    def label(self) -> str:
        return ", ".join(s.label for s in self.scopes)

    @property
    def failures(self) -> int:
        return sum(s.total for s in self.services)


def build_summary(
    store: Store,
    scopes: list[Scope],
    since: str,
    channel: str | None = None,
    now: float | None = None,
    notes: tuple[str, ...] = (),
) -> Summary:
    """The summary of `scopes` over the last `since` (`24h`, `7d`). Alerts are per channel: the same
    service and cause alerted in two channels is told once, this `channel`'s alert first. Raises
    StoreUnavailable when Redis cannot be read (nothing else is stored anywhere)."""
    end = store.now() if now is None else now
    start = end - parse_since(since).total_seconds()
    services: dict[str, ServiceFailures] = {}
    seen: set[str] = set()  # scopes may overlap (a channel follows prod/web and prod/*): count each once
    normal = 0
    unresolved: dict[str, tuple[str, AlertRecord]] = {}  # fingerprint → (channel, alert)
    for scope in scopes:
        seen.update(store.history_services(scope.region, scope.cluster, scope.pattern))
        for gkey, alert in store.alerts_in(scope.region, scope.cluster, scope.pattern).items():
            if not alert.resolved:
                _keep(unresolved, gkey, alert, channel)
    for skey, records in store.histories(sorted(seen), start).items():  # the same round trips for 1 or 200
        _, _, cluster, service = skey.split(":")
        failures, stops = _failures(f"{cluster}/{service}", records)
        normal += stops
        if failures:
            services[skey] = failures
    resolved: dict[str, tuple[str, AlertRecord]] = {}  # the latest recovery of each, even if it failed again
    for record in store.resolutions((scope.cluster for scope in scopes), start):
        if any(scope.holds(record.gkey) for scope in scopes):
            _keep(resolved, record.gkey, record, channel)
    still = sorted(_states(store, unresolved), key=lambda s: (-s.count, s.name, s.category))
    recovered = sorted(_states(store, resolved), key=lambda s: -(s.resolved_at or 0))
    return Summary(
        scopes=tuple(scopes),
        since=since,
        start=start,
        end=end,
        services=tuple(sorted(services.values(), key=lambda s: (-s.total, s.name))),
        still_failing=tuple(still),
        recovered=tuple(recovered),
        normal_stops=normal,
        notes=notes,
    )


def _failures(name: str, records: list[StopRecord]) -> tuple[ServiceFailures | None, int]:
    """Failures per cause of one service's records (oldest first), and how many were normal stops."""
    per_cause: dict[str, list[StopRecord]] = defaultdict(list)
    normal = 0
    for record in records:
        if not record.failure:
            normal += 1
            continue
        per_cause[record.category or "other"].append(record)
    if not per_cause:
        return None, normal
    causes = []
    for category, found in per_cause.items():
        latest = max(found, key=lambda r: epoch_of(r.stopped_at, 0.0))
        causes.append(
            CauseCount(
                category=category,
                title=latest.title,
                count=len(found),
                latest_at=epoch_of(latest.stopped_at, 0.0),
                latest_reason=latest.reason[:300],
            )
        )
    causes.sort(key=lambda c: (-c.count, c.category))
    return ServiceFailures(name=name, causes=tuple(causes)), normal


def _keep(kept: dict[str, tuple[str, AlertRecord]], gkey: str, alert: AlertRecord, channel: str | None) -> None:
    """One alert per service and cause (fingerprint): this channel's, else the newest."""
    fingerprint, _, alert_channel = gkey.partition("|")
    known = kept.get(fingerprint)
    if known is not None:
        known_channel, known_alert = known
        if (alert_channel == channel) != (known_channel == channel):
            if known_channel == channel:
                return
        elif _moment(alert) <= _moment(known_alert):
            return
    kept[fingerprint] = (alert_channel, alert)


def _moment(alert: AlertRecord) -> float:
    return alert.resolved_at or alert.opened_at or 0.0


def _states(store: Store, kept: dict[str, tuple[str, AlertRecord]]) -> list[AlertState]:
    """The alerts as told, with the open groups' counts read in one round trip."""
    groups = store.group_states([f"{fingerprint}|{channel}" for fingerprint, (channel, _) in kept.items()])
    return [
        _state(channel, alert, group)
        for (channel, alert), (group, _muted) in zip(kept.values(), groups, strict=True)
    ]


def _state(channel: str, alert: AlertRecord, group: GroupRecord | None) -> AlertState:
    notice = alert.notice
    count = alert.count or notice.count
    if not alert.resolved and group:  # the message shows counts at most once an interval: the group has them
        count = max(count, group.count)
    return AlertState(
        name=notice.label,
        category=notice.category,
        title=notice.title,
        count=count,
        opened_at=alert.opened_at,
        acked_by=alert.acked_by,
        resolved=alert.resolved,
        resolved_at=alert.resolved_at,
        channel=channel,
        ts=alert.ts,
    )



def summary_scope(settings: Settings, inquiry: Inquiry) -> tuple[Scope, tuple[str, ...]]:
    """The cluster (and name pattern) a summary inquiry names, in its region. A cluster AWS says does not
    exist is a ValueError (a typo); when AWS cannot be asked, the stored data is still summed up, with a
    note saying the cluster was not checked."""
    cluster, _, pattern = inquiry.target.partition("/")
    try:
        found = resolve_cluster(settings, inquiry)
    except SessionError as exc:
        region = inquiry.region or settings.aws_region
        return Scope(cluster, pattern or "*", region or None), (f"the cluster was not checked in AWS: {exc}",)
    return Scope(cluster, pattern or "*", found["region"] or None), ()
