"""Runs a diagnosis for whoever asks (Slack commands, buttons and follow-ups, the terminal's `diagnose`):
the session, the region, the window, the cache, stored history and, where the process serves, metrics.

Its imports stay light (`ecs-why diagnose` loads no Redis nor Prometheus): the store, the metrics and the
process pool are loaded by the processes that use them."""

from __future__ import annotations

import os
import threading
import time
from collections import Counter
from collections.abc import Callable, MutableMapping
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from bot.aws_session import NO_REGION, SessionError, region_known, regions_of, session_for
from bot.inquiry import Asked, Inquiry
from bot.settings import Settings
from diagnosis.live import diagnose_live, parse_since
from diagnosis.models import Diagnosis, EvidenceItem, Gap

if TYPE_CHECKING:
    import boto3

    from bot.processes import RecyclingPool
    from bot.store import Store

SessionFactory = Callable[[str | None, str | None], "boto3.Session"]
Progress = Callable[[int, list[str]], None]  # told as each round of AWS calls starts
# A diagnosis process is replaced after this many diagnoses, a bound on whatever a library might keep.
# Its memory is flat after warm-up (AWS models are loaded once per process: bot.aws_session.new_session),
# and each replacement costs a re-import and a re-warm on the serving host, so it is rare (bench/ack_latency).
DIAGNOSES_PER_PROCESS = 1000


class Diagnoser:
    """Runs diagnoses; with `workers`, in child processes, so that CPU-heavy diagnoses never hold the GIL
    that the Slack acknowledgements of the serving process need (acks stay fast under load). `metered`:
    each diagnosis is counted in the process's metrics and logged (the serving processes; not a terminal)."""

    def __init__(
        self,
        settings: Settings,
        cache: MutableMapping[str, dict[str, Any]] | None = None,
        sessions: SessionFactory | None = None,
        store: Store | None = None,
        workers: int = 0,
        metered: bool = True,
    ) -> None:
        self.settings = settings
        self.cache = cache
        self.store = store
        self.metered = metered
        self.sessions = sessions or (lambda account, region: session_for(settings, account, region))
        self.pool: RecyclingPool | None = None
        if workers:
            from bot.processes import RecyclingPool

            self.pool = RecyclingPool(
                workers,
                DIAGNOSES_PER_PROCESS,
                initializer=_start_child,
                initargs=(settings, os.getpid()),
                nice=settings.worker_nice,
            )

    def close(self) -> None:
        """End the diagnosis processes cleanly (no leaked semaphores); a running diagnosis is awaited."""
        if self.pool is not None:
            self.pool.shutdown(wait=True, cancel_futures=True)

    def run(
        self, inquiry: Inquiry, log_lines: int | None = None, progress: Progress | None = None
    ) -> Diagnosis:
        """Raises ValueError / TargetError / SessionError for what the user asked; AWS trouble becomes gaps.
        `progress` is told each round (in this process only: a pooled diagnoser refuses it)."""
        if progress is not None and self.pool is not None:
            raise ValueError("progress is reported only by a diagnoser without worker processes")
        since = parse_since(inquiry.since or self.settings.since_default)
        started = time.perf_counter()
        try:
            if self.pool is not None:
                plain = Asked(inquiry.target, inquiry.cluster, inquiry.region, inquiry.account, inquiry.since)
                result = self.pool.submit(_run_in_child, plain, log_lines).result()  # not a Slack Command
            else:
                result = self.diagnose(inquiry, log_lines, since, progress)
        finally:
            if self.metered:
                from bot import metrics

                metrics.DIAGNOSIS_SECONDS.observe(time.perf_counter() - started)
        if self.store is not None:
            result = with_history(result, self.store, since)
        if self.metered:
            observe(result, (time.perf_counter() - started) * 1000)
        return result

    def reach(self, inquiry: Inquiry) -> tuple[boto3.Session, list[str]]:
        """The inquiry's session, and the regions a bare name is looked for in (none with --region): the one
        place where Slack, the worker and the terminal resolve the account, the session and the region. A
        SessionError when the account is unknown, no region is known anywhere or one is no region name (else
        the AWS client would fail on its first call)."""
        session = self.sessions(inquiry.account, inquiry.region)
        regions = [] if inquiry.region else regions_of(self.settings, inquiry.account)
        if not region_known(inquiry.target, inquiry.region, session, regions):
            raise SessionError(NO_REGION)
        _region_names(inquiry.region, [session.region_name, *regions])
        return session, regions

    def diagnose(
        self,
        inquiry: Inquiry,
        log_lines: int | None,
        since: timedelta,
        progress: Progress | None = None,
    ) -> Diagnosis:
        session, regions = self.reach(inquiry)
        return diagnose_live(
            session,
            inquiry.target,
            cluster=inquiry.cluster,
            region=inquiry.region,
            regions=regions,
            since=since,
            default_clusters=self.settings.clusters,
            cache=self.cache,
            log_lines=log_lines or self.settings.log_lines,
            progress=progress,
        )


