"""Explain throughput: task documents per second through parse → classify → findings → JSON, on one core.

Targets (issue 16): ≥ 20,000 task documents a second warm, ≥ 10,000 with every reason new.
Run: .venv/bin/python bench/explain_throughput.py   (taskset -c 1 … to hold it to one core)

The mix is the corpus' task cases and the bundled example. Every document is a task of its own, as in
production: a new task ARN (so a new task ID) and a new stop time each, so no cache can key on a task it
has seen; what repeats is what repeats in a failing service, the reasons. Three figures, each the median
of several runs: one document per diagnosis; describe-tasks batches of 100; and one document per
diagnosis with every cache of the engine cleared before each (every reason new).
"""

from __future__ import annotations

import functools
import json
import re
import statistics
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from diagnosis.contract import to_json
from diagnosis.engine import diagnose
from diagnosis.parse import parse_document

ROOT = Path(__file__).resolve().parents[1]
WARM_TARGET, COLD_TARGET = 20_000, 10_000
_TASK_ARN = re.compile(r"(:task/(?:[\w-]+/)?)[0-9a-f]{32}")
_START = datetime(2026, 11, 30, 8, 0, tzinfo=UTC)


def task_documents() -> list[dict]:
    docs = []
    for line in (ROOT / "tests/diagnosis/data/corpus_cases.jsonl").read_text().splitlines():
        doc = json.loads(line)["input"]
        doc = doc.get("detail", doc)
        docs.extend(doc.get("tasks", [doc] if "taskArn" in doc else []))
    docs.extend(json.loads((ROOT / "diagnosis/examples/stopped-tasks.json").read_text())["tasks"])
    return docs


def as_new_task(doc: dict, n: int) -> dict:
    """The same stop, by another task: its own task ARN (also in its containers) and its own stop time."""
    task_id = f"{n:032x}"
    fresh = json.loads(_TASK_ARN.sub(lambda m: m.group(1) + task_id, json.dumps(doc)))
    if "stoppedAt" in fresh:
        fresh["stoppedAt"] = (_START + timedelta(seconds=n)).isoformat()
    return fresh


def engine_caches() -> list[functools._lru_cache_wrapper]:
    """Every memo of the engine (read reasons, rendered steps, redacted texts, …), found once."""
    found = {
        id(value): value
        for name, module in list(sys.modules.items())
        if name == "diagnosis" or name.startswith("diagnosis.")
        for value in vars(module).values()
        if isinstance(value, functools._lru_cache_wrapper)
    }
    return list(found.values())


def new_tasks(batch: list[dict], rounds: int, first: int) -> list[list[dict]]:
    return [[as_new_task(d, first + r * len(batch) + i) for i, d in enumerate(batch)] for r in range(rounds)]


def run(batch: list[dict], per_call: int, first: int, repeat: int = 7, cold: bool = False) -> float:
    """Task documents a second, the median of `repeat` runs, each over tasks never seen before."""
    rates, rounds, caches = [], 10, engine_caches()
    for k in range(repeat):
        work = new_tasks(batch, rounds, first + k * rounds * len(batch))
        start = time.process_time()
        for docs in work:
            for i in range(0, len(docs), per_call):
                if cold:
                    for cache in caches:
                        cache.cache_clear()
                chunk = docs[i : i + per_call]
                doc = chunk[0] if per_call == 1 else {"tasks": chunk}
                to_json(diagnose(parse_document(doc)))
        rates.append(rounds * len(batch) / (time.process_time() - start))
    return statistics.median(rates)


def main() -> None:
    docs = task_documents()
    batch = (docs * (200 // len(docs) + 1))[:200]
    run(batch, 1, first=0, repeat=1)  # warm-up: afterwards the reasons are known, never the tasks
    single = run(batch, 1, first=1_000_000)
    batched = run(batch, 100, first=2_000_000)
    cold = run(batch, 1, first=3_000_000, cold=True)
    print(f"tasks in mix: {len(docs)} distinct stops, {len(batch)} a round, each a new task (ARN, time)")
    print(f"one task per explain:      {single:10,.0f} task documents/s (median of 7)")
    print(f"describe-tasks of 100:     {batched:10,.0f} task documents/s (median of 7)")
    print(f"one task, caches cleared:  {cold:10,.0f} task documents/s (median of 7; every reason new)")
    warm_ok, cold_ok = min(single, batched) >= WARM_TARGET, cold >= COLD_TARGET
    print(f"target warm >= {WARM_TARGET:,}/s (both warm figures): {'met' if warm_ok else 'NOT met'}")
    print(f"target every reason new >= {COLD_TARGET:,}/s: {'met' if cold_ok else 'NOT met'}")


if __name__ == "__main__":
    main()
