"""Live diagnosis against a slow AWS: calls, rounds and wall time per service diagnosis, small and big.

Targets (DESIGN.md, issue 16): a service with 10 stopped tasks in ≤ 4 sequential rounds and ≤ 15 API
calls; a service with 1,000 stopped tasks in the window: every task read and counted, ≤ 4 sequential
rounds, the calls those of the small service plus only the describe-tasks batches (and the list pages);
with 50 ms added to every AWS call, the wall time the latency adds within 1.5 × rounds × 50 ms.

The AWS stand-in is the demo sandbox (moto on 127.0.0.1); the latency is added in botocore's
`before-send` hook, so retries and concurrency behave as they would against AWS. Moto takes time itself
(describing 1,000 tasks takes it seconds), so each service is also timed without added latency and the
figure held to the bound is the difference. Two moto facts are corrected for:
- moto ignores list-tasks' `serviceName` (DESIGN.md): each crash loop is staged alone in a region of its
  own, or its 1,000 listed tasks would hold other services' tasks;
- moto answers list-tasks in one page, AWS in pages of at most 100, each asked with the previous page's
  token: the bench pages moto's answer as AWS would (tests/builders/pages.py), so the chained pages are
  counted and timed. They are the one part that grows with the service: 1,000 stopped tasks are 10
  dependent calls, each a round of its own in the figures (the evidence rounds run beside them, from the
  first page); AWS documents no order for the list, so the loops are measured listed oldest first (as
  moto does: the newest failure is on the last page) and newest first.

Run: .venv/bin/python bench/diagnose_latency.py [--latency-ms 50] [--repeat 3] [--stopped 10,1000]
     [--skip-sandbox] (only the crash loops) [--order oldest|newest|both]
"""

from __future__ import annotations

import argparse
import json
import math
import os
import statistics
import sys
import time
from collections import Counter
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bot.demo.access import ECS_TASKS_TRUST
from bot.demo.load_balancer import create_load_balancer
from bot.demo.model import CLUSTER
from bot.demo.network import create_network
from bot.demo.registry import create_repositories
from bot.demo.runtime import CHECKOUT
from bot.demo.sandbox import running_sandbox, sandbox_env, sandbox_session
from bot.demo.stage import stage
from bot.demo.world import World
from diagnosis.live import diagnose_live
from tests.builders.pages import ecs_pages

MAX_ROUNDS, MAX_CALLS_SMALL, WALL_FACTOR = 4, 15, 1.5
LOOP_REGIONS = ("eu-west-1", "eu-west-2", "eu-west-3", "eu-north-1", "eu-central-1")


@dataclass(frozen=True)
class Run:
    wall: float  # seconds, median
    calls: int
    rounds: int
    stopped: int  # stopped tasks the diagnosis counted
    seen: int  # every task it read, stopped and running
    operations: Counter[str]
    category: str | None


def stage_crash_loop(running: Any, stopped: int, region: str) -> str:
    """The checkout scenario, OOM-killed `stopped` times in the last hour, alone in `region`."""
    box, name = running.sandbox, f"loop{stopped}"
    session = sandbox_session(region)
    world = World(session, box.account, region, running.endpoint_url, datetime.now(UTC))
    world.ids.update({k: v for k, v in box.ids.items() if k.startswith(("execution_role", "secret"))})  # IAM
    create_network(world)
    create_load_balancer(world)
    create_repositories(world, {name: CHECKOUT.pushed})
    role = world.iam.create_role(
        RoleName=f"{name}-task", AssumeRolePolicyDocument=json.dumps(ECS_TASKS_TRUST)
    )
    world.ids[f"task_role_{name}"] = role["Role"]["Arn"]
    world.ecs.create_cluster(clusterName=CLUSTER)
    world.ids["cluster_arn"] = world.arn("ecs", f"cluster/{CLUSTER}")
    failing, healthy = CHECKOUT.tasks
    every = timedelta(seconds=55 * 60 / stopped)
    stage(
        world, replace(CHECKOUT, service=name, tasks=(replace(failing, count=stopped, every=every), healthy))
    )
    return name


def instrument(session: Any, latency: float) -> Counter[str]:
    """Count each operation sent, and add `latency` to every call."""
    sent: Counter[str] = Counter()

    def count(model: Any, **_: Any) -> None:
        sent[model.name] += 1

    def sleep(**_: Any) -> None:
        time.sleep(latency)

    session.events.register("before-call", count)
    if latency:
        session.events.register("before-send", sleep)
    return sent


def measure(
    region: str, service: str, latency: float, repeat: int, warm: bool = False, newest_first: bool = False
) -> Run:
    session = sandbox_session(region)
    with ecs_pages(session, newest_first=newest_first):
        return _measure(session, service, latency, repeat, warm)


def _measure(session: Any, service: str, latency: float, repeat: int, warm: bool) -> Run:
    sent = instrument(session, latency)
    cache: dict[str, Any] = {}
    walls, calls, rounds = [], [], []
    for run in range(repeat + 1):  # the first run warms moto and the clients up: not counted
        if not warm:
            cache = {}
        sent.clear()
        started = time.perf_counter()
        result = diagnose_live(session, service, cluster=CLUSTER, cache=cache)
        if run:
            walls.append(time.perf_counter() - started)
            calls.append(result.stats.api_calls)
            rounds.append(result.stats.rounds)
    top = result.findings[0].category if result.findings else None
    seen = min(calls) if warm else max(calls)
    stats = result.stats
    return Run(
        statistics.median(walls), seen, max(rounds), stats.tasks_stopped, stats.tasks_seen, Counter(sent), top
    )


