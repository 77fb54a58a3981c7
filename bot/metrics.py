"""Prometheus metrics of the serving process (exposed on GET /metrics).

Counters and histograms carry no `_created` series: they would double what a scrape returns and
nothing alerts on them.
"""

from __future__ import annotations

from prometheus_client import (
    CollectorRegistry,
    Counter,
    Histogram,
    Info,
    PlatformCollector,
    ProcessCollector,
    disable_created_metrics,
)

from bot.build import VERSION

disable_created_metrics()  # type: ignore[no-untyped-call]

REGISTRY = CollectorRegistry()
ProcessCollector(registry=REGISTRY)  # resident memory, CPU, open files of the serving process
PlatformCollector(registry=REGISTRY)

BUILD = Info("ecs_why_build", "The running ecs-why build", registry=REGISTRY)
BUILD.info({"version": VERSION})

REQUESTS = Counter("ecs_why_slack_requests_total", "Slack requests received", ["kind"], registry=REGISTRY)
ACK_SECONDS = Histogram(
    "ecs_why_slack_ack_seconds",
    "Time to acknowledge a Slack request",
    registry=REGISTRY,
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 3),
)
DIAGNOSES = Counter(
    "ecs_why_diagnoses_total",
    "Diagnoses by top category and outcome (failure, no_failure, unreadable)",
    ["category", "outcome"],
    registry=REGISTRY,
)
DIAGNOSIS_SECONDS = Histogram(
    "ecs_why_diagnosis_seconds",
    "Wall time of a live diagnosis",
    registry=REGISTRY,
    buckets=(0.25, 0.5, 1, 2, 5, 10, 20, 60),
)
AWS_CALLS = Counter("ecs_why_aws_calls_total", "AWS API calls made by diagnoses", registry=REGISTRY)
AWS_ERRORS = Counter(
    "ecs_why_aws_errors_total",
    "AWS API calls that failed, by IAM action and AWS error code (AccessDenied names the missing permission)",
    ["action", "code"],
    registry=REGISTRY,
)
ACTIONS = Counter(
    "ecs_why_actions_total", "Remediation actions by kind and outcome", ["kind", "outcome"], registry=REGISTRY
)
ALERTS = Counter(
    "ecs_why_alerts_total",
    "Alert lifecycle transitions: opened, acknowledged, resolved (each counted once across replicas)",
    ["state"],
    registry=REGISTRY,
)
EVENTS = Counter("ecs_why_events_total", "ECS events processed by outcome", ["outcome"], registry=REGISTRY)
