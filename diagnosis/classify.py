"""Turns observations into candidate causes (`Sighting`s): one primary cause per stopped task, plus the
causes service events, deployments and EventBridge actions name. Pure: no AWS, no I/O."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache

from diagnosis.models import ActionEvent, ContainerFacts, Observations, ServiceFacts, TaskFacts, task_shape
from diagnosis.rules import TASK_RULES, Match, read_message
from diagnosis.rules.base import DEPLOYMENT_TROUBLE
from diagnosis.rules.exit import failed_container, stop_timeout_kill

GENERIC_REASONS = ("essential container in task exited", "task failed to start", "")
LIFECYCLE_BY_STOP_CODE = {
    "SpotInterruption": ("spot_interruption", "stop code SpotInterruption: AWS reclaimed the Spot capacity"),
    "TerminationNotice": (
        "spot_interruption",
        "stop code TerminationNotice: the capacity was being reclaimed",
    ),
    "UserInitiated": ("user_stopped", "stop code UserInitiated: a StopTask call stopped it"),
    "ServiceSchedulerInitiated": (
        "scaling_or_deployment",
        "stop code ServiceSchedulerInitiated: the service scheduler stopped it",
    ),
}
# Stops ECS began itself (it sent SIGTERM first): an exit 137 then means the process ignored SIGTERM.
STOPPED_BY_ECS = frozenset(
    {
        "scaling_or_deployment",
        "user_stopped",
        "spot_interruption",
        "infra_maintenance",
        "instance_terminated_or_drained",
    }
)


@dataclass(frozen=True, slots=True)
class Sighting:
    """One piece of input that points at a cause: a task, a service event (seen `count` times), an action."""

    match: Match
    source: str  # the API or document it came from
    quote: str  # the raw text that was read (redacted later, at the edge of the engine)
    task: TaskFacts | None = None
    service: ServiceFacts | None = None
    count: int = 1
    stale: bool = False  # an event from before the service's latest steady state


def is_stopped(task: TaskFacts) -> bool:
    return (
        task.last_status in ("STOPPED", "DEPROVISIONING", "STOPPING")
        or task.desired_status == "STOPPED"
        or bool(task.stopped_reason)
    )


def classify_task(task: TaskFacts) -> list[Match]:
    """The task's primary cause first, then side observations.

    Precedence: a specific stopped reason; then a container's own reason (the failed container's, or any
    container's when the failed one never ran); then the stop code, which says who stopped the task; then
    the failed container's exit code; else `other`, quoting what ECS said."""
    reason = task.stopped_reason.strip()
    primary = read_message(reason) if reason.lower().rstrip(".") not in GENERIC_REASONS else None
    container = failed_container(task)
    container_match = _container_reason(task, container)
    if container_match is not None and (primary is None or primary.secondary):
        primary = container_match
    if (primary is None or primary.secondary) and task.stop_code in LIFECYCLE_BY_STOP_CODE:
        category, clue = LIFECYCLE_BY_STOP_CODE[task.stop_code]
        primary = Match(category, 0.7, clue)
    if primary is None or primary.secondary:
        for rule in TASK_RULES:
            from_exit = rule(task)
            if from_exit is not None:
                primary = from_exit
                break
    if primary is None:
        clue = f"ECS said: {reason}" if reason else "ECS gave no stopped reason"
        primary = Match("other", 0.3, clue)

    matches = [primary]
    if primary.category in STOPPED_BY_ECS and (container_match is None or container_match.category != "oom"):
        side = stop_timeout_kill(task)
        if side is not None:
            matches.append(side)
    return matches


def _container_reason(task: TaskFacts, container: ContainerFacts | None) -> Match | None:
    """What a container's own `reason` says; another container's only when the failed one never ran, or
    when it is an OOM kill (a kill is a cause wherever it happens, not a consequence of the stop)."""
    for other in task.containers:
        if other.reason and other is not container:
            match = read_message(other.reason)
            if match is not None and match.category == "oom":
                return _with_names(match, container=other.name)
    if container is not None and container.reason:
        match = read_message(container.reason)
        if match is not None:
            return _with_names(match, container=container.name)
    if container is not None and container.exit_code is not None:
        return None
    for other in task.containers:
        if other.reason and other is not container:
            match = read_message(other.reason)
            if match is not None:
                return _with_names(match, container=other.name)
    return None


def _with_names(match: Match, **names: str) -> Match:
    merged = dict(match.names)
    merged.update({k: v for k, v in names.items() if v and k not in merged})
    return Match(match.category, match.confidence, match.clue, match.alternatives, merged, match.secondary)


