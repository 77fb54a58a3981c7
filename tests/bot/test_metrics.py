"""What /metrics tells an operator: the build, AWS errors by action and code, diagnoses by outcome."""

from __future__ import annotations

from prometheus_client import generate_latest

from bot import metrics
from bot.build import VERSION
from bot.diagnoser import observe, outcome
from diagnosis.models import Diagnosis, Gap, Stats, Target


def scrape() -> str:
    return generate_latest(metrics.REGISTRY).decode()


def value(name: str, **labels: str) -> float:
    return metrics.REGISTRY.get_sample_value(name, labels) or 0.0


def test_build_info_names_the_version() -> None:
    assert value("ecs_why_build_info", version=VERSION) == 1.0
    assert f'ecs_why_build_info{{version="{VERSION}"}} 1.0' in scrape()


def test_no_created_series_doubles_the_counters() -> None:
    metrics.REQUESTS.labels("command").inc()
    text = scrape()
    assert "ecs_why_slack_requests_total" in text
    assert "_created" not in text


def unreadable() -> Diagnosis:
    denied = Gap(
        what="the service",
        reason="AccessDenied: the role lacks ecs:DescribeServices",
        iam_action="ecs:DescribeServices",
        call="ecs:DescribeServices",
        error_code="AccessDeniedException",
    )
    throttled = Gap(
        what="logs", reason="throttled", call="logs:GetLogEvents", error_code="ThrottlingException"
    )
    return Diagnosis(
        target=Target(cluster="prod", service="web"),
        summary="prod/web: nothing could be read, so nothing was diagnosed (the service: AccessDenied).",
        gaps=[denied, throttled],
        stats=Stats(api_calls=2, rounds=1),
    )


def test_a_diagnosis_that_read_nothing_counts_as_unreadable_with_its_aws_errors() -> None:
    diagnosis = unreadable()
    assert outcome(diagnosis) == "unreadable"
    before = value("ecs_why_diagnoses_total", category="none", outcome="unreadable")
    denied = value("ecs_why_aws_errors_total", action="ecs:DescribeServices", code="AccessDeniedException")
    observe(diagnosis, 12.0)
    assert value("ecs_why_diagnoses_total", category="none", outcome="unreadable") == before + 1
    assert (
        value("ecs_why_aws_errors_total", action="ecs:DescribeServices", code="AccessDeniedException")
        == denied + 1
    )
    assert value("ecs_why_aws_errors_total", action="logs:GetLogEvents", code="ThrottlingException") >= 1


def test_a_healthy_service_is_no_failure() -> None:
    healthy = Diagnosis(
        target=Target(cluster="prod", service="web"),
        summary="prod/web: no failure found.",
        stats=Stats(services_seen=1, api_calls=3, rounds=2),
    )
    assert outcome(healthy) == "no_failure"
