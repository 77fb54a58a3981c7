"""One guardrail rule as it is written in `ECS_WHY_GUARDRAILS`, validated when the settings are read.

Pure data (pydantic only): the settings import it, so it loads no AWS, Slack or Redis code.
"""

from __future__ import annotations

import re
from collections import Counter
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

Mode = Literal["allow", "approve", "deny"]
ANYONE = "*"
_USER = re.compile(r"^[UW][A-Z0-9]+$")
_GROUP = re.compile(r"^S[A-Z0-9]+$")
OPERATORS_RULE = "ECS_WHY_OPERATORS"  # the name of the rule the deprecated operators list becomes


class Rule(BaseModel):
    """Resources × action kinds × who → mode. Patterns are shell-style globs (`prod-*`, `web-?`), matched
    case-sensitively; an empty `tags` matches any service; `users: ["*"]` is everyone in the workspace."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(min_length=1, max_length=80, pattern=r"^[\w.:-]+$")
    mode: Mode
    actions: list[str] = Field(default_factory=lambda: [ANYONE], min_length=1)
    accounts: list[str] = Field(default_factory=lambda: [ANYONE], min_length=1)
    clusters: list[str] = Field(default_factory=lambda: [ANYONE], min_length=1)
    services: list[str] = Field(default_factory=lambda: [ANYONE], min_length=1)
    tags: dict[str, str] = Field(default_factory=dict)
    users: list[str] = Field(default_factory=list)
    groups: list[str] = Field(default_factory=list)
    approvers: list[str] = Field(default_factory=list)

    @field_validator("users")
    @classmethod
    def _users(cls, value: list[str]) -> list[str]:
        bad = [v for v in value if v != ANYONE and not _USER.match(v)]
        if bad:
            raise ValueError(f'not Slack user IDs (U…/W…) or "*": {", ".join(bad)}')
        return value

    @field_validator("groups")
    @classmethod
    def _groups(cls, value: list[str]) -> list[str]:
        bad = [v for v in value if not _GROUP.match(v)]
        if bad:
            raise ValueError(f"not Slack user group IDs (S…): {', '.join(bad)}")
        return value

    @field_validator("approvers")
    @classmethod
    def _approvers(cls, value: list[str]) -> list[str]:
        bad = [v for v in value if not (_USER.match(v) or _GROUP.match(v))]
        if bad:
            raise ValueError(f"not Slack user (U…/W…) or user group (S…) IDs: {', '.join(bad)}")
        return value

    @field_validator("actions")
    @classmethod
    def _actions(cls, value: list[str]) -> list[str]:
        from bot.remediation.kinds import PLANNERS  # the kinds a button can apply, in one place

        bad = [v for v in value if v != ANYONE and v not in PLANNERS]
        if bad:
            raise ValueError(f'unknown action kinds {", ".join(bad)}; valid: "*", {", ".join(PLANNERS)}')
        return value

    @model_validator(mode="after")
    def _coherent(self) -> Rule:
        if not self.users and not self.groups:
            raise ValueError(f'rule {self.name!r} names nobody: set "users" (IDs, or ["*"]) or "groups"')
        if self.approvers and self.mode != "approve":
            raise ValueError(f'rule {self.name!r}: "approvers" only mean something with "mode": "approve"')
        return self


def unique_names(rules: list[Rule]) -> list[Rule]:
    """The audit names the rule that decided: two rules of one name would make it ambiguous."""
    counts = Counter(r.name for r in rules)
    twice = sorted(name for name, n in counts.items() if n > 1)
    if twice:
        raise ValueError(f"rule names must be unique; used more than once: {', '.join(twice)}")
    if OPERATORS_RULE in counts:
        raise ValueError(f"the rule name {OPERATORS_RULE} is reserved for the operators list")
    return rules
