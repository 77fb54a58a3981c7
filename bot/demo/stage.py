"""The one interpreter of `Scenario`s: seeds a service, its revisions, tasks, telemetry and history."""

from __future__ import annotations

import math
from collections import Counter
from datetime import datetime, timedelta
from typing import Any

from bot.demo.model import Expectation
from bot.demo.spec import MemoryClimb, Revision, Scenario, Tasks
from bot.demo.tasks import Launch, launch
from bot.demo.telemetry import memory_datums, put_metrics
from bot.demo.world import (
    World,
    create_service,
    deployment,
    deployment_id,
    register_revision,
    write_history,
)

STARTED = "(service {service}) has started 1 tasks: (task {task})."
STEADY = "(service {service}) has reached a steady state."


def stage(world: World, scenario: Scenario) -> None:
    """Seed the scenario's service; record its task IDs and its expectation on `world.sandbox`."""
    name, ids = scenario.service, world.ids
    if scenario.prepare is not None:
        scenario.prepare(world)
    arns = [_register(world, name, revision) for revision in scenario.revisions]
    target_group = ids[scenario.target_group] if scenario.target_group else None
    service = create_service(
        world,
        name,
        arns[0],
        subnets=[ids[key] for key in scenario.subnets],
        security_group=ids[scenario.security_group],
        desired=scenario.desired,
        target_group=(target_group, scenario.revisions[0].port or 0) if target_group else None,
        grace_period=scenario.grace_period,
        circuit_breaker=scenario.circuit_breaker,
        launch_type=scenario.launch_type,
        capacity_providers=[dict(p) for p in scenario.capacity_providers] or None,
    )
    fill = {**ids, "service": name, "registry": world.registry, "target_group": target_group or ""}
    events = [(world.ago(when), STEADY.format_map(fill)) for when in scenario.steady]
    outcomes: Counter[tuple[int, bool]] = Counter()  # (revision, stopped) -> tasks
    datums: list[dict[str, Any]] = []
    targets: list[dict[str, Any]] = []
    for batch in scenario.tasks:
        revision = scenario.revisions[batch.revision - 1]
        batch_fill = {**fill, "tag": revision.tag, "image": world.image(name, revision.tag)}
        for i in range(batch.count):
            spec = _launch(world, scenario, batch, i, arns[batch.revision - 1], batch_fill)
            launched = launch(world, spec)
            stopped = spec.stopped is not None
            world.sandbox.record_task(name, launched.task_id, stopped=stopped)
            outcomes[batch.revision, stopped] += 1
            task_fill = {**batch_fill, "task": launched.task_id}
            events += _task_events(batch, spec, task_fill)
            if scenario.memory is not None and spec.started is not None:
                datums += [
                    datum
                    for at, used in _memory_samples(scenario.memory, spec.started, spec.stopped, world.now)
                    for datum in memory_datums(
                        world.cluster, name, launched.task_id, at, used, scenario.memory.limit
                    )
                ]
            if target_group and not stopped:
                targets.append({"Id": launched.ip, "Port": revision.port})
    if datums:
        put_metrics(world, datums)
    if targets:
        world.elbv2.register_targets(TargetGroupArn=target_group, Targets=targets)
    events += [(world.ago(when), message.format_map(fill)) for when, message in scenario.events]
    running = sum(count for (_, stopped), count in outcomes.items() if not stopped)
    write_history(
        service,
        deployments=_deployments(world, scenario, service, arns, outcomes),
        events=events,
        revision_arn=arns[-1],
        desired=scenario.desired,
        running=running,
    )
    if len(arns) > 1:
        ids.update({f"{name}_rev{n}": arn for n, arn in enumerate(arns, 1)})
    world.sandbox.expectations[name] = Expectation(
        service=name,
        category=scenario.category,
        facts=tuple(fact.format_map(fill) for fact in scenario.facts),
        conclusions=tuple(conclusion.format_map(fill) for conclusion in scenario.conclusions),
        absent=scenario.absent,
        story=scenario.story,
    )


