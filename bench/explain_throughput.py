"""Explain throughput: task documents per second through parse → classify → findings → JSON, on one core.

Targets (issue 16): ≥ 20,000 task documents a second warm, ≥ 10,000 with every reason new.
Run: .venv/bin/python bench/explain_throughput.py   (taskset -c 1 … to hold it to one core)

The mix is the corpus' task cases and the bundled example. Every document is a task of its own, as in
production: a new task ARN (so a new task ID) and a new stop time each, so no cache can key on a task it
has seen. Four figures, each the median of several runs:
- warm, one document per diagnosis, and warm, describe-tasks batches of 100: what repeats is what repeats
  in a failing service, the reasons.
- every reason new (the target): each document is its stop with every variable token of its texts new
  (`with_new_reasons`: account, task, instance, ENI, volume and deployment IDs, digests, target group and
  secret suffixes, IP addresses, version tags, the task definition's revision), the same in the stopped
  reason, the container reasons and images and every ARN, so no two documents share a reason text. Some
  ECS reasons are fixed sentences with no variable part ("Task stopped by user"); so that none of them is
  answered from a cache either, every cache that still misses on such new documents after warm-up (one
  keyed on a document's texts or shape: read reasons, redacted texts, rendered steps, kept diagnoses) is
  cleared before each document. The caches that no new document misses are keyed on the engine's own
  tables (a category's checks, a template's placeholders), which a running process never loses: they stay
  warm. The bench names both sets, and checks that each new document is diagnosed as its original was
  (the same causes in the same order), so the new tokens change no reading.
- every cache cleared (strict, "cold engine"): the same documents with every cache of the engine cleared
  before each, its own tables too: printed so that nothing is hidden; not what the target states.
"""

from __future__ import annotations

import functools
import hashlib
import json
import re
import statistics
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from diagnosis.contract import to_json
from diagnosis.engine import diagnose
from diagnosis.parse import parse_document

ROOT = Path(__file__).resolve().parents[1]
WARM_TARGET, COLD_TARGET = 20_000, 10_000
_TASK_ARN = re.compile(r"(:task/(?:[\w-]+/)?)[0-9a-f]{32}")
_START = datetime(2026, 11, 30, 8, 0, tzinfo=UTC)
_TIMES = ("createdAt", "startedAt", "stoppingAt", "stoppedAt", "pullStartedAt", "pullStoppedAt")
# The variable tokens of ECS texts: a UUID; an ID or digest of 8+ hex digits or decimals (account, task,
# instance, ENI, volume, deployment, target group); an IPv4 address; a version tag (v2.3.1); a Secrets
# Manager ARN's random suffix; a task definition's revision.
_TOKEN = re.compile(
    r"(?P<uuid>(?<![\w-])[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}(?![\w-]))"
    r"|(?P<ip>(?<![\w.])(?:\d{1,3}\.){3}\d{1,3}(?![\w.]))"
    r"|(?P<id>(?<![A-Za-z0-9])(?=[0-9a-f]*\d)[0-9a-f]{8,}(?![A-Za-z0-9]))"
    r"|(?P<version>(?<=:)v?\d+(?:\.\d+){1,3}(?![\w.]))"
    r"|(?<=:secret:)(?P<secret>[\w/+=.@-]+-)(?P<suffix>[A-Za-z0-9]{6})(?![\w-])"
    r"|(?<=:task-definition/)(?P<family>[\w-]+:)(?P<revision>\d+)(?!\d)"
)


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


def with_new_reasons(doc: dict, n: int) -> dict:
    """The same stop by task n, with every variable token (`_TOKEN`) of every text new: the same token
    stays the same within the document (the account in the task ARN and in the image), never across two."""
    new: dict[str, str] = {}

    def digest(token: str) -> str:
        return hashlib.blake2b(f"{n}/{token}".encode(), digest_size=32).hexdigest()

    def fresh(m: re.Match[str]) -> str:
        token = m[0]
        if token in new:
            return new[token]
        h = digest(token)
        if m["uuid"] or m["id"]:
            out = re.sub(r"[0-9a-f]", lambda c: h[c.start() % 64], token)
            if token.isdigit() and len(token) not in (32, 64):
                out = "".join(str(int(h[i % 64], 16) % 10) for i in range(len(token)))
        elif m["ip"]:
            first = token.split(".", 1)[0]
            out = ".".join([first, *(str(int(h[i : i + 2], 16)) for i in (0, 2, 4))])
        elif m["version"]:
            parts = token.lstrip("v").split(".")
            out = ("v" if token.startswith("v") else "") + ".".join(
                str(int(h[2 * i : 2 * i + 2], 16) % 40) for i in range(len(parts))
            )
        elif m["suffix"]:
            alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
            out = m["secret"] + "".join(alphabet[int(h[2 * i : 2 * i + 2], 16) % 62] for i in range(6))
        else:  # a revision: a first revision stays the first (it has none to go back to)
            out = m["family"] + (m["revision"] if m["revision"] == "1" else str(2 + int(h[:8], 16) % 10**6))
        new[token] = out
        return out

    def walk(value: Any, key: str = "") -> Any:
        if isinstance(value, str):
            return value if key in _TIMES else _TOKEN.sub(fresh, value)
        if isinstance(value, list):
            return [walk(v, key) for v in value]
        if isinstance(value, dict):
            return {k: walk(v, k) for k, v in value.items()}
        return value

    return walk(as_new_task(doc, n))


