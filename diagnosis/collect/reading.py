"""What the live commands (`diagnose`, `check SERVICE`, `exec-check`) share before and after their rounds:
the target found (in one region or several), the service read, and a report's tail: the calls and rounds
spent (the search in other regions included) and the gaps, each said once."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Iterator, MutableMapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import boto3

from diagnosis.collect.aws import Aws
from diagnosis.collect.service_tasks import Core, collect_core
from diagnosis.collect.target import TargetError, TargetSpec, find, parse_target
from diagnosis.models import Gap


@dataclass
class Reading:
    """One target's live read: its region's `aws`, the target resolved, and what the other regions cost."""

    aws: Aws
    spec: TargetSpec
    elsewhere: tuple[int, int] = (0, 0)  # calls made and rounds added by the search in other regions
    started: float = field(default_factory=time.perf_counter)

    def stats(self) -> dict[str, Any]:
        """api_calls, rounds and elapsed_ms of the whole read, the search in other regions included."""
        return {
            "api_calls": self.aws.calls + self.elsewhere[0],
            "rounds": self.aws.rounds + self.elsewhere[1],
            "elapsed_ms": (time.perf_counter() - self.started) * 1000,
        }

    def gaps(self, *more: Iterable[Gap]) -> list[Gap]:
        """What could not be read (the calls' gaps, then `more`), each what-and-why once."""
        seen: set[tuple[str, str]] = set()
        unique = []
        for gap in [*self.aws.gaps, *(g for gaps in more for g in gaps)]:
            if (gap.what, gap.reason) not in seen:
                seen.add((gap.what, gap.reason))
                unique.append(gap)
        return unique

    def service(self, cache: MutableMapping[str, dict[str, Any]] | None) -> Core:
        """Rounds 1–2 for a command about a service; TargetError when the service could not be read."""
        core = collect_core(self.aws, self.spec, cache)
        if not core.service:
            raise TargetError(f"could not read service {self.spec.service}: {self.why_not()}")
        return core

    def why_not(self) -> str:
        """Why the last thing asked for was not read: the last call's failure, else that AWS had none."""
        return self.aws.gaps[-1].reason if self.aws.gaps else "ECS did not return it"


@contextmanager
def reading(
    session: boto3.Session,
    target: str,
    cluster: str | None,
    region: str | None,
    regions: Sequence[str],
    default_clusters: list[str] | None,
    progress: Callable[[int, list[str]], None] | None = None,
    service_for: str | None = None,
) -> Iterator[Reading]:
    """The target found, its clients closed after the block. With `service_for` (the command's name), a
    task is refused: that command takes a service. Raises TargetError for a target that cannot be used."""
    started = time.perf_counter()
    spec = parse_target(target, cluster, region)
    if service_for and not spec.service:
        raise TargetError(
            f"{target!r} is a task; `{service_for}` takes a service (name, cluster/service or ARN)"
        )
    aws, spec, elsewhere = find(session, spec, region, regions, default_clusters or [], progress)
    try:
        yield Reading(aws, spec, elsewhere, started)
    finally:
        aws.close()
