"""The guardrail decision: which rule covers this user, this action kind and this service, and what it says.

Precedence, whatever the order of the rules: a matching `deny` wins over everything, then `approve` (a
second, different person must approve), then `allow`. Nothing matching: denied (rule `default`). So
adding a deny or approve rule can only make things stricter. Among rules of the winning mode the first
listed is the one named in the modal and the audit. Pure: the caller reads the service's tags.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from fnmatch import fnmatchcase
from typing import Any

from bot.authz import GroupCache
from bot.guardrails.reasons import Reason, Why
from bot.guardrails.rules import ANYONE, OPERATORS_RULE, Mode, Rule

DEFAULT_RULE = "default"
_STRICTNESS: dict[Mode, int] = {"deny": 0, "approve": 1, "allow": 2}


@dataclass(frozen=True)
class Request:
    """Who asks for which kind of change on which service. `tags` None: they could not be read."""

    user: str
    kind: str
    cluster: str
    service: str
    account: str | None = None  # the account ID
    account_alias: str | None = None  # the alias from ECS_WHY_ACCOUNTS (`--account`)
    tags: dict[str, str] | None = field(default_factory=dict)

    @property
    def resource(self) -> str:
        return f"{self.cluster}/{self.service}"


@dataclass(frozen=True)
class Decision:
    mode: Mode
    rule: str  # the deciding rule's name, or `default`
    reason: Reason  # why, as a code: the handlers word it for the refusal and the modal
    approvers: tuple[str, ...] = ()  # Slack user and group IDs who may approve (approve mode)

    def record(self) -> dict[str, Any]:
        """The fields every audit record of this decision carries."""
        return {
            "mode": self.mode,
            "rule": self.rule,
            **({"approvers": list(self.approvers)} if self.approvers else {}),
        }


class Policy:
    """The rules of `ECS_WHY_GUARDRAILS`, plus `ECS_WHY_OPERATORS` read as one allow-everything rule."""

    def __init__(self, rules: Sequence[Rule], groups: GroupCache, operators: Iterable[str] = ()) -> None:
        operators = list(operators)
        self.rules = list(rules)
        if operators:
            self.rules.append(
                Rule(
                    name=OPERATORS_RULE,
                    mode="allow",
                    users=[o for o in operators if o[:1] in ("U", "W")],
                    groups=[o for o in operators if o[:1] == "S"],
                )
            )
        self.groups = groups

    @property
    def needs_tags(self) -> bool:
        """Whether any rule looks at tags (only then are the service's tags read)."""
        return any(rule.tags for rule in self.rules)

    def decide(self, request: Request) -> Decision:
        matching = [r for r in self.rules if self._covers(r, request) and self._names(r, request.user)]
        if not matching:
            return Decision("deny", DEFAULT_RULE, _reason(Why.NO_RULE, DEFAULT_RULE, request))
        rule = min(matching, key=lambda r: _STRICTNESS[r.mode])  # min keeps the first of equals
        if rule.mode == "deny":
            return Decision("deny", rule.name, _reason(Why.DENIED, rule.name, request))
        if rule.mode == "approve":
            approvers = tuple(rule.approvers or [*rule.users, *rule.groups])
            return Decision("approve", rule.name, _reason(Why.NEEDS_APPROVAL, rule.name, request), approvers)
        return Decision("allow", rule.name, _reason(Why.ALLOWED, rule.name, request))

    def may_approve(self, user: str, decision: Decision) -> bool:
        return decision.mode == "approve" and self.includes(user, decision.approvers)

    def may_fix(self, user: str, cluster: str, service: str, account: str | None = None) -> bool:
        """Whether some allow or approve rule lets `user` ask for any fix on this service (who may mute its
        alerts). Tags are not read here: a rule about tags does not count."""
        request = Request(user, "", cluster, service, account, None, None)
        return any(
            rule.mode != "deny" and self._covers(rule, request, any_action=True) and self._names(rule, user)
            for rule in self.rules
        )

    def who_may(self, request: Request, any_action: bool = False) -> tuple[str, ...]:
        """The user and group IDs (`*`: anyone) some allow or approve rule lets run this change, for a
        refusal to name (handlers.render.text.who shows them as mentions); empty when no rule does."""
        ids: list[str] = []
        for rule in self.rules:
            if rule.mode != "deny" and self._covers(rule, request, any_action):
                ids += [i for i in (*rule.users, *rule.groups) if i not in ids]
        return tuple(ids)

    def _covers(self, rule: Rule, request: Request, any_action: bool = False) -> bool:
        """The rule is about this action kind (or, `any_action`, some kind) and this service (who asks is
        checked apart)."""
        accounts = [a for a in (request.account, request.account_alias) if a]
        return (
            (any_action or _any(rule.actions, [request.kind]))
            and (rule.accounts == [ANYONE] or _any(rule.accounts, accounts))
            and _any(rule.clusters, [request.cluster])
            and _any(rule.services, [request.service])
            and self._tags_match(rule, request.tags)
        )

    @staticmethod
    def _tags_match(rule: Rule, tags: dict[str, str] | None) -> bool:
        if not rule.tags:
            return True
        if tags is None:  # unknown: a deny or approve rule still applies (fail closed), an allow does not
            return rule.mode in ("deny", "approve")
        return all(key in tags and fnmatchcase(tags[key], value) for key, value in rule.tags.items())

    def _names(self, rule: Rule, user: str) -> bool:
        return self.includes(user, (*rule.users, *rule.groups))

    def includes(self, user: str, ids: Iterable[str]) -> bool:
        """Whether `user` is one of these user IDs, in one of these groups, or `*` is among them."""
        ids = list(ids)
        if ANYONE in ids or user in ids:
            return True
        return any(user in self.groups.members(i) for i in ids if i[:1] == "S")


def _reason(why: Why, rule: str, request: Request) -> Reason:
    return Reason(why, rule, request.kind, request.resource)


def _any(patterns: Sequence[str], values: Sequence[str]) -> bool:
    return any(fnmatchcase(value, pattern) for pattern in patterns for value in values)
