"""Live diagnosis against a slow AWS: calls, rounds and wall time per service diagnosis, small and big.

Targets (DESIGN.md, issue 16): a service with 10 stopped tasks in ≤ 4 sequential rounds and ≤ 15 API
calls; a service with 1,000 stopped tasks in the window: every task read and counted, ≤ 4 sequential
rounds, the calls those of the small service plus only the describe-tasks batches (and the list pages);
with 50 ms added to every AWS call, the wall time the latency adds within 1.5 × rounds × 50 ms.

The AWS stand-in is the demo sandbox (moto on 127.0.0.1), recorded once per service and then replayed byte
for byte (bench/replay.py): moto takes seconds to describe 1,000 tasks, which would hide the latency
measured. The latency is added in botocore's `before-send` hook, so retries and concurrency behave as they
would against AWS. Each service is timed replayed without added latency (the diagnosis's own work) and
with it; the figure held to the bound is the difference, and the whole wall is printed too. Rounds are
given twice: as the diagnosis counts them, and as the wire shows them (the longest chain of calls each
sent after the one before was answered); the count must not be below the wire's.

Two moto facts are corrected for:
- moto ignores list-tasks' `serviceName` (DESIGN.md): each crash loop is staged alone in a region of its
  own, or its 1,000 listed tasks would hold other services' tasks;
- moto answers list-tasks in one page, AWS in pages of at most 100, each asked with the previous page's
  token: the bench pages moto's answer as AWS would (tests/builders/pages.py), so the chained pages are
  counted and timed. They are the one part that grows with the service: 1,000 stopped tasks are 10
  dependent calls, then the last page's describe-tasks, whatever the client does (`floor` says why), so
  the ≤ 4 rounds cannot be met for them and the table prints the floor beside the target. AWS documents
  no order for the list, so the loops are measured listed oldest first (as moto does: the newest failure
  is on the last page, and its log can only be asked after it) and newest first.

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

from bench.replay import Replay, Wire
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
    rounds: int  # as the diagnosis counts them
    wire: int  # as seen on the wire (bench/replay.py), the most any run showed
    undercounted: int  # runs whose wire showed more rounds than the diagnosis counted in that run
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


@dataclass(frozen=True)
class Measured:
    base: Run  # replayed without added latency: the diagnosis's own work
    slow: Run  # replayed with the latency added to every call
    misses: int  # requests the record did not hold (sent to moto): 0 for figures that mean something

    def added(self) -> float:
        return self.slow.wall - self.base.wall


def measure(
    region: str, service: str, latency: float, repeat: int, warm: bool = False, newest_first: bool = False
) -> Measured:
    """Record one diagnosis from moto, then time it replayed: `repeat` runs without latency, then with."""
    session = sandbox_session(region)
    replay, wire = Replay(), Wire()
    replay.attach(session)
    wire.attach(session)
    cache: dict[str, Any] = {}
    with ecs_pages(session, newest_first=newest_first):
        diagnose_live(session, service, cluster=CLUSTER, cache=cache)  # recorded (and warms the clients)
        if warm:
            diagnose_live(session, service, cluster=CLUSTER, cache=cache)  # the cached run's own requests
        replay.recording = False
        base = _runs(session, service, repeat, warm, wire, cache)
        replay.latency = latency
        slow = _runs(session, service, repeat, warm, wire, cache)
    return Measured(base, slow, replay.misses)


def _runs(session: Any, service: str, repeat: int, warm: bool, wire: Wire, cache: dict[str, Any]) -> Run:
    walls, calls, rounds, wires = [], [], [], []
    for _ in range(repeat):
        if not warm:
            cache.clear()
        wire.clear()
        started = time.perf_counter()
        result = diagnose_live(session, service, cluster=CLUSTER, cache=cache)
        walls.append(time.perf_counter() - started)
        calls.append(result.stats.api_calls)
        rounds.append(result.stats.rounds)
        wires.append(wire.rounds())
    top = result.findings[0].category if result.findings else None
    stats = result.stats
    operations = Counter(name for _sent, _answered, name in wire.calls)
    return Run(
        statistics.median(walls),
        max(calls),
        max(rounds),
        max(wires),
        sum(w > r for w, r in zip(wires, rounds, strict=True)),  # judged run by run, never hidden
        stats.tasks_stopped,
        stats.tasks_seen,
        operations,
        top,
    )


def verdict(ok: bool) -> str:
    return "met" if ok else "NOT met"


def sandbox_table(running: Any, latency: float, repeat: int) -> None:
    region = running.sandbox.region
    print(
        f"\nDemo services (target: ≤ {MAX_ROUNDS} rounds, ≤ {MAX_CALLS_SMALL} calls, wall added by the latency"
        f" ≤ {WALL_FACTOR} × rounds × latency, the whole wall too; in no run the wire above the rounds)"
    )
    print(
        f"{'service':<12} {'stopped':>7} {'calls':>5} {'rounds':>6} {'wire':>4} {'wall':>7} {'no-lat':>7} "
        f"{'added/bound':>11} {'wall/bound':>10}  verdict"
    )
    for service in running.sandbox.failing:
        got = measure(region, service, latency, repeat)
        slow = got.slow
        within = got.added() / (slow.rounds * latency)
        ok = (
            slow.rounds <= MAX_ROUNDS
            and not slow.undercounted
            and slow.calls <= MAX_CALLS_SMALL
            and within <= WALL_FACTOR
            and slow.wall <= WALL_FACTOR * slow.rounds * latency
        )
        print(
            f"{service:<12} {slow.stopped:>7} {slow.calls:>5} {slow.rounds:>6} {slow.wire:>4} "
            f"{slow.wall * 1000:>5.0f}ms {got.base.wall * 1000:>5.0f}ms {within:>11.2f} "
            f"{slow.wall / (slow.rounds * latency):>10.2f}  {verdict(ok)}"
            + (f" ({got.misses} requests not replayed)" if got.misses else "")
        )
    warm = measure(region, "checkout", latency, repeat, warm=True).slow
    print(f"checkout with task definitions cached: {warm.calls} calls, {warm.rounds} rounds")


def floor(stopped: int, newest_first: bool) -> int:
    """The fewest sequential rounds AWS allows a diagnosis of `stopped` stopped tasks, a crash loop of one
    cause. ListTasks gives at most 100 ARNs a page and each page needs the previous page's nextToken; no
    filter splits one service's stopped tasks into lists that can be paged side by side (see the module
    docstring). So: the pages one after another, then the last page's DescribeTasks (it needs that page's
    ARNs), then, when that page holds the newest failure (listed oldest first), the read of its log (which
    task is newest is known only once it is described). One page: the small service's target."""
    pages = max(1, math.ceil(stopped / 100))
    if pages == 1:
        return MAX_ROUNDS
    return pages + 1 + (0 if newest_first else 1)


