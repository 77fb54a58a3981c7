"""capacity: the capacity provider strategy explains Spot interruptions, with plain data."""

from __future__ import annotations

from diagnosis.checks.capacity import check_capacity, strategy_text
from diagnosis.checks.evidence import LiveEvidence
from tests.builders.capacity_evidence import MIXED, evidence


def test_strategy_text_gives_base_weights_and_spot_share() -> None:
    assert strategy_text(MIXED) == (
        "FARGATE base 2 weight 1, FARGATE_SPOT weight 3 (75% of the tasks above the base on Spot)"
    )


def test_interruption_on_a_mixed_strategy_is_the_design() -> None:
    [result] = check_capacity(evidence(MIXED, "FARGATE_SPOT"), "spot_interruption")
    assert result.outcome == "confirms"
    assert result.detail.startswith("Spot interruptions are part of this design")
    assert "the on-demand base keeps 2 task(s) running" in result.detail
    assert "the stopped task ran on FARGATE_SPOT" in result.detail


def test_spot_only_is_a_risk() -> None:
    spot_only = [{"capacityProvider": "FARGATE_SPOT", "weight": 1}]
    [result] = check_capacity(evidence(spot_only, "FARGATE_SPOT"), "spot_interruption")
    assert "every task runs on Spot" in result.detail
    [quota] = check_capacity(evidence(spot_only, ""), "fargate_capacity_or_quota")
    assert quota.outcome == "confirms"
    assert "only use Spot capacity" in quota.detail


def test_a_task_on_fargate_was_not_a_spot_interruption() -> None:
    [result] = check_capacity(evidence(MIXED, "FARGATE"), "spot_interruption")
    assert result.outcome == "refutes"


def test_no_strategy_and_no_provider_says_nothing() -> None:
    assert check_capacity(LiveEvidence(service={}, tasks=[]), "spot_interruption") == []
