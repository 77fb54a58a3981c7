"""Which `ecs-why check` rule would have caught a diagnosed cause before the deploy.

A live rule runs the diagnosis check that confirmed the cause: its confirmation is what the check would
have failed on ("ECR repository api has no tag v2.4.0"). Otherwise the first rule whose main cause
(`prevents[0]`) it is, live rules first, is named without a fact.
"""

from __future__ import annotations

from diagnosis.models import Finding, Prevention
from diagnosis.prevent.rules import LIVE, OFFLINE


def prevention_for(finding: Finding) -> Prevention | None:
    if not finding.failure:
        return None
    confirmed = {c.name: c.detail for c in finding.checks if c.outcome == "confirms"}
    for rule in LIVE:
        for use in rule.uses:
            if use.category == finding.category and use.check.name in confirmed:
                return Prevention(rule=rule.id, live=True, fact=confirmed[use.check.name])
    for rule in (*LIVE, *OFFLINE):
        if rule.prevents and rule.prevents[0] == finding.category:
            return Prevention(rule=rule.id, live=rule.live)
    return None


def with_prevention(finding: Finding) -> Finding:
    prevention = prevention_for(finding)
    return finding.model_copy(update={"prevention": prevention}) if prevention else finding


def sentence(prevention: Prevention) -> str:
    """How a report says it: what a check in CI would have failed on, or the rule that checks for it."""
    command = "`ecs-why check SERVICE`" if prevention.live else "`ecs-why check` in CI"
    if prevention.fact:
        return f"{command} would have failed on: {prevention.fact} (rule {prevention.rule})"
    return f"{command} checks for this before a deploy (rule {prevention.rule})"
