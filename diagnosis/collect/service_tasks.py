"""Rounds 1 and 2 of a diagnosis: the service, its tasks, and the task definitions they run.

Round 1: describe-services with list-tasks STOPPED (its first page) and RUNNING, at once. Round 2:
describe-tasks in batches of 100 with the task definitions of the deployments (and the revision before), at
once; beside it, the later pages of stopped tasks, one after another, each described and parsed as it
arrives (`stopped_pages.py`). Task definitions are immutable per revision, so they are cached by ARN and
cost no call the second time; each task is parsed once per task definition read (`Parsed`).
"""

from __future__ import annotations

from collections.abc import Callable, MutableMapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from diagnosis.collect import stopped_pages
from diagnosis.collect.aws import Aws, Call, first
from diagnosis.collect.stopped_pages import StoppedPages, list_stopped
from diagnosis.collect.target import TargetSpec, task_not_found, unknown_service
from diagnosis.models import Gap, Observations, ServiceFacts, TaskFacts
from diagnosis.parse import service_facts, task_facts

MAX_RUNNING = 100  # running tasks read per diagnosis; the stopped: up to MAX_STOPPED (stopped_pages.py)

_PROCESS_CACHE: dict[str, dict[str, Any]] = {}


@dataclass
class Core:
    """What rounds 1–2 read, raw (API shapes) and parsed."""

    spec: TargetSpec
    service: dict[str, Any] | None = None
    tasks: list[dict[str, Any]] = field(default_factory=list)
    task_definitions: dict[str, dict[str, Any]] = field(default_factory=dict)
    observations: Observations = field(default_factory=lambda: Observations(kind="live"))
    parsed: Parsed = field(default_factory=lambda: Parsed(), repr=False, compare=False)
    read_at: datetime = field(default_factory=lambda: datetime.now(UTC))  # when round 1 was asked


def collect_core(
    aws: Aws,
    spec: TargetSpec,
    cache: MutableMapping[str, dict[str, Any]] | None = None,
    early: Callable[[Core], None] | None = None,
) -> Core:
    """Rounds 1–2. ECS lists stopped tasks 100 a page, each page asked with the previous page's token: the
    pages after the first are read one after another beside round 2, each described as it arrives. With
    more than one page, `early` is given the core of the first page (and the running tasks) while the other
    pages stream in, so the evidence wave can start before the last page (see diagnosis.live)."""
    cache = _PROCESS_CACHE if cache is None else cache
    cluster = spec.cluster or "default"
    core = Core(spec=spec)
    listing: StoppedPages | None = None
    if spec.service:
        listed = {"cluster": cluster, "serviceName": spec.service}
        first_round = aws.round(
            {
                "service": Call(
                    "ecs", "describe_services", {"cluster": cluster, "services": [spec.service]}, "service"
                ),
                "stopped": list_stopped(listed, None, stopped_pages.MAX_STOPPED),
                "running": Call(
                    "ecs",
                    "list_tasks",
                    {**listed, "desiredStatus": "RUNNING", "maxResults": 100},
                    "running tasks",
                    frozenset({"ServiceNotFoundException"}),
                ),
            }
        )
        services = [s for s in first(first_round["service"], "services") if s.get("status") != "INACTIVE"]
        if not services and first_round["service"].ok:
            raise unknown_service(aws, spec.service, [cluster])
        core.service = services[0] if services else None
        stopped = first_round["stopped"].data or {}
        listing = StoppedPages(aws, cluster, listed, aws.rounds, lambda tasks: core.parsed.each(tasks, cache))
        stopped_arns = listing.page(stopped)
        listing.follow(len(stopped_arns))
        task_arns = [*stopped_arns, *(first_round["running"].data or {}).get("taskArns", [])[:MAX_RUNNING]]
    else:
        task_arns = [spec.task or ""]
    wanted = _deployment_task_definitions(core.service)
    second = {
        f"tasks{i}": Call(
            "ecs", "describe_tasks", {"cluster": cluster, "tasks": task_arns[i : i + 100]}, "stopped tasks"
        )
        for i in range(0, len(task_arns), 100)
    }
    second.update(_task_definition_calls(wanted, cache))
    try:
        results = aws.round(second)
        tasks = [
            t for key, outcome in results.items() if key.startswith("tasks") for t in first(outcome, "tasks")
        ]
        _store_task_definitions(results, cache)
        if listing is not None and listing.running and early is not None:
            early(_assembled(core, tasks, wanted, cache))
        if listing is not None:
            tasks += listing.tasks()
            if listing.more:  # stopped at the bound: say that more are in ECS
                bound = stopped_pages.MAX_STOPPED
                aws.gaps.append(
                    Gap(
                        what="stopped tasks",
                        reason=f"more than {bound} stopped tasks: the first {bound} ECS listed were read",
                    )
                )
    finally:
        if listing is not None:
            listing.join()
    described = [o for key, o in results.items() if key.startswith("tasks")]
    if spec.task and not tasks and all(o.ok for o in described):  # ECS answered: it has no such task
        raise task_not_found(spec.task, [cluster])
    # A task listed running in round 1 and stopped on a later page is one task: its latest description.
    tasks = list({t.get("taskArn") or str(id(t)): t for t in tasks}.values())
    if listing is not None:  # as listed: the stopped page by page, then the running
        order = {
            arn: i
            for i, arn in enumerate([*task_arns[: listing.first], *listing.arns, *task_arns[listing.first :]])
        }
        tasks.sort(key=lambda t: order.get(t.get("taskArn", ""), len(order)))
    return _assembled(core, tasks, wanted, cache)


