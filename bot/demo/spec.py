"""The language the scenarios are written in: one `Scenario` per service, read by `stage.stage`.

Times are how long before the seeding clock's now (`ago(...)`). Strings marked "template" are filled
with `str.format`: `{service}`, `{registry}`, `{image}` and `{tag}` (of the tasks' revision),
`{target_group}` (the service's ARN), `{task}` (in task events) and any key of `Sandbox.ids`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from bot.demo.telemetry import LogLine

if TYPE_CHECKING:
    from bot.demo.world import World

PRIVATE_SUBNETS = ("subnet_private_a", "subnet_private_b")

ago = timedelta  # reads as what it means in the data: `first=ago(minutes=58)`


@dataclass(frozen=True)
class Revision:
    """One task definition revision (one container) and the deployment that rolled it out."""

    tag: str
    rollout: str  # the deployment's rolloutState: COMPLETED or IN_PROGRESS
    deployed: timedelta  # when the deployment was created
    updated: timedelta  # when it last changed
    cpu: str = "256"
    memory: str = "512"
    port: int | None = None
    command: tuple[str, ...] | None = None
    environment: Mapping[str, str] = field(default_factory=dict)
    secrets: Mapping[str, str] = field(default_factory=dict)  # name -> template of the secret's ARN
    definition: Mapping[str, Any] = field(default_factory=dict)  # more task definition keys (templates)
    container: Mapping[str, Any] = field(default_factory=dict)  # more container definition keys (templates)


@dataclass(frozen=True)
class Stop:
    """How a task ended. Tasks stopped with TaskFailedToStart never started: `after` counts from creation."""

    code: str  # stopCode
    reason: str  # template of stoppedReason
    after: float  # seconds from the start to the stop
    exit_code: int | None = None
    reason_on_container: bool = False  # the container's reason repeats the task's

    @property
    def started(self) -> bool:
        return self.code != "TaskFailedToStart"


@dataclass(frozen=True)
class Tasks:
    """`count` tasks of one revision on a schedule, ending alike (`stop` None: still running).

    Task i starts (is created, if it never starts) `first` ago, plus `every * i` and `jitter[i % len]` s.
    """

    count: int
    first: timedelta
    every: timedelta = timedelta(0)
    jitter: tuple[int, ...] = (0,)
    revision: int = 1  # 1-based, in Scenario.revisions
    stop: Stop | None = None
    lead: int = 40  # seconds from creation to the start
    announced: int | None = 2  # seconds before creation of "has started 1 tasks"; None: no such event
    logs: Sequence[LogLine] | Callable[[int], Sequence[LogLine]] = ()  # or: task i -> its lines
    capacity_provider: str | None = None  # the capacity provider the tasks ran on (e.g. FARGATE_SPOT)
    events: tuple[tuple[float, str], ...] = ()  # seconds after the start, template


@dataclass(frozen=True)
class MemoryClimb:
    """Container Insights memory: `start` MiB, climbing linearly to `limit` in `over` seconds."""

    start: float
    limit: float
    over: float

    def at(self, seconds: float) -> float:
        return round(self.start + (self.limit - self.start) * (seconds / self.over), 1)


@dataclass(frozen=True)
class Scenario:
    """One seeded service: how it is built, what happened to it, and what its diagnosis should say."""

    service: str
    pushed: tuple[str, ...]  # the tags in its ECR repository
    revisions: tuple[Revision, ...]
    tasks: tuple[Tasks, ...]
    category: str | None  # the expected diagnosis (see `Expectation`)
    story: str
    facts: tuple[str, ...] = ()  # templates
    conclusions: tuple[str, ...] = ()
    absent: tuple[str, ...] = ()
    desired: int = 2
    subnets: tuple[str, ...] = PRIVATE_SUBNETS  # ids keys
    security_group: str = "sg_app"  # ids key
    target_group: str | None = None  # ids key; the container port is the revision's
    grace_period: int | None = None
    circuit_breaker: bool = False
    steady: tuple[timedelta, ...] = ()  # when it reached a steady state
    events: tuple[tuple[timedelta, str], ...] = ()  # other service events: when, template
    memory: MemoryClimb | None = None
    launch_type: str = "FARGATE"
    capacity_providers: tuple[Mapping[str, Any], ...] = ()  # the service's strategy (replaces launch_type)
    prepare: Callable[[World], None] | None = None  # creates what the service needs first (EFS, instances…)
