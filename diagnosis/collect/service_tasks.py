"""Rounds 1 and 2 of a diagnosis: the service, its tasks, and the task definitions they run.

Round 1: describe-services with list-tasks STOPPED (its first page) and RUNNING, at once. Round 2:
describe-tasks in batches of 100 with the task definitions of the deployments (and the revision before), at
once; beside it, the later pages of stopped tasks, one after another, each described as it arrives. Task
definitions are immutable per revision, so they are cached by ARN and cost no call the second time.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, MutableMapping
from concurrent.futures import Future
from dataclasses import dataclass, field
from typing import Any

from diagnosis.collect.aws import Aws, Call, Outcome, first
from diagnosis.collect.target import TargetSpec, unknown_service
from diagnosis.models import Gap, Observations
from diagnosis.parse import service_facts, task_facts

# Stopped tasks read per diagnosis: every one ECS still keeps (about an hour's worth), paged through (each
# page after the first one more sequential call, see _Listing) and described 100 at a time, up to this bound
# (a crash loop of ~15 a minute); running tasks: 100.
MAX_STOPPED = 1000
MAX_RUNNING = 100

_PROCESS_CACHE: dict[str, dict[str, Any]] = {}


@dataclass
class Core:
    """What rounds 1–2 read, raw (API shapes) and parsed."""

    spec: TargetSpec
    service: dict[str, Any] | None = None
    tasks: list[dict[str, Any]] = field(default_factory=list)
    task_definitions: dict[str, dict[str, Any]] = field(default_factory=dict)
    observations: Observations = field(default_factory=lambda: Observations(kind="live"))


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
    listing: _Listing | None = None
    if spec.service:
        listed = {"cluster": cluster, "serviceName": spec.service}
        first_round = aws.round(
            {
                "service": Call(
                    "ecs", "describe_services", {"cluster": cluster, "services": [spec.service]}, "service"
                ),
                "stopped": _list_stopped(listed, None, MAX_STOPPED),
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
        listing = _Listing(aws, cluster, listed, aws.rounds)
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
            if listing.more:  # stopped at MAX_STOPPED: say that more are in ECS
                aws.gaps.append(
                    Gap(
                        what="stopped tasks",
                        reason=f"more than {MAX_STOPPED} stopped tasks: the first {MAX_STOPPED} ECS listed "
                        "were read",
                    )
                )
    finally:
        if listing is not None:
            listing.join()
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
    read = Core(spec=spec, service=core.service, tasks=tasks)
    read.task_definitions = {
        arn: cache[arn] for arn in {*wanted, *(t.get("taskDefinitionArn", "") for t in tasks)} if arn in cache
    }
    read.observations = observations(read)
    return read


def _list_stopped(listed: dict[str, Any], token: str | None, room: int) -> Call:
    params = {**listed, "desiredStatus": "STOPPED", "maxResults": max(1, min(100, room))}
    if token:
        params["nextToken"] = token
    return Call("ecs", "list_tasks", params, "stopped tasks", frozenset({"ServiceNotFoundException"}))


class _Listing:
    """The stopped tasks' pages after the first, asked one after another in a thread of their own (each
    needs the previous page's token) while rounds 2–4 run; each page's tasks are described as it arrives.
    A chain of N more pages is N + 1 more sequential rounds (the last page's describe-tasks)."""

    def __init__(self, aws: Aws, cluster: str, listed: dict[str, Any], rounds: int) -> None:
        self.aws, self.cluster, self.listed, self.rounds = aws, cluster, listed, rounds
        self.first = 0  # stopped tasks of the first page (described in round 2)
        self.arns: list[str] = []  # those of the later pages, in their order
        self.token: str | None = None
        self.more = False  # ECS holds more than MAX_STOPPED
        self._described: list[Future[Outcome]] = []
        self._seen: set[str] = set()  # every ARN listed so far: a page that overlaps the one before adds none
        self._thread: threading.Thread | None = None

    def page(self, answer: dict[str, Any]) -> list[str]:
        """A page's task ARNs not listed before, up to the bound; notes its token, and whether the bound cut
        it. The list can shift while it is paged (tasks stop meanwhile), so a task may be on two pages."""
        read = self.first + len(self.arns)
        arns = [arn for arn in dict.fromkeys(answer.get("taskArns", [])) if arn not in self._seen]
        self.token = answer.get("nextToken")
        self.more = len(arns) > MAX_STOPPED - read or (bool(self.token) and read + len(arns) >= MAX_STOPPED)
        if self.more:
            self.token = None
        kept = arns[: MAX_STOPPED - read]
        self._seen.update(kept)
        return kept

    def follow(self, first: int) -> None:
        """Round 1 read the first page (`first` tasks): start reading the others, if any."""
        self.first = first
        if self.token:
            self._thread = threading.Thread(target=self._follow, daemon=True, name="stopped-task-pages")
            self._thread.start()

    @property
    def running(self) -> bool:
        return self._thread is not None

    def _follow(self) -> None:
        try:
            while self.token:
                read = self.first + len(self.arns)
                outcome = self.aws.call(_list_stopped(self.listed, self.token, MAX_STOPPED - read))
                self.rounds += 1
                page = self.page(outcome.data or {})
                if page:
                    self.arns += page
                    describe = {"cluster": self.cluster, "tasks": page}
                    self._described.append(
                        self.aws.submit(Call("ecs", "describe_tasks", describe, "stopped tasks"))
                    )
        except RuntimeError:  # the clients were closed under it (the diagnosis ended): nothing left to read
            self.token = None

    def join(self) -> None:
        if self._thread is not None:
            self._thread.join()

    def tasks(self) -> list[dict[str, Any]]:
        """Every later page's tasks, once the last page is listed and described."""
        self.join()
        described = [t for future in self._described for t in first(future.result(), "tasks")]
        if self._described:
            self.rounds += 1  # the last page's describe-tasks
        self.aws.waited_for(self.rounds)
        return described


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
    tasks = []
    for raw in core.tasks:
        definition = core.task_definitions.get(raw.get("taskDefinitionArn", ""), {})
        by_name = {c.get("name"): c for c in definition.get("containerDefinitions", [])}
        containers = [
            {
                **c,
                "essential": by_name.get(c.get("name"), {}).get("essential", c.get("essential")),
                "image": c.get("image") or by_name.get(c.get("name"), {}).get("image", ""),
            }
            for c in raw.get("containers", [])
        ]
        tasks.append(task_facts({**raw, "containers": containers}))
    services = (service_facts(core.service),) if core.service else ()
    return Observations(kind="live", tasks=tuple(tasks), services=services)