def _assembled(
    core: Core, tasks: list[dict[str, Any]], wanted: set[str], cache: MutableMapping[str, dict[str, Any]]
) -> Core:
    """The core of these described tasks: the service's own, their task definitions, parsed."""
    spec = core.spec
    if spec.service:
        tasks = service_tasks(tasks, spec.service, wanted)
    read = Core(spec=spec, service=core.service, tasks=tasks, parsed=core.parsed, read_at=core.read_at)
    read.task_definitions = {
        arn: cache[arn] for arn in {*wanted, *(t.get("taskDefinitionArn", "") for t in tasks)} if arn in cache
    }
    read.observations = observations(read)
    return read


def service_tasks(tasks: list[dict[str, Any]], service: str, definitions: set[str]) -> list[dict[str, Any]]:
    """The service's own tasks. AWS filters list-tasks by service; some stand-ins ignore the filter, so the
    task's group (`service:NAME`) decides, and where no task carries a group, the task definition family
    of the service's deployments does."""
    grouped = [t for t in tasks if t.get("group") == f"service:{service}"]
    if grouped or any(str(t.get("group", "")).startswith("service:") for t in tasks):
        return grouped
    families = {arn.rsplit("/", 1)[-1].rsplit(":", 1)[0] for arn in definitions}
    return [
        t
        for t in tasks
        if str(t.get("taskDefinitionArn", "")).rsplit("/", 1)[-1].rsplit(":", 1)[0] in families
    ]


def missing_task_definitions(
    core: Core, cache: MutableMapping[str, dict[str, Any]] | None = None
) -> dict[str, Call]:
    """Task definitions the stopped tasks use that round 2 did not read: fetched with the round-3 wave."""
    cache = _PROCESS_CACHE if cache is None else cache
    arns = {t.get("taskDefinitionArn", "") for t in core.tasks} - set(core.task_definitions)
    return _task_definition_calls(arns, cache)


def absorb_task_definitions(
    core: Core, results: dict[str, Any], cache: MutableMapping[str, dict[str, Any]] | None = None
) -> None:
    cache = _PROCESS_CACHE if cache is None else cache
    _store_task_definitions(results, cache)
    for task in core.tasks:
        arn = task.get("taskDefinitionArn", "")
        if arn in cache:
            core.task_definitions[arn] = cache[arn]
    core.observations = observations(core)


