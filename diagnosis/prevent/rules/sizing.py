"""Task size: Fargate's valid cpu/memory pairs, container memory within the task's, a hard limit where the
instance would otherwise be the limit."""

from __future__ import annotations

from collections.abc import Iterator

from diagnosis.checks.resources import FARGATE_SIZES, next_fargate_size
from diagnosis.knowledge.base import DEV_GUIDE
from diagnosis.prevent.model import Fix, Subject, Violation
from diagnosis.prevent.rules.base import Rule
from diagnosis.prevent.rules.fixes import container_fix, task_fix
from diagnosis.prevent.values import as_int, cpu_units, memory_mib

TASK_SIZE_DOC = DEV_GUIDE + "fargate-tasks-services.html#fargate-tasks-size"


def fargate_size(subject: Subject) -> Iterator[Violation]:
    if not subject.fargate:
        return
    definition = subject.task_definition
    missing = [key for key in ("cpu", "memory") if definition.get(key) in (None, "")]
    if missing:
        yield Violation(
            f"a Fargate task definition needs task-level cpu and memory; {subject.name} has no "
            f"{' and no '.join(missing)}",
            task_fix(subject, *((key, "256" if key == "cpu" else "512") for key in missing)),
        )
        return
    cpu, memory = cpu_units(definition.get("cpu")), memory_mib(definition.get("memory"))
    if cpu is None or memory is None:
        return  # not known until deployed (a parameter, a reference)
    if cpu in FARGATE_SIZES and memory in FARGATE_SIZES[cpu]:
        return
    size = valid_size(cpu, memory)
    allowed = FARGATE_SIZES.get(cpu)
    options = (
        f"{cpu} CPU units take {_range(allowed)} MiB"
        if allowed
        else f"Fargate's CPU sizes are {', '.join(str(c) for c in FARGATE_SIZES)} units"
    )
    yield Violation(
        f"Fargate has no size of {cpu} CPU units with {memory} MiB: {options}",
        task_fix(subject, ("cpu", str(size[0])), ("memory", str(size[1]))) if size else Fix(),
    )


def valid_size(cpu: int, memory: int) -> tuple[int, int] | None:
    """The smallest valid Fargate size with at least this CPU and this memory."""
    return next_fargate_size(max(cpu, min(FARGATE_SIZES)), memory - 1)


def memory_sum(subject: Subject) -> Iterator[Violation]:
    task_memory = memory_mib(subject.task_definition.get("memory"))
    if task_memory is None:
        return
    reserved = 0
    for container in subject.containers:
        hard = as_int(container.get("memory"))
        soft = as_int(container.get("memoryReservation"))
        if hard is None and container.get("memory") is not None:
            return  # unknown until deployed
        reserved += soft or hard or 0
        if hard is not None and hard > task_memory:
            yield Violation(
                f"container {container.get('name')} has a {hard} MiB hard limit, above the task's "
                f"{task_memory} MiB",
                container_fix(subject, str(container.get("name")), "memory", task_memory),
                container=str(container.get("name", "")),
            )
    if reserved > task_memory:
        size = valid_size(cpu_units(subject.task_definition.get("cpu")) or 256, reserved)
        fix = (
            task_fix(subject, ("cpu", str(size[0])), ("memory", str(size[1])))
            if subject.fargate and size
            else task_fix(subject, ("memory", str(reserved)))
        )
        yield Violation(
            f"the containers reserve {reserved} MiB together, more than the task's {task_memory} MiB", fix
        )


def memory_limit(subject: Subject) -> Iterator[Violation]:
    if subject.fargate or memory_mib(subject.task_definition.get("memory")) is not None:
        return  # the task's memory is the hard limit
    for container in subject.containers:
        name = str(container.get("name", ""))
        hard, soft = container.get("memory"), container.get("memoryReservation")
        if hard is None and soft is None:
            yield Violation(
                f"container {name} has neither memory nor memoryReservation and the task no memory: ECS "
                "refuses to register it (512 MiB shown in the fix; size it to the app's peak)",
                container_fix(subject, name, "memory", 512),
                container=name,
                severity="error",
            )
        elif hard is None and as_int(soft) is not None:
            limit = 2 * (as_int(soft) or 0)
            yield Violation(
                f"container {name} reserves {soft} MiB but has no hard limit (memory) and the task none: "
                "it can take the whole instance's memory, and the kernel then kills whatever it picks",
                container_fix(subject, name, "memory", limit),
                container=name,
            )
        elif (
            as_int(hard) is not None
            and as_int(soft) is not None
            and (as_int(soft) or 0) > (as_int(hard) or 0)
        ):
            yield Violation(
                f"container {name} reserves {soft} MiB, more than its {hard} MiB hard limit",
                container_fix(subject, name, "memoryReservation", as_int(hard)),
                container=name,
                severity="error",
            )


def _range(values: list[int] | None) -> str:
    if not values:
        return ""
    if len(values) <= 3:
        return ", ".join(str(v) for v in values)
    return f"{values[0]} to {values[-1]} in steps of {values[1] - values[0]}"


RULES = (
    Rule(
        "fargate_task_size",
        "Fargate task size is not a valid cpu/memory pair",
        "error",
        "Fargate runs only its documented cpu/memory pairs; any other pair is refused when the task "
        "definition is registered or the task is run, so the deployment never starts a task.",
        ("invalid_task_definition_or_parameter",),
        fargate_size,
        (TASK_SIZE_DOC,),
    ),
    Rule(
        "container_memory_sum",
        "Containers reserve more memory than the task has",
        "error",
        "The containers' memory reservations (memoryReservation, else memory) must fit in the task's "
        "memory, and no container's hard limit may exceed it: ECS refuses the task definition or the task.",
        ("invalid_task_definition_or_parameter", "oom"),
        memory_sum,
    ),
    Rule(
        "container_memory_limit",
        "No memory hard limit where the instance would be the limit",
        "warning",
        "On EC2 without task-level memory each container needs memory or memoryReservation, and without a "
        "hard limit (memory) one container can use the whole instance, so the kernel's OOM killer stops "
        "whichever task it picks.",
        ("oom",),
        memory_limit,
    ),
)
