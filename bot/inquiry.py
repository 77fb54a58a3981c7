"""What someone asked to look at, however they asked: a target (a service name, `cluster/service`, a service
or task ARN, a task ID), where to look (cluster, region, account alias) and since when.

`bot` reads only these five fields, so it never needs the `/ecs-why` grammar (handlers/grammar.py reads a
slash command or a button into a `Command`, which is an Inquiry); an alert's thread and the terminal make
an `Asked`. `command_line` spells an inquiry the way `ecs-why diagnose` and `/ecs-why` both read it.
"""

from __future__ import annotations

import shlex
from dataclasses import dataclass
from typing import Protocol


class Inquiry(Protocol):
    @property
    def target(self) -> str: ...

    @property
    def cluster(self) -> str | None: ...

    @property
    def region(self) -> str | None: ...

    @property
    def account(self) -> str | None: ...

    @property
    def since(self) -> str | None: ...


@dataclass(frozen=True, slots=True)
class Asked:
    """An Inquiry made outside the `/ecs-why` grammar (an alert's thread, the terminal, a test)."""

    target: str
    cluster: str | None = None
    region: str | None = None
    account: str | None = None
    since: str | None = None


def words_of(inquiry: Inquiry) -> list[str]:
    """The target and its flags, unquoted (a value starting with `-` is written `--since=-1h`)."""
    parts = [inquiry.target] if inquiry.target else []
    for flag, value in (
        ("--cluster", inquiry.cluster),
        ("--region", inquiry.region),
        ("--account", inquiry.account),
        ("--since", inquiry.since),
    ):
        if value:
            parts += [f"{flag}={value}"] if value.startswith("-") else [flag, value]
    return parts


def quote(word: str) -> str:
    """shlex quoting, and quotes around a value ending in punctuation (typed text loses a trailing `.`)."""
    quoted = shlex.quote(word)
    return f"'{word}'" if quoted == word and word[-1:] in ".,;!?" else quoted


def command_line(inquiry: Inquiry) -> str:
    """`diagnose TARGET --cluster C --region R --account A --since S`, quoted: what a thread remembers."""
    return " ".join(quote(w) for w in ["diagnose", *words_of(inquiry)])