def _region_names(asked: str | None, configured: list[str | None]) -> None:
    """A SessionError naming the region that is no AWS region name (botocore's own test), and where it came
    from: --region, or the settings (AWS_REGION, the profile, the account's regions)."""
    from botocore.exceptions import InvalidRegionError
    from botocore.utils import validate_region_name

    for region in dict.fromkeys(r for r in (asked, *configured) if r):
        try:
            validate_region_name(region)
        except InvalidRegionError:
            if region == asked:
                raise SessionError(
                    f"--region {region!r} is not an AWS region name; pass one such as us-east-1"
                ) from None
            raise SessionError(
                f"{region!r} (from AWS_REGION, the AWS profile or ECS_WHY_ACCOUNTS) is not an AWS region "
                "name; set one such as us-east-1"
            ) from None


_CHILD: Diagnoser | None = None


def _start_child(settings: Settings, parent: int) -> None:
    """In a diagnosis process: its own AWS sessions; task definitions cached in the shared Redis if any.
    It ends itself when the serving process is gone, however that process ended."""
    global _CHILD
    threading.Thread(target=_exit_with_parent, args=(parent,), daemon=True, name="parent-watch").start()
    cache = None
    if settings.redis_url:
        from bot.store import Store

        cache = Store.from_url(settings.redis_url).optional_task_definitions()
    _CHILD = Diagnoser(settings, cache=cache)


def _exit_with_parent(parent: int) -> None:
    while os.getppid() == parent:
        time.sleep(1)
    os._exit(0)


def _run_in_child(inquiry: Asked, log_lines: int | None) -> Diagnosis:
    assert _CHILD is not None
    return _CHILD.diagnose(inquiry, log_lines, parse_since(inquiry.since or _CHILD.settings.since_default))


def outcome(diagnosis: Diagnosis) -> str:
    """failure, no_failure, or unreadable: nothing could be read, which is not the same as healthy."""
    if diagnosis.has_failure:
        return "failure"
    stats = diagnosis.stats
    if not diagnosis.findings and diagnosis.gaps and not (stats.tasks_seen or stats.services_seen):
        return "unreadable"
    return "no_failure"


def observe(diagnosis: Diagnosis, ms: float) -> None:
    """A finished diagnosis's metrics and its log line (the AWS calls that failed, by action and code)."""
    from bot import metrics
    from bot.logs import record as log_record

    top = diagnosis.findings[0] if diagnosis.findings else None
    result = outcome(diagnosis)
    metrics.AWS_CALLS.inc(diagnosis.stats.api_calls)
    metrics.DIAGNOSES.labels(top.category if top else "none", result).inc()
    for gap in diagnosis.gaps:
        if gap.call and gap.error_code:
            metrics.AWS_ERRORS.labels(gap.call, gap.error_code).inc()
    log_record(
        "diagnosis",
        target=diagnosis.target.label(),
        outcome=result,
        category=top.category if top else None,
        confidence=round(top.confidence, 2) if top else None,
        calls=diagnosis.stats.api_calls,
        rounds=diagnosis.stats.rounds,
        gaps=len(diagnosis.gaps),
        ms=round(ms),
    )


def with_history(diagnosis: Diagnosis, store: Store, since: timedelta) -> Diagnosis:
    """Adds what stored history says beyond ECS's hour: "oom 14 times in the last 24h" on each finding."""
    from bot.store import StoreUnavailable, service_key

    target = diagnosis.target
    if not (target.cluster and target.service):
        return diagnosis
    key = service_key(target.account, target.region, target.cluster, target.service)
    try:
        records = store.history(key, (datetime.now(UTC) - since).timestamp())
    except StoreUnavailable:
        gap = Gap(what="stored history", reason="the state store (Redis) is unreachable")
        return replace(diagnosis, gaps=[*diagnosis.gaps, gap])
    counts = Counter(r.category for r in records)
    hours = since.total_seconds() / 3600
    window = f"{hours:.0f}h" if hours < 48 else f"{hours / 24:.0f}d"
    findings = []
    for finding in diagnosis.findings:
        count = counts.get(finding.category, 0)
        if count:
            fact = f"stored history: {finding.category} {count} time{'s' if count != 1 else ''} in the last {window}"
            finding = replace(
                finding, evidence=[EvidenceItem(source="ecs-why history", fact=fact), *finding.evidence]
            )
        findings.append(finding)
    return replace(diagnosis, findings=findings)
