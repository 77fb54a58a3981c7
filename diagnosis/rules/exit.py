"""Exit failures: a container ran and its process ended; the exit code and stop code say how."""

from __future__ import annotations

import re

from diagnosis.lazy_regex import lazy
from diagnosis.models import ContainerFacts, TaskFacts
from diagnosis.rules.base import Match, found
from diagnosis.signals import Message

# Sidecars rarely hold the cause; when a sidecar and the app both stopped, read the app first.
SIDECAR_HINTS = (
    "datadog",
    "envoy",
    "xray",
    "x-ray",
    "fluent",
    "firelens",
    "log_router",
    "log-router",
    "otel",
    "collector",
    "newrelic",
    "appmesh",
    "cloudwatch-agent",
    "cwagent",
    "proxy",
    "sidecar",
    "splunk",
    "dd-agent",
    "init",
)

# A hint starts a part of the name (envoy-proxy, fluentbit, log_router), never letters inside a word
# ("infinity-web" holds "init"); a short hint is the whole part ("initech-api" is not an init container).
_SIDECAR_NAME = re.compile(
    r"(?:^|[^a-z0-9])(?:"
    + "|".join(re.escape(h) + ("" if len(h) >= 5 else r"(?![a-z0-9])") for h in SIDECAR_HINTS)
    + ")"
)

# 128 + N: the process died from signal N.
SIGNALS = {
    129: "SIGHUP",
    130: "SIGINT",
    131: "SIGQUIT",
    132: "SIGILL",
    133: "SIGTRAP",
    134: "SIGABRT",
    135: "SIGBUS",
    136: "SIGFPE",
    137: "SIGKILL",
    138: "SIGUSR1",
    139: "SIGSEGV",
    141: "SIGPIPE",
    143: "SIGTERM",
}


# A language runtime's own memory limit, in its own words: the process reports it and exits with an error
# (the JVM's -Xmx / MaxMetaspaceSize, Node's --max-old-space-size); the cgroup did not kill it. The JVM's
# OutOfMemoryError names the pool it ran out of (its documented detail messages), also when a log reader
# keeps only the class's short name.
_RUNTIME_HEAP = ("java.lang.outofmemoryerror", "javascript heap out of memory", "system.outofmemoryexception")
_JVM_POOLS = (
    "java heap space",
    "metaspace",
    "gc overhead limit exceeded",
    "unable to create new native thread",
    "unable to create native thread",
    "requested array size exceeds vm limit",
    "direct buffer memory",
    "compressed class space",
    "permgen space",
)
_KILLED_FOR_MEMORY = (
    "container killed",
    "killed due to memory",
    "oom-kill",
    "oomkill",
    "oom killed",
    "oom_kill",
)


def runtime_heap(msg: Message) -> Match | None:
    """The runtime's heap error is the application's failure (its logs and heap settings hold the fix); an
    OOM kill by ECS is only the alternative, unless the same message says the container was killed."""
    jvm_pool = msg.has("outofmemoryerror") and msg.has(*_JVM_POOLS)
    if (msg.has(*_RUNTIME_HEAP) or jvm_pool) and not msg.has(*_KILLED_FOR_MEMORY):
        return found(
            "app_error",
            0.8,
            "the application's runtime ran out of its own memory limit (heap or metaspace) and exited with an "
            "error: raise that limit or find the leak; ECS did not kill the container for memory",
            msg,
            ("oom",),
        )
    return None


# Docker's own `OOMKilled` field named, not stated true: a `docker inspect --format '{{.State.OOMKilled}}'`
# template, a `.State.OOMKilled` path, or the field stated false. None of them says the kernel killed anything.
_OOM_FIELD = lazy(
    r"(?i)\{\{[^{}]*\boomkilled\b[^{}]*\}\}|\.state\.oomkilled\b|\boomkilled\b[\"']?\s*[:=]\s*[\"']?false\b"
)


def oom(msg: Message) -> Match | None:
    if "oomkilled" in msg.lower and _OOM_FIELD.search(msg.text):
        msg = Message(_OOM_FIELD.sub(" ", msg.text))
    if (
        msg.has(
            "outofmemory",
            "out of memory",
            "oom-kill",
            "oomkill",
            "oom killed",
            "oom_kill",
            "killed due to memory",
            "memory usage",
        )
        or msg.lower.strip() == "oom"
        # The ECS agent's own log line: "process within container … died due to OOM"
        or (msg.word("oom") and msg.has("died", "killed", "due to"))
    ):
        return found("oom", 0.95, "ECS reported the container was killed for exceeding its memory (OOM)", msg)
    return None


