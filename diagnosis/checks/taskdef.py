"""The task definition's numbers that decide a cause: memory and cpu (task and container) with the next valid
size, the command for exits 126/127/0, the healthCheck timing against the start time, stopTimeout, and the
container's ports against the load balancer's.

One check, `task_definition`, whose facts depend on the category it speaks for; it confirms only where the
definition alone proves the cause (a command that backgrounds the main process, a health check window
shorter than the observed start, a load-balanced port the container does not expose).
"""

from __future__ import annotations

import re
from typing import Any

from diagnosis.checks.command import argv_text, command_facts
from diagnosis.checks.evidence import (
    CheckResult,
    LiveEvidence,
    Outcome,
    essential_container,
)
from diagnosis.checks.heap import heap_facts
from diagnosis.checks.logs import start_seconds
from diagnosis.checks.resources import next_memory
from diagnosis.checks.running import DISK_FULL, disk_full, read_only_root, stop_timing_facts
from diagnosis.checks.task_role import task_role_facts
from diagnosis.models import EvidenceItem
from diagnosis.redact import redact

SOURCE = "ecs:DescribeTaskDefinition"
MEMORY_CAUSES = {"oom", "invalid_task_definition_or_parameter", "placement_insufficient_resources"}
COMMAND_CAUSES = {
    "command_not_found",
    "clean_exit",
    "container_start_failure",
    "app_error",
    "image_platform_mismatch",
}
HEAP_CAUSES = {"oom", "app_error"}
WRITE_CAUSES = {"app_error", "container_start_failure", "clean_exit"}
TASK_ROLE_CAUSES = {"app_error", "container_health_check"}
OPEN_FILES_CAUSES = {"app_error", "container_health_check", "elb_health_check"}
OUT_OF_FILES = re.compile(r"\bEMFILE\b|too many open files", re.I)
HEALTH_DEFAULTS = {"interval": 30, "timeout": 5, "retries": 3, "startPeriod": 0}
STOP_TIMEOUT_DEFAULT = 30


def definition_of(evidence: LiveEvidence, category: str = "") -> tuple[str, dict[str, Any]]:
    """(family:revision, definition) of the task that failed, else of the service's current revision."""
    task = evidence.task_for(category)
    arn = str((task or {}).get("taskDefinitionArn") or (evidence.service or {}).get("taskDefinition") or "")
    definition = evidence.task_definitions.get(arn)
    if definition is None:
        return "", {}
    return arn.rsplit("/", 1)[-1], definition


def container_of(evidence: LiveEvidence, category: str, definition: dict[str, Any]) -> dict[str, Any]:
    """The failed container's definition (the essential one when no task names it)."""
    task = evidence.task_for(category)
    if task is not None:
        found = essential_container(task, evidence.task_definitions)
        if found is not None:
            return found
    containers = definition.get("containerDefinitions", [])
    return next((c for c in containers if c.get("essential", True)), containers[0] if containers else {})


def check_task_definition(evidence: LiveEvidence, category: str) -> list[CheckResult]:
    revision, definition = definition_of(evidence, category)
    if not definition:
        return []
    container = container_of(evidence, category, definition)
    facts: list[str] = []
    problems: list[str] = []
    names: dict[str, str] = {"task_def": revision}
    if container.get("name"):
        names["container"] = str(container["name"])
    if category in MEMORY_CAUSES:
        facts += memory_facts(evidence, definition, names, next_size=category == "oom")
    if category in HEAP_CAUSES:
        log = [str(e.get("message", "")) for e in evidence.log_events_for(category)]
        memory = as_int(container.get("memory")) or as_int(definition.get("memory"))
        facts += heap_facts(container, memory, log)
    if category in COMMAND_CAUSES:
        log = [str(e.get("message", "")) for e in evidence.log_events_for(category)]
        code = exit_code(evidence, category, container)
        facts_, problems_ = command_facts(container, category, code, log, reasons(evidence, category))
        facts, problems = facts + facts_, problems + problems_
    if category == "container_health_check":
        facts_, problems_ = health_facts(container, start_seconds(evidence.log_events_for(category)), names)
        facts, problems = facts + facts_, problems + problems_
    if category == "sigkill_stop_timeout":
        facts.append(stop_timeout_fact(container, names))
        facts += stop_timing_facts(evidence.task_for(category))
    if category in TASK_ROLE_CAUSES:
        log = [str(e.get("message", "")) for e in evidence.log_events_for(category)]
        problems += task_role_facts(definition, log)
    if category in OPEN_FILES_CAUSES:
        facts += open_files_facts(
            container, [str(e.get("message", "")) for e in evidence.log_events_for(category)]
        )
    moved_to = None
    quoted: tuple[EvidenceItem, ...] = ()
    if category in WRITE_CAUSES:
        log = [str(e.get("message", "")) for e in evidence.log_events_for(category)]
        full = disk_full(
            container, log, ephemeral_gib(evidence, category, definition), _fargate(evidence, definition)
        )
        problems += full
        moved_to = "storage_exhausted" if full else None
        read = evidence.log_for(category)
        if full and read is not None:  # the moved finding keeps the line that moved it
            logged = [line for line in log if any(w in line.lower() for w in DISK_FULL)][-1:]
            quoted = tuple(
                EvidenceItem(
                    source=f"logs:GetLogEvents {read.group} {read.stream}", fact=redact(line), kind="log"
                )
                for line in logged
            )
    if category in WRITE_CAUSES and container.get("readonlyRootFilesystem") is True:
        log = [str(e.get("message", "")) for e in evidence.log_events_for(category)]
        fact_, problem_ = read_only_root(container, log)
        facts, problems = facts + fact_, problems + problem_
    if category == "elb_health_check":
        facts_, problems_ = port_facts(evidence, definition)
        facts, problems = facts + facts_, problems + problems_
    if category in ("image_platform_mismatch", "segfault"):
        facts.append(f"the task runs on {runtime_platform(definition)} (runtimePlatform)")
    if not facts and not problems:
        return []
    outcome: Outcome = "confirms" if problems else "inconclusive"
    lines = [redact(line) for line in (*problems, *facts)]
    detail = f"task definition {revision}: " + "; ".join(lines)
    return [
        CheckResult(
            category,
            "task_definition",
            outcome,
            detail,
            (*(EvidenceItem(source=f"{SOURCE} {revision}", fact=line) for line in lines), *quoted),
            names,
            recategorize=moved_to,
        )
    ]


