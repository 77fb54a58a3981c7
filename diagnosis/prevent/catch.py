"""Which `ecs-why check` rule would have caught a diagnosed cause before the deploy.

A live rule runs the diagnosis check that confirmed the cause: its confirmation is what the check would
have failed on ("ECR repository api has no tag v2.4.0"). Otherwise the first rule whose main cause
(`prevents[0]`) it is, live rules first, is named without a fact.

The engine names the rule for every diagnosis, `explain` included, so it reads `index.py`, a table derived
from the rules, instead of loading them (and every live check and input reader they import).
`python -m diagnosis.prevent.catch` writes the table anew; a test fails when a rule change leaves it stale.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import replace
from typing import TYPE_CHECKING

from diagnosis.models import Finding, Prevention
from diagnosis.prevent.index import LIVE_PROOFS, MAIN_RULES

if TYPE_CHECKING:
    from diagnosis.prevent.rules.base import Rule

ProofTable = dict[str, tuple[tuple[str, str], ...]]  # category -> (check name, live rule ID), in rule order
MainTable = dict[str, tuple[str, bool]]  # category -> (rule ID, live) of the first rule it is the main cause of


def prevention_for(finding: Finding) -> Prevention | None:
    if not finding.failure:
        return None
    confirmed = {c.name: c.detail for c in finding.checks if c.outcome == "confirms"}
    for check, rule in LIVE_PROOFS.get(finding.category, ()):
        if check in confirmed:
            return Prevention(rule=rule, live=True, fact=confirmed[check])
    if finding.category in MAIN_RULES:
        rule, live = MAIN_RULES[finding.category]
        return Prevention(rule=rule, live=live)
    return None


def with_prevention(finding: Finding) -> Finding:
    prevention = prevention_for(finding)
    return replace(finding, prevention=prevention) if prevention else finding


def sentence(prevention: Prevention) -> str:
    """How a report says it: what a check in CI would have failed on, or the rule that checks for it."""
    command = "`ecs-why check SERVICE`" if prevention.live else "`ecs-why check` in CI"
    if prevention.fact:
        return f"{command} would have failed on: {prevention.fact} (rule {prevention.rule})"
    return f"{command} checks for this before a deploy (rule {prevention.rule})"


def tables(live: Sequence[Rule], offline: Sequence[Rule]) -> tuple[ProofTable, MainTable]:
    """The two tables `index.py` holds, from the rules themselves."""
    proofs: dict[str, list[tuple[str, str]]] = {}
    for rule in live:
        for use in rule.uses:
            proofs.setdefault(use.category, []).append((use.check.name, rule.id))
    main: MainTable = {}
    for rule in (*live, *offline):
        if rule.prevents:
            main.setdefault(rule.prevents[0], (rule.id, rule.live))
    return {c: tuple(p) for c, p in proofs.items()}, main


def index_source() -> str:
    """The text of `index.py` for today's rules."""
    from diagnosis.prevent.rules import LIVE, OFFLINE

    proofs, main = tables(LIVE, OFFLINE)
    lines = [
        '"""Derived from diagnosis/prevent/rules by `python -m diagnosis.prevent.catch`: do not edit (catch.py)."""',
        "",
        "LIVE_PROOFS: dict[str, tuple[tuple[str, str], ...]] = {",
    ]
    for category, pairs in proofs.items():
        lines += [f"    {_q(category)}: (", *(f"        ({_q(c)}, {_q(r)})," for c, r in pairs), "    ),"]
    lines += ["}", "MAIN_RULES: dict[str, tuple[str, bool]] = {"]
    lines += [f"    {_q(category)}: ({_q(rule)}, {live})," for category, (rule, live) in main.items()]
    return "\n".join([*lines, "}", ""])


def _q(text: str) -> str:
    return json.dumps(text)


if __name__ == "__main__":
    from pathlib import Path

    Path(__file__).with_name("index.py").write_text(index_source())