def service_sightings(service: ServiceFacts) -> Iterator[Sighting]:
    """Causes named by a service's events (newest first, as ECS lists them) and failed deployments."""
    steady_seen = False
    counted: dict[str, tuple[Match, str, int, bool]] = {}
    unexplained_stops: list[str] = []
    for event in service.events:
        text = event.message
        if "has reached a steady state" in text:
            steady_seen = True
            continue
        if "has stopped" in text and not steady_seen:
            unexplained_stops.append(text)
        match = read_message(text)
        if match is None:
            continue
        key = _normalise(text)
        previous = counted.get(key)
        counted[key] = (
            match,
            text,
            (previous[2] if previous else 0) + 1,
            steady_seen if not previous else previous[3],
        )
    for match, text, count, stale in counted.values():
        yield Sighting(match, "ecs:DescribeServices events", text, service=service, count=count, stale=stale)
    running, desired = service.running, service.desired
    if (
        unexplained_stops
        and not counted
        and running is not None
        and desired is not None
        and running < desired
    ):
        clue = (
            f"the service runs {running} of {desired} desired tasks and its events say tasks "
            "stopped without saying why; the stopped tasks' reasons will"
        )
        yield Sighting(
            Match("other", 0.3, clue, secondary=True),
            "ecs:DescribeServices events",
            unexplained_stops[0],
            service=service,
            count=len(unexplained_stops),
        )
    for deployment in service.deployments:
        if deployment.rollout_state == "FAILED":
            text = deployment.rollout_state_reason or f"deployment {deployment.id} failed"
            match = read_message(text) or Match("other", 0.3, "the deployment failed", secondary=True)
            yield Sighting(match, "ecs:DescribeServices deployments", text, service=service)


def action_sighting(action: ActionEvent) -> Sighting | None:
    """A Service Action or Deployment State Change event: a cause, or None when it is informational."""
    if action.event_type == "INFO" or action.event_name in (
        "SERVICE_STEADY_STATE",
        "TASKSET_STEADY_STATE",
        "CAPACITY_PROVIDER_STEADY_STATE",
        "SERVICE_DESIRED_COUNT_UPDATED",
        "SERVICE_DEPLOYMENT_IN_PROGRESS",
        "SERVICE_DEPLOYMENT_COMPLETED",
    ):
        return None
    text = f"{action.event_name}: {action.reason}" if action.reason else action.event_name
    match = read_message(action.reason) if action.reason else None
    if match is None or match.secondary:
        match = _by_event_name(action) or match or Match("other", 0.3, f"ECS reported {action.event_name}")
    return Sighting(match, f"EventBridge {action.kind.replace('_', ' ')} event", text)


def _by_event_name(action: ActionEvent) -> Match | None:
    name, reason = action.event_name, action.reason.upper()
    if name == "SERVICE_TASK_PLACEMENT_FAILURE":
        if "FARGATE" in reason or "CAPACITY" in reason:
            return Match(
                "fargate_capacity_or_quota", 0.8, "ECS could not place the task: no Fargate capacity"
            )
        if "ENI" in reason:
            return Match("eni_or_subnet", 0.75, "ECS could not place the task: no ENI available")
        if "ATTRIBUTE" in reason or "CONSTRAINT" in reason or "INSTANCE" in reason:
            return Match(
                "placement_constraint_or_no_instances",
                0.75,
                "ECS could not place the task: no instance meets its constraints",
            )
        return Match(
            "placement_insufficient_resources",
            0.7,
            f"ECS could not place the task ({action.reason or 'resources'})",
            ("placement_constraint_or_no_instances",),
        )
    if name == "SERVICE_TASK_CONFIGURATION_FAILURE":
        return Match(
            "invalid_task_definition_or_parameter",
            0.7,
            "ECS could not start the task because of its configuration",
        )
    if name in ("SERVICE_DEPLOYMENT_FAILED", "SERVICE_TASK_START_IMPAIRED"):
        return Match(
            "other",
            0.3,
            "the deployment failed or tasks keep failing to start; the stopped tasks say why",
            names={"reading": DEPLOYMENT_TROUBLE},
            secondary=True,
        )
    return None


def _normalise(text: str) -> str:
    """Events repeat with new task IDs and times; group them by their words."""
    return " ".join(w for w in text.lower().split() if not any(ch.isdigit() for ch in w))


class _TaskShape:
    """A task, hashed and compared by its shape: the cache key of its reading."""

    __slots__ = ("hash", "key", "task")

    def __init__(self, task: TaskFacts) -> None:
        self.task, self.key = task, task_shape(task)
        self.hash = hash(self.key)

    def __hash__(self) -> int:
        return self.hash

    def __eq__(self, other: object) -> bool:
        return isinstance(other, _TaskShape) and self.key == other.key


@lru_cache(maxsize=4096)
def _read_task(shape: _TaskShape) -> tuple[str, tuple[Match, ...]]:
    """What a task's stop says (the quote, its causes); read once per shape, a failing service repeats it."""
    task = shape.task
    container = failed_container(task)
    quote = task.stopped_reason
    if container is not None and container.reason and container.reason not in quote:
        quote = f"{quote} ({container.name}: {container.reason})" if quote else container.reason
    return quote, tuple(classify_task(task))


def sightings(obs: Observations) -> Iterator[Sighting]:
    for task in obs.tasks:
        if not is_stopped(task):
            continue
        quote, matches = _read_task(_TaskShape(task))
        for match in matches:
            yield Sighting(match, "ecs:DescribeTasks", quote, task=task)
    for service in obs.services:
        yield from service_sightings(service)
    for action in obs.actions:
        sighting = action_sighting(action)
        if sighting is not None:
            yield sighting
