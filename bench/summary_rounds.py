"""Cluster summary: the requests `/ecs-why summary CLUSTER` sends to Redis, for a few services and for many,
alone in Redis and beside thousands of other clusters' services.

Target (issue 16): a cluster summary over 200 services takes as many round trips as one over 3 (the
rounds do not grow with the number of services), and as many beside 2,000 or 20,000 services of other
clusters (nor with what else Redis holds); its AWS part is one call whatever the size (the cluster's
existence, bot/lookup.py). Each service holds `--stops` failures of the last hours in its stored history,
the records a summary counts per service and cause, written through the events script.

A request is one command or one pipeline, however many commands it holds: what costs a round trip.
Against a real redis-server (started on a free loopback port, stopped at the end), each size in a database
of its own; then `--others` services of 20 other clusters are added to each database and every size is
summarised again. The summary reads the cluster's index (bot/store/cluster_index.py), never a SCAN of the
keyspace; the last line shows what the one walk costs after an upgrade from a version without the indexes.
Run: .venv/bin/python bench/summary_rounds.py [--services 3,20,200] [--stops 5] [--others 2000,20000]
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
from bot.store.groups import StopCount
from bot.store.records import StopRecord
from bot.summary import Scope, build_summary
from tests.builders.alert_notice import notice

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


def seed(store: Store, cluster: str, services: int, stops: int, first: int = 0) -> None:
    """`stops` OOMs of the last hours for each of services `first`… of `cluster`, through the events script
    (500 stops a call, as a queue batch is written)."""
    now = time.time()
    batch = []
    for i in range(first, first + services):
        for n in range(stops):
            arn = f"arn:aws:ecs:{REGION}:{ACCOUNT}:task/{cluster}/{i:016x}{n:016x}"
            record = StopRecord.model_validate(
                {"taskArn": arn, "stoppedAt": now - 600 * (n + 1), "category": "oom"}
            )
            history = (f"{ACCOUNT}:{REGION}:{cluster}:svc{i}", record, 7, 1000)
            batch.append(StopCount(arn, notice(cluster=cluster), [], 60, 60, history))
    for start in range(0, len(batch), 500):
        store.count_stops(batch[start : start + 500])


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


def first_summary(store: Store, sent: list[str], size: int) -> None:
    """The first summary on a Redis an older version wrote (no cluster indexes): what the walk costs, once,
    and the next summary's round trips."""
    store.redis.delete(*store.redis.keys(store.key("cluster", "*")), store.key("clusters", "indexed"))
    trips = []
    for _ in range(2):
        sent.clear()
        build_summary(store, [Scope(f"c{size}", region=REGION)], "24h")
        trips.append((len(sent), sent.count("SCAN")))
    (first, scans), (after, _) = trips
    print(
        f"first summary after an upgrade from a version without the cluster indexes ({store.redis.dbsize()} "
        f"keys): {first} round trips, of which {scans} SCAN calls walk the keyspace once to index it; the next "
        f"summary: {after} round trips"
    )


def run(stores: Callable[[int], Store], sizes: list[int], stops: int, others: list[int]) -> None:
    sent = count_requests()
    print("Cluster summary (target: the same round trips whatever the number of services, and whatever else")
    print("Redis holds: other clusters' services)")
    asked: dict[tuple[int, int], int] = {}
    kept = [stores(n) for n in range(len(sizes))]
    for store, size in zip(kept, sizes, strict=True):
        seed(store, f"c{size}", size, stops)
        build_summary(store, [Scope(f"c{size}", region=REGION)], "24h")  # a fresh Redis: the walk, once
        asked[size, 0] = summarised(store, sent, size, stops, "")
    done = 0
    for total in others:
        for store in kept:  # services of 20 other clusters, one stop each
            for cluster in range(20):
                seed(store, f"other{cluster}", (total - done) // 20, 1, first=done // 20)
        done = total
        for store, size in zip(kept, sizes, strict=True):
            asked[size, total] = summarised(
                store, sent, size, stops, f" (+{total} services of other clusters)"
            )
    trips = sorted(set(asked.values()))
    print(
        f"round trips: {', '.join(str(n) for n in trips)} for {', '.join(map(str, sizes))} services alone and "
        f"beside {', '.join(map(str, others)) or 'no'} others: "
        + ("target met" if len(trips) == 1 else "target NOT met")
    )
    if others:
        first_summary(kept[-1], sent, sizes[-1])


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--services", default="3,20,200")
    parser.add_argument("--stops", type=int, default=5)
    parser.add_argument("--others", default="2000,20000", help="services of other clusters beside, then")
    parser.add_argument("--in-process", action="store_true", help="fakeredis, as without REDIS_URL")
    args = parser.parse_args()
    sizes = [int(n) for n in args.services.split(",") if n.strip()]
    others = [int(n) for n in args.others.split(",") if n.strip()]
    if args.in_process:
        run(lambda n: Store.from_url(None, prefix=f"bench-summary-{n}"), sizes, args.stops, others)
        return
    from tests.conftest import start_redis_server

    with tempfile.TemporaryDirectory() as workdir:
        server = start_redis_server(Path(workdir))
        try:
            run(lambda n: _flushed(server.url, n), sizes, args.stops, others)
        finally:
            server.stop()


def _flushed(url: str, n: int) -> Store:
    """A store on database n + 1 of the bench's own redis-server (`url` ends in /0), emptied first."""
    client = redis.Redis.from_url(url.rsplit("/", 1)[0] + f"/{n + 1}", decode_responses=True)
    client.flushdb()
    return Store(client)


if __name__ == "__main__":
    main()
