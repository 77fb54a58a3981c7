"""Cluster summary: the requests `/ecs-why summary CLUSTER` sends to Redis, for a few services and for many.

Target (issue 16): a cluster summary over 200 services takes as many round trips as one over 3 (the
rounds do not grow with the number of services); its AWS part is one call whatever the size (the
cluster's existence, bot/lookup.py). Each service holds `--stops` failures of the last hours in its
stored history, the records a summary counts per service and cause.

A request is one command or one pipeline, however many commands it holds: what costs a round trip.
Against a real redis-server (started on a free loopback port, stopped at the end), each size in a database
of its own, so SCAN pages through that cluster's keys only; then the largest size again in a Redis that
also holds `--others` services of other clusters: SCAN walks the whole keyspace, 1,000 keys a call, so
that line shows what grows with everything the bot stores.
Run: .venv/bin/python bench/summary_rounds.py [--services 3,20,200] [--stops 5] [--others 2000]
     [--in-process] (the in-process Redis the bot uses when REDIS_URL is not set)
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import redis
import redis.client

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

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


def summarised(store: Store, sent: list[str], size: int, stops: int, label: str) -> int:
    """Round trips of the summary of cluster c{size}, median wall of 5; prints one line."""
    walls = []
    for _ in range(5):
        sent.clear()
        started = time.perf_counter()
        summary = build_summary(store, [Scope(f"c{size}", region=REGION)], "24h")
        walls.append(time.perf_counter() - started)
    assert len(summary.services) == size and summary.failures == size * stops
    trips = list(sent)
    keys = store.redis.dbsize()
    print(
        f"  {size:>4} services, {summary.failures:>5} stops, {keys:>6} keys in Redis{label}: {len(trips)} round "
        f"trips ({', '.join(trips)}), {statistics.median(walls) * 1000:.1f} ms"
    )
    return len(trips)


def run(stores: Callable[[int], Store], sizes: list[int], stops: int, others: int) -> None:
    sent = count_requests()
    print("Cluster summary (target: the same round trips whatever the number of services)")
    asked: dict[int, int] = {}
    for n, size in enumerate(sizes):
        store = stores(n)
        seed(store, f"c{size}", size, stops)
        asked[size] = summarised(store, sent, size, stops, "")
    print("target met" if len(set(asked.values())) == 1 else "target NOT met")
    if others:  # the largest cluster's database, now shared with another cluster
        seed(store, "other", others, 1)
        trips = summarised(store, sent, sizes[-1], stops, f" (+{others} services of another cluster)")
        print(
            f"beside {others} other services: {trips} round trips, {trips - asked[sizes[-1]]} more (each SCAN "
            "call walks 1,000 keys of the whole keyspace, whichever cluster they belong to)"
        )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--services", default="3,20,200")
    parser.add_argument("--stops", type=int, default=5)
    parser.add_argument("--others", type=int, default=2000, help="services of another cluster, then")
    parser.add_argument("--in-process", action="store_true", help="fakeredis, as without REDIS_URL")
    args = parser.parse_args()
    sizes = [int(n) for n in args.services.split(",") if n.strip()]
    if args.in_process:
        run(lambda n: Store.from_url(None, prefix=f"bench-summary-{n}"), sizes, args.stops, args.others)
        return
    from tests.conftest import start_redis_server

    with tempfile.TemporaryDirectory() as workdir:
        server = start_redis_server(Path(workdir))
        try:
            run(lambda n: _flushed(server.url, n), sizes, args.stops, args.others)
        finally:
            server.stop()


def _flushed(url: str, n: int) -> Store:
    """A store on database n + 1 of the bench's own redis-server (`url` ends in /0), emptied first."""
    client = redis.Redis.from_url(url.rsplit("/", 1)[0] + f"/{n + 1}", decode_responses=True)
    client.flushdb()
    return Store(client)


if __name__ == "__main__":
    main()
