"""What one Slack ack costs the serving process: CPU time and instructions per request, over HTTP.

Why (issue #16, ack p99 < 50 ms with 16 senders): the senders queue on `ecs-why serve`, so an ack's
latency is about 16 × serve's time per ack (bench/ack_latency.py shows it); serve must spend well under
1 ms per ack. On this shared machine wall times move with the load; the instructions do not.

The app is what `ecs-why serve` runs (build_web_app, waitress through GracefulServer with its 16
threads), against a throwaway redis-server and the fake Slack Web API, without job workers (the jobs
stay queued: the ack is measured, not the diagnosis). A separate process sends N signed `/ecs-why`
commands, 16 at a time, as bench/ack_latency.py does: half diagnoses (a job each), half answered by the
ack itself (help, a typo). `--path healthz` sends GET /healthz instead: the HTTP server's own share.
`--instructions` runs the serving side under valgrind's callgrind, counting only during the burst (the
senders are not counted).

    .venv/bin/python bench/ack_cost.py [--requests 1000] [--path slack|healthz] [--instructions]
"""

from __future__ import annotations

import argparse
import logging
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

SECRET = "bench-signing-secret"
TEXTS = ["web --cluster demo", "help", "checkout --cluster demo", "web --clutser demo"]
SENDERS = 16
TARGET_MS = 1.0  # serve's time per ack that 16 queued senders need for p99 < 50 ms (see bench/ack_latency.py)


def send_all(base: str, path: str, count: int, first_user: int) -> list[float]:
    """In the sender process: `count` requests, SENDERS at a time → the milliseconds of each."""
    import http.client

    from tests.fakes.slack_requests import send, slash_command

    port = int(base.rsplit(":", 1)[1])

    def one(i: int) -> float:
        if path == "healthz":
            started = time.perf_counter()
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
            connection.request("GET", "/healthz")
            connection.getresponse().read()
            connection.close()
            return (time.perf_counter() - started) * 1000
        request = slash_command(TEXTS[i % len(TEXTS)], user_id=f"U{first_user + i:05d}")
        status, _body, elapsed = send(base, request, SECRET, timeout=60)
        if status != 200:
            raise SystemExit(f"an ack answered HTTP {status}")
        return elapsed * 1000

    with ThreadPoolExecutor(SENDERS) as pool:
        return list(pool.map(one, range(count)))


def sender_main(base: str, path: str, count: int) -> None:
    """The sender process: warm up, say READY, send the burst on a line from stdin, print its timings."""
    send_all(base, path, 40, 0)
    print("READY", flush=True)
    sys.stdin.readline()
    ms = sorted(send_all(base, path, count, 100_000))
    print(f"{ms[len(ms) // 2]:.1f} {ms[min(len(ms) - 1, round(0.99 * (len(ms) - 1)))]:.1f}", flush=True)


def cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def usage_now() -> tuple[float, float, int]:
    """(user CPU seconds, system CPU seconds, context switches) of this process so far, all threads."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime, usage.ru_stime, usage.ru_nvcsw + usage.ru_nivcsw


def callgrind(on: bool) -> None:
    """Start or stop counting instructions (only when this process runs under callgrind)."""
    if os.environ.get("ACK_COST_CALLGRIND"):
        subprocess.run(
            ["callgrind_control", "-i", "on" if on else "off", str(os.getpid())],
            check=True,
            stdout=subprocess.DEVNULL,
        )


def serve_and_measure(path: str, count: int) -> None:
    """The serving side: the app as `ecs-why serve` builds it, one burst from the sender process."""
    from tests.conftest import _free_port, start_redis_server
    from tests.fakes.slack_api import FakeSlackApi

    with tempfile.TemporaryDirectory() as tmp, FakeSlackApi() as slack:
        redis_server = start_redis_server(Path(tmp))
        env = {"SLACK_BOT_TOKEN": "xoxb-bench", "SLACK_SIGNING_SECRET": SECRET, "SLACK_API_URL": slack.base_url,
               "REDIS_URL": redis_server.url, "AWS_DEFAULT_REGION": "us-east-1", "AWS_ACCESS_KEY_ID": "bench",
               "AWS_SECRET_ACCESS_KEY": "bench", "AWS_EC2_METADATA_DISABLED": "true"}  # fmt: skip
        try:
            os.environ.update(env)
            from bot.app import build_web_app
            from bot.logs import setup_logging
            from bot.serving import GracefulServer
            from bot.settings import Settings

            settings = Settings()
            setup_logging(settings.log_level, settings.log_format)
            with open(os.devnull, "w") as devnull:
                handler = logging.getLogger().handlers[0]
                assert isinstance(handler, logging.StreamHandler)
                handler.setStream(devnull)  # one line per ack, as serve writes it, to nowhere
                web = build_web_app(settings, start_workers=False)
                port = _free_port()
                server = GracefulServer(web, "127.0.0.1", port, grace_seconds=1)
                threading.Thread(target=server.server.run, daemon=True).start()
                base = f"http://127.0.0.1:{port}"
                sender = subprocess.Popen(
                    [sys.executable, __file__, "--sender", base, "--path", path, "--requests", str(count)],
                    stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, cwd=ROOT, env={**os.environ},
                )  # fmt: skip
                assert sender.stdin is not None and sender.stdout is not None
                if sender.stdout.readline().strip() != "READY":
                    raise SystemExit("the sender process did not start")
                callgrind(True)
                cpu, started, usage = cpu_seconds(), time.perf_counter(), usage_now()
                sender.stdin.write("go\n")
                sender.stdin.flush()
                p50, p99 = sender.stdout.readline().split()
                cpu, wall = cpu_seconds() - cpu, time.perf_counter() - started
                user, system, switches = (
                    after - before for after, before in zip(usage_now(), usage, strict=True)
                )
                callgrind(False)
                sender.wait()
                server.server.close()
                web.close()
        finally:
            redis_server.stop()
    per = "ack" if path == "slack" else "request"
    if os.environ.get("ACK_COST_CALLGRIND"):
        return  # times under valgrind say nothing: the instructions are the figure
    print(
        f"{count} {'/ecs-why commands' if path == 'slack' else 'GET /healthz'}, {SENDERS} at a time: serve's CPU "
        f"{cpu * 1000 / count:.3f} ms per {per}, wall {wall * 1000 / count:.3f} ms per {per}; "
        f"latency p50 {p50} ms, p99 {p99} ms; load average {os.getloadavg()[0]:.1f}\n"
        f"  of which user {user * 1000 / count:.3f} ms, system {system * 1000 / count:.3f} ms; "
        f"{switches / count:.1f} context switches per {per} (threads handing the GIL and the sockets over)"
    )
    if path == "slack":
        met = cpu * 1000 / count < TARGET_MS
        print(f"target: serve under {TARGET_MS:.1f} ms of CPU per ack:", "met" if met else "NOT met")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=1000, help="requests in the measured burst")
    parser.add_argument("--path", choices=["slack", "healthz"], default="slack")
    parser.add_argument("--instructions", action="store_true", help="count serve's instructions (callgrind)")
    parser.add_argument("--sender", metavar="BASE_URL", help=argparse.SUPPRESS)
    args = parser.parse_args()
    count = max(1, min(args.requests, 100_000))
    if args.sender:
        sender_main(args.sender, args.path, count)
        return 0
    if not args.instructions:
        serve_and_measure(args.path, count)
        return 0
    if shutil.which("valgrind") is None or shutil.which("callgrind_control") is None:
        raise SystemExit("--instructions needs valgrind (apt-get install valgrind)")
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "callgrind.out"
        run = subprocess.run(
            ["valgrind", "--tool=callgrind", "--instr-atstart=no", f"--callgrind-out-file={out}",
             sys.executable, __file__, "--path", args.path, "--requests", str(count)],
            env={**os.environ, "ACK_COST_CALLGRIND": "1"}, capture_output=True, text=True, cwd=ROOT,
        )  # fmt: skip
        print(run.stdout, end="")
        collected = [line for line in run.stderr.splitlines() if "Collected :" in line]
        if run.returncode or not collected:
            raise SystemExit(f"callgrind failed:\n{run.stderr[-3000:]}")
        instructions = int(collected[-1].split(":")[-1].replace(",", ""))
    per = "ack" if args.path == "slack" else "request"
    print(
        f"serve's instructions per {per} (callgrind, senders not counted): {instructions / count / 1e6:.2f} M"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
