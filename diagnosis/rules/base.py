"""What a rule is: a pure function from observed facts to a `Match` (a candidate cause).

Two kinds, as in k8sgpt's one-analyzer-per-kind registry, but pure (no AWS call in a rule):
- a message rule reads one message (a stopped reason, a container's reason, a service event);
- a task rule reads a whole task (stop code, every container's exit code, which one is essential).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from diagnosis.models import TaskFacts
from diagnosis.signals import Message


@dataclass(frozen=True, slots=True)
class Match:
    category: str
    confidence: float
    clue: str = ""  # what in the input decided it, in words a user reads ("the registry said `not found`")
    alternatives: tuple[str, ...] = ()
    names: Mapping[str, str] = field(default_factory=dict)
    secondary: bool = (
        False  # a side observation (e.g. SIGKILL after a deployment's SIGTERM), not the stop cause
    )


# `Match.names["reading"]`: what kind of message a category holds, when its knowledge words it apart
# (`Reading` in diagnosis/knowledge/base.py).
DEPLOYMENT_TROUBLE = "deployment_trouble"  # a failed deployment's own message: the tasks hold the why

MessageRule = Callable[[Message], Match | None]
TaskRule = Callable[[TaskFacts], Match | None]


def found(
    category: str,
    confidence: float,
    clue: str,
    msg: Message | None = None,
    alternatives: tuple[str, ...] = (),
    *,
    names: Mapping[str, str] | None = None,
) -> Match:
    """Build a match, carrying the names the message holds plus any given explicitly."""
    merged = msg.names() if msg is not None else {}
    merged.update({k: v for k, v in (names or {}).items() if v})
    return Match(category, confidence, clue, alternatives, merged)


def execution_role_names(msg: Message) -> dict[str, str]:
    """Before containers start, ECS pulls images and fetches secrets as the task execution role, so the
    role a refusal names there is that role."""
    role = msg.acting_role
    return {"execution_role_arn": role, "execution_role": role.rsplit("/", 1)[-1]} if role else {}