def ephemeral_gib(evidence: LiveEvidence, category: str, definition: dict[str, Any]) -> int:
    """The ephemeral storage the failed task had (as described), else its definition's; 0: not said."""
    task = evidence.task_for(category) or {}
    said = task.get("ephemeralStorage") or definition.get("ephemeralStorage") or {}
    return as_int(said.get("sizeInGiB")) if isinstance(said, dict) else 0


def memory_facts(
    evidence: LiveEvidence, definition: dict[str, Any], names: dict[str, str], next_size: bool = True
) -> list[str]:
    """Task cpu/memory, each container's hard and soft limits, and (for a kill) the next valid size."""
    cpu, memory = as_int(definition.get("cpu")), as_int(definition.get("memory"))
    facts = []
    asks = ", ".join(
        p for p in (f"cpu {cpu} units" if cpu else "", f"memory {memory} MiB" if memory else "") if p
    )
    if asks:
        facts.append(f"the task asks {asks}")
        names["memory"] = str(memory or "")
        names["cpu"] = str(cpu or "")
    hard_total = 0
    for container in definition.get("containerDefinitions", []):
        hard, soft = as_int(container.get("memory")), as_int(container.get("memoryReservation"))
        hard_total += hard
        limits = [f"hard limit {hard} MiB" if hard else "", f"reservation {soft} MiB" if soft else ""]
        said = ", ".join(p for p in limits if p) or "no container-level memory limit"
        if as_int(container.get("cpu")):
            said += f", cpu {as_int(container.get('cpu'))} units"
        facts.append(f"container {container.get('name', '?')}: {said}")
        if soft and not hard and memory:
            facts.append(
                f"container {container.get('name', '?')} sets only a soft limit (memoryReservation {soft} MiB) "
                f"and no hard limit (memory): it can grow to the task's {memory} MiB and is killed there, "
                f"not at {soft} MiB"
            )
        if hard and memory and hard < memory:
            facts.append(
                f"container {container.get('name', '?')} is killed at its own {hard} MiB limit, before the "
                f"task's {memory} MiB"
            )
    if memory and hard_total > memory:
        facts.append(f"the containers' hard limits add up to {hard_total} MiB, above the task's {memory} MiB")
    fargate = _fargate(evidence, definition)
    size = next_memory(definition, fargate) if next_size else None
    if size:
        names["next_cpu"], names["next_memory"] = str(size[0]), str(size[1])
        valid = "next valid Fargate size" if fargate else "twice the memory"
        facts.append(f"{valid}: {size[1]} MiB" + (f" with {size[0]} CPU units" if fargate else ""))
    return facts


def open_files_facts(container: dict[str, Any], log: list[str]) -> list[str]:
    """When the log says the process ran out of file descriptors: the container's nofile ulimit, which caps
    its open files and sockets (raised in the task definition's `ulimits`)."""
    if not any(OUT_OF_FILES.search(line) for line in log):
        return []
    name = container.get("name", "?")
    limit = next((u for u in container.get("ulimits") or [] if u.get("name") == "nofile"), None)
    if limit is None:
        return [
            f"the log says the process ran out of file descriptors; container {name} sets no nofile ulimit "
            "(the platform's default applies): set one in the task definition's ulimits"
        ]
    return [
        f"the log says the process ran out of file descriptors; container {name}'s ulimits cap nofile at "
        f"{as_int(limit.get('softLimit'))} (soft) and {as_int(limit.get('hardLimit'))} (hard): raise the "
        "nofile ulimit in the task definition"
    ]


