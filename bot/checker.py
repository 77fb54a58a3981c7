"""Runs `check SERVICE` and `exec-check SERVICE` for a Slack command, with the diagnoser's sessions and task
definition cache (the same account roles, region defaults and clusters as a diagnosis)."""

from __future__ import annotations

from bot import metrics
from bot.aws_session import regions_of
from bot.diagnoser import Diagnoser
from bot.inquiry import Inquiry
from diagnosis.exec_check import ExecReport, exec_check
from diagnosis.prevent.live import check_service
from diagnosis.prevent.model import CheckReport


def run_check(diagnoser: Diagnoser, command: Inquiry) -> CheckReport:
    """Raises TargetError / SessionError for what the user typed; AWS trouble becomes gaps."""
    session = diagnoser.sessions(command.account, command.region)
    report = check_service(
        session,
        command.target,
        cluster=command.cluster,
        region=command.region,
        default_clusters=diagnoser.settings.clusters,
        regions=[] if command.region else regions_of(diagnoser.settings, command.account),
        cache=diagnoser.cache,
    )
    metrics.AWS_CALLS.inc(report.stats.api_calls)
    return report


def run_exec_check(diagnoser: Diagnoser, command: Inquiry) -> ExecReport:
    """`exec-check SERVICE` for a Slack command; raises TargetError / SessionError for what the user typed."""
    session = diagnoser.sessions(command.account, command.region)
    report = exec_check(
        session,
        command.target,
        cluster=command.cluster,
        region=command.region,
        default_clusters=diagnoser.settings.clusters,
        regions=[] if command.region else regions_of(diagnoser.settings, command.account),
        cache=diagnoser.cache,
    )
    metrics.AWS_CALLS.inc(report.stats.api_calls)
    return report
