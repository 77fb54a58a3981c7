"""The command a container runs: its entryPoint and command, the program they start, a main process sent to
the background, and what exit 126 / 127 says about that program (with the log line that shows it)."""

from __future__ import annotations

import re
import shlex
from collections.abc import Sequence
from typing import Any

from diagnosis.redact import redact
from diagnosis.signals import Message

# A shell command that leaves the main process in the background, or a server told to daemonize.
BACKGROUND = re.compile(
    r"(?<![&>|])&(?![&>])|\bnohup\b|--daemon(?:ize)?\b|\bservice\s+\S+\s+start\b|\bsystemctl\s+start\b|"
    r"\bstart-stop-daemon\b",
    re.IGNORECASE,
)
SHELLS = {"sh", "bash", "ash", "dash", "zsh"}
_ASSIGNMENT = re.compile(r"^[A-Za-z_]\w*=")
_PREFIXES = {"exec", "env", "-i", "nohup", "command"}
# What the shell or the runtime says for each exit (sh, bash, busybox, runc).
_SAYS = {
    127: re.compile(r"not found|no such file or directory", re.IGNORECASE),
    126: re.compile(r"permission denied|is a directory|cannot execute", re.IGNORECASE),
}
_SHELL_SAYS = re.compile(r"^\s*(?:/usr)?(?:/bin/)?(?:sh|bash|ash|dash|zsh|env|exec)\b[^:]*:")
_MEANS = {
    127: "{program} was not found: a wrong path, a file missing from the image, or a script whose #! "
    "interpreter is missing (or has Windows line endings)",
    126: "{program} was found but cannot be executed: no execute permission (chmod +x in the Dockerfile), "
    "a directory, or a file for another platform",
}


# What the runtime says when it cannot start a container's process (CannotStartContainerError).
_RUNTIME_SAYS = (
    ("permission denied", "it is not executable (chmod +x in the Dockerfile)"),
    ("executable file not found", "it is not on the image's PATH (use an absolute path)"),
    ("no such file or directory", "it is not in the image at that path (or its #! interpreter is not)"),
)


def program(argv: list[str]) -> str:
    """The executable a container's argv starts; for `sh -c SCRIPT`, the script's first program (past
    `exec`, `env` and variable assignments)."""
    words = argv
    if len(argv) > 2 and argv[0].rsplit("/", 1)[-1] in SHELLS and argv[1] == "-c":
        try:
            words = shlex.split(argv[2])
        except ValueError:
            words = argv[2].split()
        words = [*words, *argv[3:]]
    for word in words:
        if word not in _PREFIXES and not _ASSIGNMENT.match(word):
            return word
    return argv[0] if argv else ""


def command_facts(
    container: dict[str, Any], category: str, exit_code: int | None, log: Sequence[str], reason: str = ""
) -> tuple[list[str], list[str]]:
    """(facts, problems): the entryPoint and command; a backgrounded main process (exit 0); for exit 126/127
    what the code says about the program, proven by the log line that names it; for a start failure, the
    runtime refusing the very program the container starts (`reason`: the task's and containers' reasons)."""
    entry = [str(p) for p in container.get("entryPoint") or []]
    command = [str(p) for p in container.get("command") or []]
    name = container.get("name", "?")
    if not entry and not command:
        return [f"container {name} sets no entryPoint or command: the image's own ENTRYPOINT/CMD runs"], []
    facts = []
    if entry:
        facts.append(f"container {name} entryPoint: {argv_text(entry)}")
    if command:
        facts.append(f"container {name} command: {argv_text(command)}")
    problems = []
    if category == "clean_exit" and BACKGROUND.search(" ".join([*entry, *command])):
        facts = []  # the problem quotes the command
        problems.append(
            f"container {name} runs `{argv_text([*entry, *command])}`, which puts the main process in the "
            "background: the foreground shell exits 0 and the task stops with it"
        )
    if category == "command_not_found":
        started = redact(program([*entry, *command]))
        facts.append(f"the program it starts: {started}")
        if exit_code in _MEANS:
            meaning = f"exit {exit_code}: " + _MEANS[exit_code].format(program=started)
            said = _log_line(log, started, _SAYS[exit_code])
            if said:
                problems.append(f"{meaning}; the log says: {redact(said)[:300]}")
            else:
                facts.insert(0, meaning)
    if category == "container_start_failure":
        problems += _refused(program([*entry, *command]), reason)
    return facts, problems


def _refused(started: str, reason: str) -> list[str]:
    """The runtime could not start this program: which, and what that means."""
    path = Message(reason).exec_path if reason else ""
    if not path or path.rsplit("/", 1)[-1] != started.rsplit("/", 1)[-1]:
        return []
    lower = reason.lower()
    means = next((m for said, m in _RUNTIME_SAYS if said in lower), "")
    return [
        f"the runtime could not start {redact(path)}, the program the container's entryPoint/command starts"
        + (f": {means}" if means else "")
    ]


def _log_line(log: Sequence[str], started: str, says: re.Pattern[str]) -> str:
    """The last log line that names the program (or its file name) with what the shell says for the exit;
    else the last such line from a shell or `env` (a missing #! interpreter: `/usr/bin/env: 'python3': …`)."""
    base = started.rsplit("/", 1)[-1]
    named = next((line for line in reversed(log) if base and base in line and says.search(line)), "")
    return named or next(
        (line for line in reversed(log) if _SHELL_SAYS.match(line) and says.search(line)), ""
    )


def argv_text(parts: list[str]) -> str:
    return redact(" ".join(parts))[:300]