def loop_table(staged: list[tuple[int, str, str]], latency: float, repeat: int, newest_first: bool) -> None:
    order = "newest first" if newest_first else "oldest first"
    print(
        f"\nCrash loops, each alone in a region, list-tasks in pages of 100 listed {order}. Target: every "
        f"stopped task counted, ≤ {MAX_ROUNDS} rounds, calls = the smallest loop's + describe batches + list "
        f"pages, wall added by the latency ≤ {WALL_FACTOR} × rounds × latency. floor: the fewest rounds the "
        "ECS API allows (the list pages are chained by their tokens, then the last page's describe-tasks, "
        "then the newest failure's log when that page holds it); wire: the rounds seen on the wire"
    )
    print(
        f"{'service':<10} {'staged':>6} {'counted':>7} {'calls':>5} {'batches':>7} {'pages':>5} {'other':>5} "
        f"{'rounds':>6} {'floor':>5} {'wire':>4} {'wall':>7} {'no-lat':>7} {'added':>7} {'added/bound':>11}"
        f" {'wall/bound':>10}  verdict"
    )
    other_calls: list[int] = []
    for count, region, service in staged:
        got = measure(region, service, latency, repeat, newest_first=newest_first)
        slow = got.slow
        batches, pages = slow.operations["DescribeTasks"], slow.operations["ListTasks"]
        other = slow.calls - batches - pages
        other_calls.append(other)
        bound = slow.rounds * latency
        least = floor(count, newest_first)
        parts = {
            "counted": slow.stopped == count,
            "calls": batches <= math.ceil(slow.seen / 100) + 1  # the stopped and the running, 100 a call
            and other <= other_calls[0] + (0 if newest_first else 1),  # +1: the newer failure's log
            "wire": not slow.undercounted,  # in no run did the wire show more rounds than the diagnosis counted
            "added wall": got.added() <= WALL_FACTOR * bound,
            "whole wall": slow.wall <= WALL_FACTOR * bound,
            "rounds": slow.rounds <= MAX_ROUNDS,
        }
        failed = [name for name, ok in parts.items() if not ok]
        why = ""
        if not parts["rounds"]:
            at = "at the floor" if slow.rounds <= least else f"{slow.rounds - least} above the floor"
            why = f" ({slow.rounds} rounds, {at} of {least}: the list pages are chained)"
        print(
            f"{service:<10} {count:>6} {slow.stopped:>7} {slow.calls:>5} {batches:>7} {pages:>5} {other:>5} "
            f"{slow.rounds:>6} {least:>5} {slow.wire:>4} {slow.wall * 1000:>5.0f}ms "
            f"{got.base.wall * 1000:>5.0f}ms {got.added() * 1000:>5.0f}ms {got.added() / bound:>11.2f} "
            f"{slow.wall / bound:>10.2f}  "
            + ("met" if not failed else "NOT met: " + ", ".join(failed))
            + why
            + (f" ({got.misses} requests not replayed)" if got.misses else "")
        )
    print(
        "(batches: describe-tasks calls, 100 tasks each, stopped and running; pages: list-tasks calls, "
        "stopped and running; other: every other call; added: the wall the latency added (with it minus "
        "without); wall/bound: the whole wall, the diagnosis's own work included, over rounds × latency)"
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
