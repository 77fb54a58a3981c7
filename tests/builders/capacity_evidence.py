"""LiveEvidence of a Spot-interrupted task and its service's capacity provider strategy."""

from __future__ import annotations

from typing import Any

from diagnosis.checks.evidence import LiveEvidence


def evidence(strategy: list[dict[str, Any]], ran_on: str) -> LiveEvidence:
    task = {"lastStatus": "STOPPED", "stopCode": "SpotInterruption", "capacityProviderName": ran_on}
    return LiveEvidence(service={"capacityProviderStrategy": strategy}, tasks=[task])


MIXED = [
    {"capacityProvider": "FARGATE", "base": 2, "weight": 1},
    {"capacityProvider": "FARGATE_SPOT", "base": 0, "weight": 3},
]
