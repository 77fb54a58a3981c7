"""The revision before the failing one, when rounds 1–2 did not show it: no deployment, task or rollback
names a revision that ran steadily, and the revision just before the failing one is not known ACTIVE.

Round 3 lists the family's ACTIVE revisions (one call, newest first); round 4 describes the one the
correlation (diagnosis/checks/revisions.py) picks from them, for the diff. Most diagnoses need neither:
a deployment in progress or completed, or a task that ran without failing, names the steady revision, and
round 2 already read the revision before the service's current one.
"""

from __future__ import annotations

from collections.abc import Mapping

from diagnosis.checks import needs
from diagnosis.checks.deploy import correlation_of
from diagnosis.checks.evidence import LiveEvidence
from diagnosis.checks.revisions import Correlation, number
from diagnosis.collect.aws import Call, Outcome
from diagnosis.collect.plan import Plan, Source

FAMILY_PAGE = 100  # the newest ACTIVE revisions, one page


def _correlations(plan: Plan) -> list[Correlation]:
    wanting = plan.wanted.get(needs.PREVIOUS_REVISION.name, set())
    found = [correlation_of(plan.evidence, category) for category in sorted(wanting)]
    return [c for c in found if c is not None]


def _plan_family(plan: Plan) -> dict[str, Call]:
    families = sorted(
        {
            c.first_failing.rsplit("/", 1)[-1].rpartition(":")[0]
            for c in _correlations(plan)
            if not c.steady and number(c.first_failing) > 1  # revision 1 has no earlier one to find
        }
    )
    return {
        f"family:{family}": Call(
            "ecs",
            "list_task_definitions",
            {"familyPrefix": family, "status": "ACTIVE", "sort": "DESC", "maxResults": FAMILY_PAGE},
            "task definition family",
        )
        for family in families[:1]
    }


def _absorb_family(evidence: LiveEvidence, results: Mapping[str, Outcome]) -> None:
    for outcome in results.values():
        evidence.family_revisions = (
            [str(a) for a in (outcome.data or {}).get("taskDefinitionArns", [])] if outcome.ok else None
        )


FAMILY = Source(_plan_family, _absorb_family)


def _plan_previous(plan: Plan) -> dict[str, Call]:
    steady = sorted({c.steady for c in _correlations(plan) if c.steady} - set(plan.evidence.task_definitions))
    return {
        f"previous:{arn}": Call(
            "ecs",
            "describe_task_definition",
            {"taskDefinition": arn},
            "task definition",
            frozenset({"ClientException"}),
        )
        for arn in steady[:1]
    }


def _absorb_previous(evidence: LiveEvidence, results: Mapping[str, Outcome]) -> None:
    for key, outcome in results.items():
        definition = (outcome.data or {}).get("taskDefinition")
        if definition:
            evidence.task_definitions[key.removeprefix("previous:")] = definition


PREVIOUS = Source(_plan_previous, _absorb_previous, round=4, requires=(needs.FAMILY_REVISIONS,))
