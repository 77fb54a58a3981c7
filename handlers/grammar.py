"""The `/ecs-why` command language, shared by the slash command and the buttons (a click runs the same
command text a person could type, so there is one code path). A `Command` is a bot.inquiry.Inquiry: the
runtime services read its target, cluster, region, account and since, never its grammar.

    /ecs-why TARGET [--cluster C] [--region R] [--account A] [--since 24h]
    /ecs-why subscribe TARGET|CLUSTER/PATTERN [--cluster C] [--region R] [--account A] [--only cat1,cat2] [--all]
    /ecs-why unsubscribe TARGET|--all
    /ecs-why subscriptions
    /ecs-why history TARGET [--since 7d]
    /ecs-why check SERVICE [--cluster C] [--region R] [--account A]
    /ecs-why exec-check SERVICE [--cluster C] [--region R] [--account A]
    /ecs-why audit [SERVICE] [--since 7d]
    /ecs-why summary CLUSTER[/PATTERN] [--region R] [--since 24h]
    /ecs-why help
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Collection
from dataclasses import dataclass, field
from typing import Literal, get_args

from bot.audit import AUDIT_TARGET
from bot.inquiry import quote, words_of
from diagnosis.collect.target import TargetError, parse_target
from diagnosis.knowledge import CATALOG
from diagnosis.live import parse_since
from handlers.unslack import unslack

Verb = Literal[
    "diagnose", "subscribe", "unsubscribe", "subscriptions", "history", "check", "exec-check", "audit", "help",
    "summary",
]
VERBS: tuple[Verb, ...] = get_args(Verb)
TARGETED = ("diagnose", "subscribe", "unsubscribe", "history", "check", "exec-check")  # a target is checked
FLAGS_WITH_VALUE = {"--cluster", "--region", "--account", "--since", "--only"}
FLAGS_ALONE = {"--all"}
ALLOWED: dict[str, set[str]] = {
    "diagnose": {"--cluster", "--region", "--account", "--since"},
    "subscribe": {"--cluster", "--region", "--account", "--only", "--all"},
    "unsubscribe": {"--cluster", "--region", "--account", "--all"},
    "subscriptions": set(),
    "history": {"--cluster", "--region", "--account", "--since"},
    "check": {"--cluster", "--region", "--account"},
    "exec-check": {"--cluster", "--region", "--account"},
    "audit": {"--since"},
    "help": set(),
    "summary": {"--region", "--since"},
}

USAGE = """\
*Why did my ECS task stop?*
• `/ecs-why web-api` — diagnose a service (also `prod/web-api`, a service or task ARN, a task ID)
• `/ecs-why web-api --cluster prod --region eu-west-1 --account payments --since 6h`
• `/ecs-why subscribe web-api [--only oom,app_error] [--all]` — post this service's failures here
• `/ecs-why subscribe prod/*` (or `prod/web-*`) — every service of a cluster, or those matching
• `/ecs-why unsubscribe web-api` · `/ecs-why unsubscribe --all` · `/ecs-why subscriptions`
• `/ecs-why history web-api --since 7d` — what stopped and why, after ECS has forgotten
• `/ecs-why check web-api` — what would stop its next deployment, before it does
• `/ecs-why exec-check web-api` — is it ready for ECS Exec, and the `aws ecs execute-command` line
• `/ecs-why audit web-api --since 7d` — who changed what, who approved, the outcome (only you see it)
• `/ecs-why summary prod --since 24h` — per service and cause: what failed, recovered, still fails
• `/ecs-why CannotPullContainerError: …` — a pasted stopped reason or alert, explained here
• Or use the message shortcut *Why did this stop?* on an alert or a pasted ARN."""


class CommandError(ValueError):
    """A command a person typed wrong; the message says what to type instead."""


@dataclass(frozen=True)
class Command:
    verb: Verb
    target: str = ""
    cluster: str | None = None
    region: str | None = None
    account: str | None = None
    since: str | None = None
    only: tuple[str, ...] = field(default_factory=tuple)
    all: bool = False

    def text(self) -> str:
        """The command as a person would type it (what a button carries)."""
        quiet = self.verb == "diagnose" and self.target not in VERBS  # `diagnose history` keeps its verb
        parts = [*([] if quiet else [self.verb]), *words_of(self)]
        if self.only:
            parts += ["--only", ",".join(self.only)]
        if self.all:
            parts.append("--all")
        return " ".join(quote(p) for p in parts)


REGION = re.compile(r"^[a-z]{2}(-[a-z]+)+-\d$")
SCOPE = re.compile(r"^[A-Za-z][\w-]{0,254}(/[\w*?-]+)?$")  # a cluster, cluster/service or cluster/pattern
PATTERN = re.compile(r"^[A-Za-z][\w-]{0,254}/[\w*?-]*[*?][\w*?-]*$")


def is_pattern(target: str) -> bool:
    """`prod/*`, `prod/web-*`: every service of a cluster, or those whose names match (subscriptions)."""
    return bool(PATTERN.match(target))


_FLAG = re.compile(r"(?<!\S)--([A-Za-z]+)")


def read_command(text: str) -> Command:
    """What a person typed (a slash command, a mention): Slack's smart punctuation and link wrappers
    undone, verbs and flags in any case. Buttons carry `Command.text()` and use `parse_command`."""
    text = _FLAG.sub(lambda m: "--" + m.group(1).lower(), unslack(text))
    first, space, rest = text.partition(" ")
    if first.lower() in (*VERBS, "help"):
        text = first.lower() + space + rest
    return parse_command(text)


def check_command(command: Command, accounts: Collection[str]) -> None:
    """The whole command is usable before anything is acknowledged: the target's shape, `--since`, the
    region and the account alias. Raises CommandError saying what to type instead."""
    if command.verb in ("subscribe", "unsubscribe") and is_pattern(command.target):
        pass  # a cluster's services by name pattern
    elif command.verb == "summary":
        if not SCOPE.match(command.target):
            raise CommandError(
                f"`summary` takes a cluster name (`summary prod`) or a cluster and a service name or "
                f"pattern (`summary prod/web-*`), not {command.target!r}"
            )
    elif command.target and command.verb in TARGETED:
        try:
            parse_target(command.target, command.cluster, command.region)
        except TargetError as exc:
            raise CommandError(str(exc)) from None
    if command.verb == "audit" and command.target and not AUDIT_TARGET.match(command.target):
        raise CommandError(
            f"{command.target!r} is not a service name; e.g. `/ecs-why audit web-api` or `prod/web-api`"
        )
    if command.since:
        try:
            parse_since(command.since)
        except ValueError as exc:
            raise CommandError(str(exc)) from None
    if command.region and not REGION.match(command.region):
        raise CommandError(f"--region {command.region!r} is not an AWS region; e.g. --region eu-west-1")
    if command.account and command.account not in accounts:
        known = ", ".join(sorted(accounts)) or "none configured (ECS_WHY_ACCOUNTS)"
        raise CommandError(f"unknown account {command.account!r}; known accounts: {known}")


_SHLEX_SPACE = re.compile("[ \t\r\n]+")  # what shlex splits on


def split_words(text: str) -> list[str]:
    """`shlex.split`, which walks the text a character at a time only when it has quotes or escapes."""
    if "'" in text or '"' in text or "\\" in text:
        return shlex.split(text)
    return [word for word in _SHLEX_SPACE.split(text) if word]


def parse_command(text: str) -> Command:
    try:
        words = split_words(text.strip())
    except ValueError as exc:
        raise CommandError(f"cannot read the command ({exc}); quote values with spaces") from None
    if not words or words[0] in ("help", "-h", "--help"):
        return Command("help")
    verb: Verb = "diagnose"
    if words[0] in VERBS:
        verb = words[0]
        words = words[1:]
    values: dict[str, str] = {}
    flags: set[str] = set()
    positional: list[str] = []
    index = 0
    while index < len(words):
        word = words[index]
        name, eq, inline = word.partition("=")
        if word.startswith("--"):
            if name not in ALLOWED[verb]:
                valid = ", ".join(sorted(ALLOWED[verb])) or "none"
                raise CommandError(f"unknown option {name} for `{verb}`; valid options: {valid}")
            given = ""  # what this occurrence gives: a repeated flag left bare is refused too
            if name in FLAGS_ALONE:
                flags.add(name)
            elif eq:
                given = values[name] = inline
            elif index + 1 < len(words) and not words[index + 1].startswith("--"):
                index += 1
                given = values[name] = words[index]
            if name in FLAGS_WITH_VALUE and not given.strip():  # none, `--cluster ""`
                raise CommandError(f"{name} needs a value, e.g. {name} {_example(name)}")
        else:
            positional.append(word)
        index += 1
    if len(positional) > 1:
        got = shown(" ".join(positional))
        raise CommandError(f"one target at a time, got {got}; e.g. `/ecs-why web-api`")
    target = positional[0] if positional else ""
    needs_target = verb in ("diagnose", "subscribe", "history", "check", "exec-check", "summary") or (
        verb == "unsubscribe" and "--all" not in flags
    )
    if needs_target and not target:
        if verb == "summary":
            raise CommandError("`summary` needs a cluster: `summary prod --since 24h` or `summary prod/web-*`")
        raise CommandError(f"`{verb}` needs a target: a service name, cluster/service, or an ARN")
    only = tuple(c.strip() for c in values.get("--only", "").split(",") if c.strip())
    unknown = [c for c in only if c not in CATALOG]
    if unknown:
        raise CommandError(f"unknown categories {', '.join(unknown)}; valid: {', '.join(sorted(CATALOG))}")
    return Command(
        verb,
        target,
        values.get("--cluster"),
        values.get("--region"),
        values.get("--account"),
        values.get("--since"),
        only,
        "--all" in flags,
    )


def shown(typed: str, limit: int = 60) -> str:
    """What a person typed, echoed back in an error: a short prefix (a pasted log is not repeated whole)."""
    return typed if len(typed) <= limit else typed[:limit].rstrip() + "…"


def _example(flag: str) -> str:
    return {
        "--cluster": "prod",
        "--region": "eu-west-1",
        "--account": "payments",
        "--since": "24h",
        "--only": "oom,app_error",
    }.get(flag, "VALUE")
