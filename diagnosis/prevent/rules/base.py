"""One prevention rule: its ID, what it guards against, and the pure function that reads a `Subject`.

A rule names the stop causes (taxonomy IDs) it prevents: its doc links are theirs unless it has its own,
and a diagnosis of that cause can name the rule that would have caught it before the deploy.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from diagnosis.checks import LiveCheck
from diagnosis.knowledge import info
from diagnosis.prevent.model import Severity, Subject, Violation

RuleFunction = Callable[[Subject], Iterable[Violation]]


def always(_subject: Subject) -> bool:
    return True


@dataclass(frozen=True)
class Use:
    """A live rule runs a diagnosis check (a record of `diagnosis.checks.ALL`) for a cause, when the task
    can meet that cause; the collector fetches exactly the needs of the uses that apply."""

    check: LiveCheck
    category: str
    when: Callable[[Subject], bool] = always


@dataclass(frozen=True)
class Rule:
    id: str
    title: str
    severity: Severity  # error: this will stop tasks; warning: this makes a stop likely or hard to diagnose
    why: str
    prevents: tuple[str, ...]
    run: RuleFunction
    docs: tuple[str, ...] = ()
    live: bool = False  # needs the account (ecs-why check SERVICE)
    uses: tuple[Use, ...] = ()  # live: the diagnosis checks it runs

    @property
    def links(self) -> tuple[str, ...]:
        return self.docs or tuple(d for c in self.prevents[:1] for d in info(c).docs[:2])
