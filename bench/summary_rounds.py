"""Cluster summary: the requests `/ecs-why summary CLUSTER` sends to Redis, for a few services and for many.

Target (issue 16): a cluster summary over 200 services takes as many round trips as one over 3 (the
rounds do not grow with the number of services); its AWS part is one call whatever the size (the
cluster's existence, bot/lookup.py). Each service holds `--stops` failures of the last hours in its
stored history, the records a summary counts per service and cause.

A request is one command or one pipeline, however many commands it holds: what costs a round trip.
Run: .venv/bin/python bench/summary_rounds.py [--services 3,200] [--stops 5] [--redis-url redis://…]
(without --redis-url: the in-process Redis the bot uses when REDIS_URL is not set)
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable
from typing import Any

import redis
import redis.client

from bot.store import Store
from bot.store.records import StopRecord
from bot.summary import Scope, build_summary

ACCOUNT, REGION = "123456789012", "eu-west-1"


def count_requests() -> list[str]:
    """Every request sent from now on: a command by its name, a pipeline by its size."""
    sent: list[str] = []
    command: Callable[..., Any] = redis.Redis.execute_command
    execute: Callable[..., Any] = redis.client.Pipeline.execute

    def one(self: redis.Redis, *args: Any, **options: Any) -> Any:
        sent.append(str(args[0]))
        return command(self, *args, **options)

    def pipelined(self: redis.client.Pipeline, raise_on_error: bool = True) -> Any:
        if self.command_stack:  # an empty pipeline sends nothing
            sent.append(f"pipeline of {len(self.command_stack)}")
        return execute(self, raise_on_error)

    redis.Redis.execute_command = one  # type: ignore[method-assign]
    redis.client.Pipeline.execute = pipelined  # type: ignore[method-assign]
    return sent


def seed(store: Store, cluster: str, services: int, stops: int) -> None:
    now = time.time()
    for i in range(services):
        for n in range(stops):
            arn = f"arn:aws:ecs:{REGION}:{ACCOUNT}:task/{cluster}/{i:016x}{n:016x}"
            record = StopRecord.model_validate(
                {"taskArn": arn, "stoppedAt": now - 600 * (n + 1), "category": "oom"}
            )
            store.record_stop(f"{ACCOUNT}:{REGION}:{cluster}:svc{i}", record, 7, 1000)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--services", default="3,200")
    parser.add_argument("--stops", type=int, default=5)
    parser.add_argument("--redis-url", default=None)
    args = parser.parse_args()
    store = Store.from_url(args.redis_url, prefix=f"bench-summary-{time.time_ns()}")
    sizes = [int(n) for n in args.services.split(",") if n.strip()]
    for size in sizes:
        seed(store, f"c{size}", size, args.stops)
    sent = count_requests()
    print("Cluster summary (target: the same round trips whatever the number of services)")
    asked: dict[int, int] = {}
    for size in sizes:
        walls = []
        for _ in range(5):
            sent.clear()
            started = time.perf_counter()
            summary = build_summary(store, [Scope(f"c{size}", region=REGION)], "24h")
            walls.append(time.perf_counter() - started)
        assert len(summary.services) == size and summary.failures == size * args.stops
        asked[size] = len(sent)
        print(
            f"  {size:>4} services, {summary.failures:>5} stops: {len(sent)} round trips "
            f"({', '.join(sent)}), {statistics.median(walls) * 1000:.1f} ms"
        )
    print("target met" if len(set(asked.values())) == 1 else "target NOT met")


if __name__ == "__main__":
    main()
