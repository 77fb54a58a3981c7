"""Runs `check SERVICE` and `exec-check SERVICE` for a Slack command or the terminal, with the diagnoser's
sessions and task definition cache (the same account roles, region defaults and clusters as a diagnosis)."""

from __future__ import annotations

from collections.abc import Iterable, MutableMapping, Sequence
from functools import partial
from typing import Any, Protocol, TypeVar

import boto3

from bot.diagnoser import Diagnoser
from bot.inquiry import Inquiry
from diagnosis.exec_check import ExecReport, exec_check
from diagnosis.prevent.live import check_service
from diagnosis.prevent.model import CheckReport


class _Counted(Protocol):
    @property
    def api_calls(self) -> int: ...


class _Report(Protocol):
    @property
    def stats(self) -> _Counted: ...


Report = TypeVar("Report", bound=_Report, covariant=True)


class ServiceCheck(Protocol[Report]):
    """A live check of one service: `check_service` and `exec_check` take the same arguments."""

    def __call__(
        self,
        session: boto3.Session,
        target: str,
        *,
        cluster: str | None,
        region: str | None,
        default_clusters: list[str] | None,
        cache: MutableMapping[str, dict[str, Any]] | None,
        regions: Sequence[str],
    ) -> Report: ...


def run_on_service(diagnoser: Diagnoser, inquiry: Inquiry, check: ServiceCheck[Report]) -> Report:
    """Where a diagnosis of the inquiry would look (`Diagnoser.reach`); raises TargetError / SessionError for
    what the user asked (no region anywhere included); AWS trouble becomes gaps. A metered diagnoser counts
    the AWS calls in /metrics (a terminal's does not load the metrics)."""
    session, regions = diagnoser.reach(inquiry)
    report = check(
        session,
        inquiry.target,
        cluster=inquiry.cluster,
        region=inquiry.region,
        default_clusters=diagnoser.settings.clusters,
        cache=diagnoser.cache,
        regions=regions,
    )
    if diagnoser.metered:
        from bot import metrics

        metrics.AWS_CALLS.inc(report.stats.api_calls)
    return report


def run_check(
    diagnoser: Diagnoser, inquiry: Inquiry, task_definition: str | None = None, ignore: Iterable[str] = ()
) -> CheckReport:
    """`check SERVICE`: what would stop the next deployment (of `task_definition`, else the current one);
    `ignore`: the rule IDs (or RULE:SUBJECT) the team accepts."""
    return run_on_service(
        diagnoser, inquiry, partial(check_service, task_definition=task_definition, ignore=tuple(ignore))
    )


def run_exec_check(diagnoser: Diagnoser, inquiry: Inquiry) -> ExecReport:
    """`exec-check SERVICE`: ECS Exec's prerequisites."""
    return run_on_service(diagnoser, inquiry, exec_check)
