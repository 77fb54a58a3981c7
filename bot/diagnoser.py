"""Runs a diagnosis for a command (Slack, buttons, the worker): the session, the cache, the metrics."""

from __future__ import annotations

from collections.abc import Callable, MutableMapping
from typing import Any

import boto3

from bot import metrics
from bot.aws_session import session_for
from bot.commands import Command
from bot.settings import Settings
from diagnosis.live import diagnose_live, parse_since
from diagnosis.models import Diagnosis

SessionFactory = Callable[[str | None, str | None], boto3.Session]


class Diagnoser:
    def __init__(
        self,
        settings: Settings,
        cache: MutableMapping[str, dict[str, Any]] | None = None,
        sessions: SessionFactory | None = None,
    ) -> None:
        self.settings = settings
        self.cache = cache
        self.sessions = sessions or (lambda account, region: session_for(settings, account, region))

    def run(self, command: Command, log_lines: int | None = None) -> Diagnosis:
        """Raises ValueError / TargetError / SessionError for what the user typed; AWS trouble becomes gaps."""
        since = parse_since(command.since or self.settings.since_default)
        session = self.sessions(command.account, command.region)
        with metrics.DIAGNOSIS_SECONDS.time():
            result = diagnose_live(
                session,
                command.target,
                cluster=command.cluster,
                region=command.region or session.region_name,
                since=since,
                default_clusters=self.settings.clusters,
                cache=self.cache,
                log_lines=log_lines or self.settings.log_lines,
            )
        metrics.AWS_CALLS.inc(result.stats.api_calls)
        metrics.DIAGNOSES.labels(result.findings[0].category if result.findings else "none").inc()
        return result