def engine_caches() -> dict[str, functools._lru_cache_wrapper]:
    """Every memo of the engine (read reasons, rendered steps, redacted texts, …), found once, by name."""
    found = {
        f"{name}.{attr}": value
        for name, module in list(sys.modules.items())
        if name == "diagnosis" or name.startswith("diagnosis.")
        for attr, value in vars(module).items()
        if isinstance(value, functools._lru_cache_wrapper) and value.__module__ == name
    }
    return dict(sorted(found.items()))


Make = Callable[[dict, int], dict]


def new_tasks(batch: list[dict], rounds: int, first: int, make: Make = as_new_task) -> list[list[dict]]:
    return [[make(d, first + r * len(batch) + i) for i, d in enumerate(batch)] for r in range(rounds)]


def run(
    batch: list[dict],
    per_call: int,
    first: int,
    repeat: int = 7,
    make: Make = as_new_task,
    clear: tuple[functools._lru_cache_wrapper, ...] = (),
) -> float:
    """Task documents a second, the median of `repeat` runs, each over tasks never seen before; the caches
    `clear` are emptied before each diagnosis."""
    rates, rounds = [], 10
    for k in range(repeat):
        work = new_tasks(batch, rounds, first + k * rounds * len(batch), make)
        start = time.process_time()
        for docs in work:
            for i in range(0, len(docs), per_call):
                for cache in clear:
                    cache.cache_clear()
                chunk = docs[i : i + per_call]
                doc = chunk[0] if per_call == 1 else {"tasks": chunk}
                to_json(diagnose(parse_document(doc)))
        rates.append(rounds * len(batch) / (time.process_time() - start))
    return statistics.median(rates)


def keyed_on_content(batch: list[dict], first: int) -> dict[str, functools._lru_cache_wrapper]:
    """The caches that miss on documents with new reasons once the engine is warm (their key holds a text
    or shape of the document), after a check that such documents read as their originals do."""
    for n, doc in enumerate(batch):
        new = with_new_reasons(doc, first + n)
        said, told = diagnose(parse_document(doc)), diagnose(parse_document(new))
        if [f.category for f in said.findings] != [f.category for f in told.findings]:
            raise SystemExit(f"with new tokens, {doc.get('stoppedReason')!r} reads otherwise: fix _TOKEN")
    caches = engine_caches()
    misses = {name: cache.cache_info().misses for name, cache in caches.items()}
    run(batch, 1, first=first + len(batch), repeat=1, make=with_new_reasons)
    return {name: c for name, c in caches.items() if c.cache_info().misses > misses[name]}


def main() -> None:
    docs = task_documents()
    batch = (docs * (200 // len(docs) + 1))[:200]
    run(batch, 1, first=0, repeat=1)  # warm-up: afterwards the reasons are known, never the tasks
    run(batch, 1, first=10_000, repeat=1, make=with_new_reasons)  # and the engine's own tables
    single = run(batch, 1, first=1_000_000)
    batched = run(batch, 100, first=2_000_000)
    content = keyed_on_content(batch, first=3_000_000)
    new = run(batch, 1, first=4_000_000, make=with_new_reasons, clear=tuple(content.values()))
    every = engine_caches()
    cold = run(batch, 1, first=5_000_000, make=with_new_reasons, clear=tuple(every.values()))
    tokened = sum(with_new_reasons(d, 1)["stoppedReason"] != d["stoppedReason"] for d in batch)
    print(f"tasks in mix: {len(docs)} distinct stops, {len(batch)} a round, each a new task (ARN, time)")
    print(f"one task per explain:      {single:10,.0f} task documents/s (median of 7)")
    print(f"describe-tasks of 100:     {batched:10,.0f} task documents/s (median of 7)")
    print(f"every reason new:          {new:10,.0f} task documents/s (median of 7; one task per explain)")
    print(
        f"  new tokens in {tokened} of {len(batch)} stopped reasons; cleared before each document, as keyed on"
    )
    print(f"  a document's content: {', '.join(n.removeprefix('diagnosis.') for n in content)}")
    kept = [n.removeprefix("diagnosis.") for n in every if n not in content]
    print(f"  kept warm, as keyed on the engine's own tables: {', '.join(kept) or 'none'}")
    print(f"every cache cleared:       {cold:10,.0f} task documents/s (median of 7; strict: a cold engine)")
    warm_ok, new_ok = min(single, batched) >= WARM_TARGET, new >= COLD_TARGET
    print(f"target warm >= {WARM_TARGET:,}/s (both warm figures): {'met' if warm_ok else 'NOT met'}")
    print(f"target every reason new >= {COLD_TARGET:,}/s: {'met' if new_ok else 'NOT met'}")


if __name__ == "__main__":
    main()
