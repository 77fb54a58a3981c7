"""Explain throughput: task documents per second through parse → classify → findings → JSON, on one core.

Target (DESIGN.md): ≥ 10,000 task documents a second. Run: .venv/bin/python bench/explain_throughput.py
It reports the median of several runs over a mixed batch (the corpus' task cases and the bundled
example): one document per task (every task a separate diagnosis), describe-tasks batches of 100, and
one document per task with the message and step caches cleared before each (every reason unseen).
"""

from __future__ import annotations

import json
import statistics
import time
from pathlib import Path

from diagnosis.engine import diagnose
from diagnosis.parse import parse_document

ROOT = Path(__file__).resolve().parents[1]


def task_documents() -> list[dict]:
    docs = []
    for line in (ROOT / "tests/diagnosis/data/corpus_cases.jsonl").read_text().splitlines():
        doc = json.loads(line)["input"]
        doc = doc.get("detail", doc)
        docs.extend(doc.get("tasks", [doc] if "taskArn" in doc else []))
    docs.extend(json.loads((ROOT / "diagnosis/examples/stopped-tasks.json").read_text())["tasks"])
    return docs


def clear_caches() -> None:
    from diagnosis import remedies, rules

    rules.read_message.cache_clear()
    remedies._step.cache_clear()


def run(batch: list[dict], per_call: int, repeat: int = 7, rounds: int = 20, cold: bool = False) -> float:
    calls = [batch[i : i + per_call] for i in range(0, len(batch), per_call)]
    rates = []
    for _ in range(repeat):
        start = time.perf_counter()
        for _ in range(rounds):
            for chunk in calls:
                if cold:
                    clear_caches()
                doc = chunk[0] if per_call == 1 else {"tasks": chunk}
                diagnose(parse_document(doc)).model_dump_json()
        rates.append(len(batch) * rounds / (time.perf_counter() - start))
    return statistics.median(rates)


def main() -> None:
    docs = task_documents()
    batch = (docs * (200 // len(docs) + 1))[:200]
    single = run(batch, 1)
    batched = run(batch, 100)
    cold = run(batch, 1, cold=True)
    print(f"tasks in mix: {len(docs)} distinct, batch of {len(batch)}")
    print(f"one task per explain:      {single:10,.0f} task documents/s (median of 7)")
    print(f"describe-tasks of 100:     {batched:10,.0f} task documents/s (median of 7)")
    print(f"one task, caches cleared:  {cold:10,.0f} task documents/s (median of 7; every reason new)")
    print(f"target: >= 10,000/s -> {'met' if min(single, batched) >= 10_000 else 'NOT met'} (warm)")


if __name__ == "__main__":
    main()