def verdict(ok: bool) -> str:
    return "met" if ok else "NOT met"


def sandbox_table(running: Any, latency: float, repeat: int) -> None:
    region = running.sandbox.region
    print(
        f"\nDemo services (target: ≤ {MAX_ROUNDS} rounds, ≤ {MAX_CALLS_SMALL} calls, added wall ≤ "
        f"{WALL_FACTOR} × rounds × latency)"
    )
    print(
        f"{'service':<12} {'stopped':>7} {'calls':>5} {'rounds':>6} {'wall':>7} {'no-lat':>7} "
        f"{'added/bound':>11}  verdict"
    )
    for service in running.sandbox.failing:
        base = measure(region, service, 0.0, repeat)
        slow = measure(region, service, latency, repeat)
        added = (slow.wall - base.wall) / (slow.rounds * latency)
        ok = slow.rounds <= MAX_ROUNDS and slow.calls <= MAX_CALLS_SMALL and added <= WALL_FACTOR
        print(
            f"{service:<12} {slow.stopped:>7} {slow.calls:>5} {slow.rounds:>6} {slow.wall * 1000:>5.0f}ms "
            f"{base.wall * 1000:>5.0f}ms {added:>11.2f}  {verdict(ok)}"
        )
    warm = measure(region, "checkout", latency, repeat, warm=True)
    print(f"checkout with task definitions cached: {warm.calls} calls, {warm.rounds} rounds")


def loop_table(staged: list[tuple[int, str, str]], latency: float, repeat: int, newest_first: bool) -> None:
    order = "newest first" if newest_first else "oldest first"
    print(
        f"\nCrash loops, each alone in a region, list-tasks in pages of 100 listed {order} (target: every "
        f"stopped task counted, ≤ {MAX_ROUNDS} rounds, calls = the smallest loop's + describe batches + list "
        f"pages, added wall ≤ {WALL_FACTOR} × rounds × latency). Rounds are counted honestly: each stopped "
        "page after the first waits for the one before (its token), and the last page's describe-tasks after it"
    )
    print(
        f"{'service':<10} {'staged':>6} {'counted':>7} {'calls':>5} {'batches':>7} {'pages':>5} {'other':>5} "
        f"{'rounds':>6} {'wall':>7} {'no-lat':>7} {'added':>7} {'latencies':>9} {'added/bound':>11}  verdict"
    )
    other_calls: list[int] = []
    for count, region, service in staged:
        base = measure(region, service, 0.0, repeat, newest_first=newest_first)
        slow = measure(region, service, latency, repeat, newest_first=newest_first)
        batches, pages = slow.operations["DescribeTasks"], slow.operations["ListTasks"]
        other = slow.calls - batches - pages
        other_calls.append(other)
        added = slow.wall - base.wall
        within = added / (slow.rounds * latency)
        ok = (
            slow.stopped == count
            and batches <= math.ceil(slow.seen / 100) + 1  # the stopped and the running, 100 a call
            and other <= other_calls[0] + 1  # +1: a newer failure on a later page has its log read
        )
        why = "" if slow.rounds <= MAX_ROUNDS else f" ({slow.rounds} rounds: the pages are chained)"
        print(
            f"{service:<10} {count:>6} {slow.stopped:>7} {slow.calls:>5} {batches:>7} {pages:>5} {other:>5} "
            f"{slow.rounds:>6} {slow.wall * 1000:>5.0f}ms {base.wall * 1000:>5.0f}ms {added * 1000:>5.0f}ms "
            f"{added / latency:>9.1f} {within:>11.2f}  "
            f"{verdict(ok and within <= WALL_FACTOR and slow.rounds <= MAX_ROUNDS)}{why}"
        )
    print(
        "(batches: describe-tasks calls, 100 tasks each, stopped and running; pages: list-tasks calls, "
        "stopped and running; other: every other call; latencies: the added wall over one call's latency)"
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--latency-ms", type=float, default=50.0)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--stopped", default="10,1000", help="crash loops with these many stops")
    parser.add_argument("--skip-sandbox", action="store_true", help="only the crash loops")
    parser.add_argument(
        "--order",
        choices=("oldest", "newest", "both"),
        default="both",
        help="the order list-tasks lists stopped tasks in (AWS documents none; moto: oldest first)",
    )
    args = parser.parse_args()
    latency = args.latency_ms / 1000
    with running_sandbox() as running:
        os.environ.update(sandbox_env(running.endpoint_url))
        print(f"latency added to every AWS call: {args.latency_ms:.0f} ms; median of {args.repeat} runs")
        if not args.skip_sandbox:
            sandbox_table(running, latency, args.repeat)
        counts = [int(n) for n in args.stopped.split(",") if n.strip()]
        staged = [
            (count, region, stage_crash_loop(running, count, region))
            for count, region in zip(counts, LOOP_REGIONS, strict=False)
        ]
        for newest_first in {"oldest": [False], "newest": [True], "both": [False, True]}[args.order]:
            loop_table(staged, latency, args.repeat, newest_first)


if __name__ == "__main__":
    main()
