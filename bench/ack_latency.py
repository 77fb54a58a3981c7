"""Ack latency of `/ecs-why` under load while diagnoses are slow (target: p99 < 100 ms).

Starts the real `ecs-why serve` (as tests/e2e/test_slack_e2e.py does): the moto demo sandbox on a loopback
port, a fake Slack Web API whose chat.postMessage takes SLOW_POST seconds (so every lazy diagnosis is
still running while later commands arrive), and a throwaway redis-server. Then fires N correctly signed
slash commands from a few threads and prints the p50/p95/p99 of the HTTP ack.

    .venv/bin/python bench/ack_latency.py [--requests 300] [--threads 8] [--slow-post 2.0]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bot.demo.sandbox import running_sandbox  # noqa: E402
from tests.conftest import _free_port, start_redis_server  # noqa: E402
from tests.e2e.conftest import cli_env  # noqa: E402
from tests.fakes.slack_api import FakeSlackApi  # noqa: E402
from tests.fakes.slack_requests import send, slash_command  # noqa: E402

SECRET = "bench-signing-secret"
COMMANDS = ["web --cluster demo", "checkout --cluster demo", "help", "web --clutser demo"]


def tree_memory_mb(pid: int) -> tuple[float, float, int, list[float]]:
    """(RSS summed, PSS summed, processes, PSS of each) of `pid` and its descendants (the diagnosis
    workers), in MB.

    PSS splits the pages forked workers share with their parent, so its sum is what they use together."""
    pids, todo = [], [pid]
    while todo:
        current = todo.pop()
        pids.append(current)
        for task in Path(f"/proc/{current}/task").glob("*/children"):
            todo += [int(child) for child in task.read_text().split()]
    rss = pss = 0
    each: list[float] = []
    for current in pids:
        try:
            rollup = Path(f"/proc/{current}/smaps_rollup").read_text().splitlines()
        except OSError:  # it ended meanwhile
            continue
        fields = {line.split(":")[0]: int(line.split()[1]) for line in rollup[1:]}
        rss, pss = rss + fields.get("Rss", 0), pss + fields.get("Pss", 0)
        each.append(fields.get("Pss", 0) / 1024)
    return rss / 1024, pss / 1024, len(pids), each


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q / 100 * (len(ordered) - 1)))]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--threads", type=int, default=8)
    parser.add_argument("--slow-post", type=float, default=2.0, help="seconds each chat.postMessage takes")
    args = parser.parse_args()
    requests = max(1, min(args.requests, 2000))
    threads = max(1, min(args.threads, 32))

    with tempfile.TemporaryDirectory() as tmp, running_sandbox() as sandbox, FakeSlackApi() as slack:
        redis_server = start_redis_server(Path(tmp))
        slack.slow("chat.postMessage", args.slow_post)
        port = _free_port()
        log = open(Path(tmp) / "serve.log", "w")  # noqa: SIM115
        env = cli_env(sandbox.endpoint_url) | {
            "SLACK_BOT_TOKEN": "xoxb-bench",
            "SLACK_SIGNING_SECRET": SECRET,
            "SLACK_API_URL": slack.base_url,
            "REDIS_URL": redis_server.url,
            "ECS_WHY_OPERATORS": "U0PERATOR",
        }
        process = subprocess.Popen(
            [sys.executable, "-m", "bot.cli", "serve", "--host", "127.0.0.1", "--port", str(port)],
            env=env, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT,
        )  # fmt: skip
        base = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + 30
            while True:
                try:
                    with urllib.request.urlopen(f"{base}/healthz", timeout=2) as response:
                        if response.status == 200:
                            break
                except OSError:
                    if time.monotonic() > deadline:
                        print("ecs-why serve did not start", file=sys.stderr)
                        return 1
                    time.sleep(0.2)
            for text in COMMANDS:  # warm up: imports, first AWS client, first Redis connection
                send(base, slash_command(text, response_url=slack.response_url("warm")), SECRET)
            time.sleep(args.slow_post + 1)  # the warm-up's diagnoses finish
            warm_memory = tree_memory_mb(process.pid)

            def one(i: int) -> tuple[int, float]:
                text = COMMANDS[i % len(COMMANDS)]
                request = slash_command(text, user_id=f"U{i:05d}", response_url=slack.response_url(f"b{i}"))
                status, _body, elapsed = send(base, request, SECRET, timeout=30)
                return status, elapsed

            started = time.perf_counter()
            with ThreadPoolExecutor(max_workers=threads) as pool:
                results = list(pool.map(one, range(requests)))
            wall = time.perf_counter() - started
            in_flight = len(slack.calls("chat.postMessage"))
            deadline, seen = time.monotonic() + 180, -1  # the diagnoses finish before memory is read
            while time.monotonic() < deadline and len(slack.calls("chat.postMessage")) != seen:
                seen = len(slack.calls("chat.postMessage"))
                time.sleep(args.slow_post + 1)
            end_memory = tree_memory_mb(process.pid)
            diagnoses = len(slack.calls("chat.postMessage"))
        finally:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
            redis_server.stop()
            log.close()
            tail = (Path(tmp) / "serve.log").read_text()[-3000:]
            starved = (Path(tmp) / "serve.log").read_text().count("didn't call ack()")
            if starved:
                print(f'serve log: {starved} x "ack_command didn\'t call ack()" (ack not run within 3 s)')
            if "Traceback" in tail:
                print("serve log tail:\n" + tail, file=sys.stderr)

    latencies = [elapsed * 1000 for _status, elapsed in results]  # every request, answered or not
    errors = sum(1 for status, _ in results if status != 200)
    codes: dict[int, int] = {}
    for status, _ in results:
        codes[status] = codes.get(status, 0) + 1
    print("status codes:", codes)
    print(f"requests={requests} threads={threads} slow chat.postMessage={args.slow_post}s wall={wall:.1f}s")
    print(f"non-200={errors}  chat.postMessage calls reached the fake during the run: {in_flight}")
    if latencies:
        print(
            f"ack latency ms: p50={percentile(latencies, 50):.1f} p95={percentile(latencies, 95):.1f} "
            f"p99={percentile(latencies, 99):.1f} max={max(latencies):.1f} mean={statistics.mean(latencies):.1f}"
        )
        p99 = percentile(latencies, 99)
        print("target p99 < 100 ms:", "met" if p99 < 100 else "NOT met")
    after = f"after the run ({diagnoses} chat.postMessage calls)"
    for label, (rss, pss, count, each) in (("after warm-up", warm_memory), (after, end_memory)):
        split = ", ".join(f"{mb:.0f}" for mb in each)
        print(f"memory of serve + its workers {label}: PSS {pss:.0f} MB, RSS {rss:.0f} MB ({count} processes: {split})")
    print("target serve + workers < 300 MB (PSS):", "met" if end_memory[1] < 300 else "NOT met")
    return 0 if errors == 0 else 1


if __name__ == "__main__":
    raise SystemExit(main())