def _register(world: World, service: str, revision: Revision) -> str:
    return register_revision(
        world,
        service,
        revision.tag,
        cpu=revision.cpu,
        memory=revision.memory,
        port=revision.port,
        command=list(revision.command) if revision.command is not None else None,
        environment=dict(revision.environment),
        secrets={key: arn.format_map(world.ids) for key, arn in revision.secrets.items()},
        definition=filled(dict(revision.definition), world.ids),
        extra_container=filled(dict(revision.container), world.ids),
    )


def filled(value: Any, ids: dict[str, str]) -> Any:
    """A revision's extra parameters with `{ids key}` templates filled, at any depth."""
    if isinstance(value, str):
        return value.format_map(ids)
    if isinstance(value, dict):
        return {key: filled(item, ids) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [filled(item, ids) for item in value]
    return value


def _launch(
    world: World, scenario: Scenario, batch: Tasks, i: int, revision_arn: str, fill: dict[str, str]
) -> Launch:
    """Task i of the batch: when it was created, started and stopped, and what it logged."""
    at = world.ago(batch.first) + batch.every * i + timedelta(seconds=batch.jitter[i % len(batch.jitter)])
    stop = batch.stop
    started = at if stop is None or stop.started else None
    created = at - timedelta(seconds=batch.lead) if started else at
    reason = stop.reason.format_map(fill) if stop else None
    tag = scenario.revisions[batch.revision - 1].tag
    return Launch(
        service=scenario.service,
        revision_arn=revision_arn,
        subnet=world.ids[scenario.subnets[i % len(scenario.subnets)]],
        security_group=world.ids[scenario.security_group],
        deployment_id=deployment_id(scenario.service, batch.revision),
        created=created,
        started=started,
        stopped=(started or created) + timedelta(seconds=stop.after) if stop else None,
        stop_code=stop.code if stop else None,
        stopped_reason=reason,
        exit_code=stop.exit_code if stop else None,
        container_reason=reason if stop and stop.reason_on_container else None,
        logs=batch.logs(i) if callable(batch.logs) else batch.logs,
        image_digest=world.digests.get(f"{scenario.service}:{tag}") if started else None,
        capacity_provider=batch.capacity_provider,
    )


def _task_events(batch: Tasks, spec: Launch, fill: dict[str, str]) -> list[tuple[datetime, str]]:
    events = []
    if batch.announced is not None:
        events.append((spec.created - timedelta(seconds=batch.announced), STARTED.format_map(fill)))
    if spec.started is not None:
        events += [
            (spec.started + timedelta(seconds=after), message.format_map(fill))
            for after, message in batch.events
        ]
    return events


def _memory_samples(
    climb: MemoryClimb, started: datetime, stopped: datetime | None, now: datetime
) -> list[tuple[datetime, float]]:
    """One sample a minute: a running task's so far; a killed task's until the kill, at the limit."""
    if stopped is None:
        minutes = range(1, int((now - started).total_seconds() // 60))
        return [(started + timedelta(minutes=m), climb.at(60 * m)) for m in minutes]
    last = math.ceil((stopped - started).total_seconds() / 60)
    kill = stopped - timedelta(seconds=5)
    return [
        (
            min(started + timedelta(seconds=60 * m), kill),
            climb.limit if m == last else min(climb.at(60 * m), climb.limit),
        )
        for m in range(1, last + 1)
    ]


def _deployments(
    world: World, scenario: Scenario, service: Any, arns: list[str], outcomes: Counter[tuple[int, bool]]
) -> list[dict[str, Any]]:
    """The newest revision's deployment is PRIMARY, older ones ACTIVE; counts come from the tasks."""
    deployments = []
    for n in range(len(arns), 0, -1):
        revision = scenario.revisions[n - 1]
        deployments.append(
            deployment(
                service,
                arns[n - 1],
                status="PRIMARY" if n == len(arns) else "ACTIVE",
                rollout=revision.rollout,
                created=world.ago(revision.deployed),
                updated=world.ago(revision.updated),
                desired=scenario.desired,
                running=outcomes[n, False],
                failed=outcomes[n, True],
            )
        )
    return deployments