def exec_failure(msg: Message) -> Match | None:
    """The runtime's own words for an entrypoint it could not execute (outside CannotStartContainerError)."""
    if msg.has("exec user process caused", "executable file not found", "exec: ") and msg.has(
        "no such file", "not found", "permission denied"
    ):
        clue = "the entrypoint/command could not be executed: " + (
            "permission denied (not executable)"
            if msg.has("permission denied")
            else "the file is missing, or a script's #! interpreter (or its CRLF line endings) is wrong"
        )
        return found("command_not_found", 0.8, clue, msg, ("container_start_failure",))
    return None


def failed_container(task: TaskFacts) -> ContainerFacts | None:
    """The container whose exit explains the stop: essential, not a sidecar, carrying a reason, non-zero.

    A sidecar's signal exit after the app exited 0 is the consequence, not the cause: ECS stops the rest
    of the task when an essential container exits."""
    exited = [c for c in task.containers if c.exit_code is not None or c.reason]
    if not exited:
        return None

    if len(exited) == 1:
        return exited[0]

    def weight(c: ContainerFacts) -> tuple[int, int, int, int, int]:
        sidecar = _SIDECAR_NAME.search(c.name.lower()) is not None
        return (
            0 if c.essential is False else 1,
            0 if c.exit_code == 143 and not c.reason else 1,  # SIGTERM: ECS stopped it after another exited
            0 if sidecar else 1,
            1 if c.reason else 0,
            1 if c.exit_code not in (None, 0) else 0,
        )

    return max(exited, key=weight)


def from_exit_code(task: TaskFacts) -> Match | None:
    """Reads the failed container's exit code when the stop reason itself is generic."""
    container = failed_container(task)
    if container is None or container.exit_code is None:
        return None
    code = container.exit_code
    names = {"container": container.name, "exit_code": str(code)}
    service = bool(task.service)
    if code == 0:
        clue = f"essential container {_called(container)} exited with code 0: its main process finished"
        if service:
            return found("clean_exit", 0.8, clue, None, names=names)
        return found(
            "clean_exit", 0.5, clue + " (normal if this is a one-off or batch task)", None, names=names
        )
    if code == 137:
        return found(
            "oom",
            0.55,
            f"{_called(container)} exited with 137 (SIGKILL) and ECS gave no OOM reason: either the kernel killed it "
            "at its memory limit, or it ignored SIGTERM and was killed after stopTimeout",
            None,
            ("sigkill_stop_timeout",),
            names=names,
        )
    if code in (126, 127):
        meaning = "not executable (126)" if code == 126 else "command not found (127)"
        return found(
            "command_not_found",
            0.85,
            f"{_called(container)} exited with {code}: {meaning}",
            None,
            names=names,
        )
    if code == 139:
        return found(
            "segfault",
            0.9,
            f"{_called(container)} exited with 139: segmentation fault (SIGSEGV)",
            None,
            names=names,
        )
    if code == 143:
        return found(
            "graceful_sigterm",
            0.6,
            f"{_called(container)} exited with 143 after a SIGTERM",
            None,
            ("app_error",),
            names=names,
        )
    if code == 125:
        return found(
            "agent_or_docker_daemon",
            0.6,
            "exit 125: the container runtime failed to run the container",
            None,
            ("container_start_failure",),
            names=names,
        )
    signal = SIGNALS.get(code)
    if signal in ("SIGBUS", "SIGILL"):
        return found(
            "segfault",
            0.6,
            f"{_called(container)} exited with {code}: crashed on {signal}",
            None,
            ("app_error",),
            names=names,
        )
    detail = f" (killed by {signal})" if signal else ""
    return found(
        "app_error",
        0.8,
        f"essential container {_called(container)} exited with code {code}{detail}",
        None,
        names=names,
    )


def _called(container: ContainerFacts) -> str:
    """`app`, or "the container" when the input did not name it (a pasted reason, an exit code alone)."""
    return f"`{container.name}`" if container.name else "the container"


def stop_timeout_kill(task: TaskFacts) -> Match | None:
    """A task ECS was stopping anyway whose container still had to be SIGKILLed: a side observation."""
    container = failed_container(task)
    if container is None or container.exit_code != 137:
        return None
    return Match(
        "sigkill_stop_timeout",
        0.45,
        f"{_called(container)} did not exit on SIGTERM and was killed (137) after the stop timeout",
        names={"container": container.name, "exit_code": "137"},
        secondary=True,
    )
