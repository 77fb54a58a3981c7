"""A diagnosed cause names the check rule that would have caught it: the confirming live check's fact first."""

from __future__ import annotations

from pathlib import Path

from diagnosis.models import Check, Finding
from diagnosis.prevent import catch
from diagnosis.prevent.catch import prevention_for, sentence
from diagnosis.prevent.rules import LIVE, OFFLINE


def finding(category: str, failure: bool = True, checks: list[Check] | None = None) -> Finding:
    return Finding(
        category=category,
        family="start",
        failure=failure,
        confidence=0.9,
        title="t",
        summary="s",
        checks=checks or [],
    )


def test_a_confirmed_live_check_gives_the_fact_ci_would_have_failed_on() -> None:
    tag = Check(
        name="ecr_image", description="d", outcome="confirms", detail="ECR repository api has no tag v2.4.0"
    )
    prevention = prevention_for(finding("image_not_found", checks=[tag]))
    assert prevention is not None
    assert (prevention.rule, prevention.live, prevention.fact) == ("image_exists", True, tag.detail)
    assert sentence(prevention).startswith("`ecs-why check SERVICE` would have failed on: ECR repository api")


def test_without_a_confirmation_the_rule_is_named_without_a_fact() -> None:
    refuted = Check(name="ecr_image", description="d", outcome="refutes", detail="the tag exists")
    prevention = prevention_for(finding("image_not_found", checks=[refuted]))
    assert prevention is not None and prevention.rule == "image_exists" and prevention.fact is None
    offline = prevention_for(finding("app_error"))
    assert offline is not None and (offline.rule, offline.live) == ("circuit_breaker", False)
    assert "`ecs-why check` in CI checks for this" in sentence(offline)


def test_normal_stops_and_causes_no_rule_prevents_name_none() -> None:
    assert prevention_for(finding("scaling_or_deployment", failure=False)) is None
    assert prevention_for(finding("agent_or_docker_daemon")) is None


def test_the_table_the_engine_reads_is_derived_from_todays_rules() -> None:
    written = (Path(catch.__file__).parent / "index.py").read_text(encoding="utf-8")
    assert written == catch.index_source(), "a rule changed: run `python -m diagnosis.prevent.catch`"


def test_every_rule_of_a_cause_is_reachable_through_the_table() -> None:
    """The table names, for each cause a rule prevents first, the same rule the rules themselves give."""
    for rule in (*LIVE, *OFFLINE):
        if not rule.prevents:
            continue
        named = prevention_for(finding(rule.prevents[0]))
        assert named is not None, rule.id
        first = next(r for r in (*LIVE, *OFFLINE) if r.prevents and r.prevents[0] == rule.prevents[0])
        assert (named.rule, named.live) == (first.id, first.live)