def _deployment_task_definitions(service: dict[str, Any] | None) -> set[str]:
    if not service:
        return set()
    arns = {service.get("taskDefinition", "")} | {
        d.get("taskDefinition", "") for d in service.get("deployments", [])
    }
    primary = service.get("taskDefinition", "")
    family, _, revision = primary.rpartition(":")
    if revision.isascii() and revision.isdigit() and len(revision) < 10 and int(revision) > 1:
        arns.add(f"{family}:{int(revision) - 1}")  # the revision before: the diff's other side
    return {a for a in arns if a}


def _task_definition_calls(arns: set[str], cache: MutableMapping[str, dict[str, Any]]) -> dict[str, Call]:
    return {
        f"td:{arn}": Call(
            "ecs",
            "describe_task_definition",
            {"taskDefinition": arn},
            "task definition",
            frozenset({"ClientException"}),
        )
        for arn in sorted(arns)
        if arn and arn not in cache
    }


def _store_task_definitions(results: dict[str, Any], cache: MutableMapping[str, dict[str, Any]]) -> None:
    for key, outcome in results.items():
        if key.startswith("td:") and outcome.data and outcome.data.get("taskDefinition"):
            definition = outcome.data["taskDefinition"]
            cache[definition.get("taskDefinitionArn", key[3:])] = definition
            cache[key[3:]] = definition  # also under the name it was asked by (family:revision)


def observations(core: Core) -> Observations:
    """Parse the raw documents, adding what only the task definition knows (essential, image)."""
    parsed = core.parsed
    tasks = tuple(
        parsed.task(raw, core.task_definitions.get(raw.get("taskDefinitionArn", ""))) for raw in core.tasks
    )
    services = (parsed.service(core.service),) if core.service else ()
    return Observations(kind="live", tasks=tasks, services=services)


class Parsed:
    """Each raw document parsed once (with its task definition, immutable per ARN): a big service's core is
    parsed from its first page, then from every page, and again as each wave brings task definitions; the
    later pages are parsed as they are described, while the chain of pages waits for AWS."""

    def __init__(self) -> None:
        self._tasks: dict[int, tuple[dict[str, Any], dict[str, Any] | None, TaskFacts]] = {}
        self._service: tuple[dict[str, Any], ServiceFacts] | None = None

    def task(self, raw: dict[str, Any], definition: dict[str, Any] | None) -> TaskFacts:
        known = self._tasks.get(id(raw))
        if known is not None and known[0] is raw and known[1] is definition:
            return known[2]
        facts = _task_facts(raw, definition or {})
        self._tasks[id(raw)] = (raw, definition, facts)  # holding `raw` keeps its id from being reused
        return facts

    def each(self, tasks: list[dict[str, Any]], definitions: MutableMapping[str, dict[str, Any]]) -> None:
        """Parse these tasks now, with the task definitions read so far (one read later is parsed again)."""
        for raw in tasks:
            self.task(raw, definitions.get(raw.get("taskDefinitionArn", "")))

    def service(self, raw: dict[str, Any]) -> ServiceFacts:
        if self._service is None or self._service[0] is not raw:
            self._service = (raw, service_facts(raw))
        return self._service[1]


def _task_facts(raw: dict[str, Any], definition: dict[str, Any]) -> TaskFacts:
    by_name = {c.get("name"): c for c in definition.get("containerDefinitions", [])}
    containers = [
        {
            **c,
            "essential": by_name.get(c.get("name"), {}).get("essential", c.get("essential")),
            "image": c.get("image") or by_name.get(c.get("name"), {}).get("image", ""),
        }
        for c in raw.get("containers", [])
    ]
    return task_facts({**raw, "containers": containers})
