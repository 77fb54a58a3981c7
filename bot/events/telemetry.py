"""Metrics of the event path, on the serving process's registry (GET /metrics of `serve` and `worker`).

`bot.metrics.EVENTS` counts events by outcome; these add what an operator needs to see a storm being
absorbed (Slack calls per kind) and a worker that is stuck (backoff, last loop)."""

from __future__ import annotations

from prometheus_client import Counter, Gauge

from bot.metrics import EVENTS, REGISTRY

__all__ = ["BACKOFF_SECONDS", "EVENTS", "LAST_LOOP", "MESSAGES", "SLACK_CALLS"]

SLACK_CALLS = Counter(
    "ecs_why_event_slack_calls_total",
    "Slack calls made for ECS events (post, update, details)",
    ["kind"],
    registry=REGISTRY,
)
MESSAGES = Counter(
    "ecs_why_queue_messages_total",
    "Queue messages by what happened to them (deleted, retried, dead_letter, released)",
    ["result"],
    registry=REGISTRY,
)
BACKOFF_SECONDS = Gauge(
    "ecs_why_worker_backoff_seconds", "Current backoff of the event loop (0 when healthy)", registry=REGISTRY
)
LAST_LOOP = Gauge(
    "ecs_why_worker_last_loop_timestamp_seconds", "When the event loop last went round", registry=REGISTRY
)
