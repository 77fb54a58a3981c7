"""Live diagnosis against a slow AWS: calls, rounds and wall time per service diagnosis.

Target (DESIGN.md): ≤ 4 sequential rounds and ≤ 15 API calls for a service with 10 stopped tasks; with
50 ms added to every AWS call, wall time within 1.5× of rounds × 50 ms. The AWS stand-in is the demo
sandbox (moto on 127.0.0.1); the latency is added in botocore's `before-send` hook, so retries and
concurrency behave as they would against AWS. Because moto itself takes time to answer, the report
also gives the wall time without added latency and the difference.

It then stages services that crash-loop with many stopped tasks (`--stopped 10,500`: an OOM kill every
few seconds in the last hour, on the demo's checkout scenario) to show that the calls and rounds stay
flat while every stopped task is listed (paged) and described (100 per call, in one round).

Run: .venv/bin/python bench/diagnose_latency.py [--latency-ms 50] [--repeat 5] [--stopped 10,500]
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

from bot.demo.access import ECS_TASKS_TRUST
from bot.demo.registry import create_repositories
from bot.demo.runtime import CHECKOUT
from bot.demo.sandbox import running_sandbox, sandbox_env
from bot.demo.stage import stage
from bot.demo.world import World
from diagnosis.live import diagnose_live


def stage_crash_loop(running: Any, stopped: int) -> str:
    """A copy of the checkout scenario whose tasks are OOM-killed `stopped` times in the last hour."""
    import json

    name = f"loop{stopped}"
    box = running.sandbox
    world = World(running.session, box.account, box.region, running.endpoint_url, datetime.now(UTC))
    world.ids.update(box.ids)
    create_repositories(world, {name: CHECKOUT.pushed})
    role = world.iam.create_role(
        RoleName=f"{name}-task", AssumeRolePolicyDocument=json.dumps(ECS_TASKS_TRUST)
    )
    world.ids[f"task_role_{name}"] = role["Role"]["Arn"]
    failing, healthy = CHECKOUT.tasks
    every = timedelta(seconds=55 * 60 / stopped)
    stage(
        world, replace(CHECKOUT, service=name, tasks=(replace(failing, count=stopped, every=every), healthy))
    )
    box.expectations.update(world.sandbox.expectations)
    return name


def add_latency(session: Any, seconds: float) -> None:
    def sleep(**_: Any) -> None:
        time.sleep(seconds)

    session.events.register("before-send", sleep)


def measure(sandbox: Any, service: str, latency: float, repeat: int, warm: bool = False) -> dict[str, float]:
    from bot.demo.sandbox import sandbox_session

    session = sandbox_session()
    if latency:
        add_latency(session, latency)
    cache: dict[str, Any] = {}
    walls, calls, rounds = [], [], []
    for _ in range(repeat):
        if not warm:
            cache = {}
        started = time.perf_counter()
        result = diagnose_live(session, service, cluster=sandbox.sandbox.cluster, cache=cache)
        walls.append(time.perf_counter() - started)
        calls.append(result.stats.api_calls)
        rounds.append(result.stats.rounds)
    calls_seen = min(calls) if warm else max(calls)
    return {
        "wall": statistics.median(walls),
        "calls": calls_seen,
        "rounds": max(rounds),
        "stopped": result.stats.tasks_stopped,
        "category": result.findings[0].category,
    }  # type: ignore[dict-item]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--latency-ms", type=float, default=50.0)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--stopped", default="10,500", help="crash-looping services with these many stops")
    args = parser.parse_args()
    latency = args.latency_ms / 1000
    with running_sandbox() as sandbox:
        os.environ.update(sandbox_env(sandbox.endpoint_url))
        print(f"latency added to every AWS call: {args.latency_ms:.0f} ms; median of {args.repeat} runs")
        print(
            f"{'service':<10} {'stopped':>7} {'calls':>5} {'rounds':>6} {'wall':>8} {'no-lat':>8} "
            f"{'bound':>7} {'wall/bound':>10} {'(wall-nolat)/bound':>18}"
        )
        for count in [int(n) for n in args.stopped.split(",") if n.strip()]:
            stage_crash_loop(sandbox, count)
        for service in sandbox.sandbox.failing:  # the loops are failing services of the sandbox now
            base = measure(sandbox, service, 0.0, args.repeat)
            slow = measure(sandbox, service, latency, args.repeat)
            bound = slow["rounds"] * latency
            print(
                f"{service:<10} {slow['stopped']:>7.0f} {slow['calls']:>5.0f} {slow['rounds']:>6.0f} "
                f"{slow['wall'] * 1000:>6.0f}ms {base['wall'] * 1000:>6.0f}ms {bound * 1000:>5.0f}ms "
                f"{slow['wall'] / bound:>10.2f} {(slow['wall'] - base['wall']) / bound:>18.2f}"
            )
        warm = measure(sandbox, "checkout", latency, args.repeat, warm=True)
        print(
            f"checkout with task definitions cached: {warm['calls']:.0f} calls, {warm['rounds']:.0f} rounds"
        )


if __name__ == "__main__":
    main()
