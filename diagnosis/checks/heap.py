"""A language runtime's own heap cap against the memory the task gives it: the JVM's -Xmx (or its default,
a quarter of the container's memory) and Node's --max-old-space-size, read from the JAVA_*/NODE_OPTIONS
variables and the command. When the log says the runtime ran out of heap, the cap is what was reached,
not the task's memory: raising the task's memory alone changes nothing while the cap stays."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

OPTION_VARIABLES = ("JAVA_TOOL_OPTIONS", "JDK_JAVA_OPTIONS", "_JAVA_OPTIONS", "JAVA_OPTS", "CATALINA_OPTS")
NODE_VARIABLE = "NODE_OPTIONS"
XMX = re.compile(r"(?<![\w-])(?:-Xmx|-XX:MaxHeapSize=)(\d+)([kKmMgG]?)(?![\w])")
# Where the JVM reads its flags, first to last (a later one wins): JAVA_TOOL_OPTIONS, JDK_JAVA_OPTIONS, the
# command line (where start scripts put JAVA_OPTS and CATALINA_OPTS), then _JAVA_OPTIONS.
PRECEDENCE = ("JAVA_TOOL_OPTIONS", "JDK_JAVA_OPTIONS", "JAVA_OPTS", "CATALINA_OPTS", "entryPoint", "command")
RAM_PERCENTAGE = re.compile(r"-XX:MaxRAMPercentage=(\d+(?:\.\d+)?)")
OLD_SPACE = re.compile(r"--max[-_]old[-_]space[-_]size=(\d+)")
HEAP_ERROR = re.compile(
    r"java\.lang\.OutOfMemoryError|JavaScript heap out of memory|Reached heap limit|"
    r"System\.OutOfMemoryException",
    re.IGNORECASE,
)
JVM_HEAP_ERROR = re.compile(r"java\.lang\.OutOfMemoryError", re.IGNORECASE)
JVM_DEFAULT_PERCENT = 25.0  # the JVM's default MaxRAMPercentage: a quarter of the container's memory
UNIT_MIB = {"": 1 / (1024 * 1024), "k": 1 / 1024, "m": 1, "g": 1024}


def heap_facts(container: dict[str, Any], memory_mib: int, log: Sequence[str]) -> list[str]:
    """What caps the runtime's heap, in MiB, beside the memory it runs in; said when the log names a heap
    error or a cap is set. Only the flag is quoted, never the rest of a variable's value."""
    error = next((line for line in reversed(log) if HEAP_ERROR.search(line)), None)
    settings = _settings(container)
    cap = _cap(settings, memory_mib)
    if cap is None:
        if error is not None and JVM_HEAP_ERROR.search(error) and memory_mib:
            default = int(memory_mib * JVM_DEFAULT_PERCENT / 100)
            return [
                f"container {container.get('name', '')} sets no -Xmx or MaxRAMPercentage: the JVM's default "
                f"heap is a quarter of its {memory_mib} MiB (about {default} MiB)"
            ]
        return []
    mib, flag, where, scales = cap
    fact = f"container {container.get('name', '')} caps its heap at {mib} MiB ({flag} in {where})"
    if memory_mib:
        fact += f", of the {memory_mib} MiB it runs in"
    if error is not None and scales:
        fact += (
            ": the runtime ran out of that heap, a share of the container's memory: more task memory raises "
            "it, as does a higher percentage (or find the leak)"
        )
    elif error is not None:
        fact += (
            ": the runtime ran out of that heap, not of the container's memory, so raise the cap (or find "
            "the leak); more task memory alone does not change it"
        )
    return [fact]


def _settings(container: dict[str, Any]) -> list[tuple[str, str]]:
    """(where, text) of every place a heap flag can be set: the option variables and the command line."""
    environment = {str(e.get("name")): str(e.get("value", "")) for e in container.get("environment") or []}
    found = [(name, environment[name]) for name in (*OPTION_VARIABLES, NODE_VARIABLE) if name in environment]
    for key in ("entryPoint", "command"):
        argv = container.get(key) or []
        if argv:
            found.append((key, " ".join(str(a) for a in argv)))
    return found


def _cap(settings: list[tuple[str, str]], memory_mib: int) -> tuple[int, str, str, bool] | None:
    """(MiB, the flag, where it is set, whether it grows with the container's memory) of the cap the runtime
    obeys: a heap size over a percentage, and of several the one the JVM reads last (`PRECEDENCE`, the last
    flag of a line)."""
    ordered = sorted(
        settings, key=lambda s: PRECEDENCE.index(s[0]) if s[0] in PRECEDENCE else len(PRECEDENCE)
    )

    def last(pattern: re.Pattern[str]) -> tuple[re.Match[str], str] | None:
        found = None
        for where, text in ordered:
            for match in pattern.finditer(text):
                found = (match, where)
        return found

    if hit := last(XMX):
        match, where = hit
        return int(int(match[1]) * UNIT_MIB[match[2].lower()]), match[0], where, False
    if memory_mib and (hit := last(RAM_PERCENTAGE)):
        match, where = hit
        return int(memory_mib * float(match[1]) / 100), match[0], where, True
    if hit := last(OLD_SPACE):
        match, where = hit
        return int(match[1]), match[0], where, False
    return None