def health_facts(
    container: dict[str, Any], start: float | None, names: dict[str, str]
) -> tuple[list[str], list[str]]:
    """healthCheck command and timing; with the observed start time, whether it can pass in time."""
    check = container.get("healthCheck") or {}
    name = container.get("name", "?")
    if not check:
        return [f"container {name} defines no healthCheck"], []
    timing = {key: as_int(check.get(key)) or default for key, default in HEALTH_DEFAULTS.items()}
    if not check.get("startPeriod"):
        timing["startPeriod"] = 0
    command = [str(p) for p in check.get("command") or []]
    window = timing["startPeriod"] + timing["interval"] * timing["retries"]
    names["start_period"] = str(timing["startPeriod"])
    facts = [
        f"container {name} healthCheck: {argv_text(command)}, every {timing['interval']} s, timeout "
        f"{timing['timeout']} s, {timing['retries']} retries, startPeriod {timing['startPeriod']} s: "
        f"unhealthy about {window} s after the start if it never passes"
    ]
    problems = []
    if start is not None:
        facts.append(f"the application took {start:.0f} s to start (from its log)")
        if start > window:
            problems.append(
                f"the application needs {start:.0f} s to start, but the health check gives up after about "
                f"{window} s (startPeriod {timing['startPeriod']} s + {timing['retries']} × "
                f"{timing['interval']} s)"
            )
            names["start_period"] = str(min(300, int(2 * start)))
    return facts, problems


def stop_timeout_fact(container: dict[str, Any], names: dict[str, str]) -> str:
    timeout = as_int(container.get("stopTimeout"))
    names["stop_timeout"] = str(timeout or STOP_TIMEOUT_DEFAULT)
    said = f"{timeout} s" if timeout else f"not set ({STOP_TIMEOUT_DEFAULT} s, the default)"
    return f"container {container.get('name', '?')} stopTimeout: {said}; SIGKILL follows SIGTERM after it"


def port_facts(evidence: LiveEvidence, definition: dict[str, Any]) -> tuple[list[str], list[str]]:
    """The container's port mappings against the service's load balancer entry and the target group."""
    facts: list[str] = []
    problems: list[str] = []
    by_name = {c.get("name"): c for c in definition.get("containerDefinitions", [])}
    groups = {g.get("TargetGroupArn"): g for g in evidence.target_groups}
    for lb in (evidence.service or {}).get("loadBalancers", []):
        name, port = lb.get("containerName"), as_int(lb.get("containerPort"))
        container = by_name.get(name)
        if container is None or not port:
            continue
        mappings = container.get("portMappings") or []
        shown = ", ".join(
            f"{m.get('containerPort')}→{m.get('hostPort', m.get('containerPort'))}" for m in mappings
        )
        facts.append(f"container {name} maps ports (container→host) {shown or 'none'}")
        if port not in {as_int(m.get("containerPort")) for m in mappings}:
            problems.append(
                f"the service sends load balancer traffic to {name}:{port}, a port it does not map"
            )
        group = groups.get(lb.get("targetGroupArn"))
        if group:
            health = str(group.get("HealthCheckPort") or "traffic-port")
            facts.append(
                f"target group {group.get('TargetGroupName', '')} port {group.get('Port')}, health checks on "
                f"{health}"
            )
    return facts, problems


def runtime_platform(definition: dict[str, Any]) -> str:
    """`linux/amd64`-style platform of the task (X86_64 / LINUX when runtimePlatform is unset)."""
    platform = definition.get("runtimePlatform") or {}
    arch = str(platform.get("cpuArchitecture") or "X86_64").upper()
    family = str(platform.get("operatingSystemFamily") or "LINUX").upper()
    os_name = "windows" if family.startswith("WINDOWS") else "linux"
    return f"{os_name}/{'arm64' if arch == 'ARM64' else 'amd64'}"


def _fargate(evidence: LiveEvidence, definition: dict[str, Any]) -> bool:
    return any(t.get("launchType") == "FARGATE" for t in evidence.tasks) or "FARGATE" in (
        definition.get("requiresCompatibilities") or []
    )


def reasons(evidence: LiveEvidence, category: str) -> str:
    """The stopped reason and the containers' reasons of the task the cause explains, as one text."""
    task = evidence.task_for(category) or {}
    said = [task.get("stoppedReason"), *(c.get("reason") for c in task.get("containers") or [])]
    return " | ".join(str(r) for r in said if r)


def exit_code(evidence: LiveEvidence, category: str, container: dict[str, Any]) -> int | None:
    """The exit code of this container in the task the cause explains (None: it did not exit)."""
    task = evidence.task_for(category) or {}
    for ran in task.get("containers") or []:
        if ran.get("name") == container.get("name") and isinstance(ran.get("exitCode"), int):
            return int(ran["exitCode"])
    return None


def as_int(value: object) -> int:
    """A count from an API field that may be a string, None or junk (0)."""
    text = str(value or "").strip()
    return int(text) if text.isascii() and text.isdigit() and len(text) < 10 else 0
