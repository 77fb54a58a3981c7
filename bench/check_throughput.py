"""`ecs-why check` benchmarks: offline task definitions a second, and a live check's AWS calls and rounds.

Target (issue 13): 200 task definitions a second offline, through read (JSON) → every offline rule →
results. Run: .venv/bin/python bench/check_throughput.py   (taskset -c 1 … to hold it to one core)

The task definitions are generated: Fargate and EC2, one to four containers (apps and the common
sidecars), with and without health checks, secrets, log configurations, read-only roots, drains and
invalid sizes, each with its own family and image tags, so no cache keys on one. Three offline figures,
each the median of several runs: one file per task definition; one file holding all of them (a JSON list);
and the real CLI process on that file (start-up included). Then the live check of every demo sandbox
service (moto on 127.0.0.1): calls, rounds and wall time.
"""

from __future__ import annotations

import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from diagnosis.prevent.run import check_files

ROOT = Path(__file__).resolve().parents[1]
TARGET = 200
REGISTRY = "111122223333.dkr.ecr.eu-west-1.amazonaws.com"
COUNT = 200
SIDECARS = (
    "public.ecr.aws/aws-observability/aws-for-fluent-bit:2.32.0",
    "public.ecr.aws/datadog/agent:7",
    "amazon/aws-xray-daemon:3.3.7",
    "public.ecr.aws/appmesh/aws-appmesh-envoy:v1.27.0.0-prod",
)


def task_definition(i: int, rng: random.Random) -> dict[str, Any]:
    fargate = rng.random() < 0.7
    cpu, memory = rng.choice(
        [("256", "512"), ("512", "1024"), ("1024", "3072"), ("256", "4096"), ("2048", "4096")]
    )
    app: dict[str, Any] = {
        "name": f"app{i}",
        "image": f"{REGISTRY}/svc{i}:{rng.choice([f'v1.{i}', 'latest', '2.0-arm64'])}",
        "essential": True,
        "portMappings": [{"containerPort": 8000 + i % 100}],
        "environment": [{"name": "GRACEFUL_TIMEOUT", "value": str(rng.choice([10, 45, 90]))}],
    }
    if rng.random() < 0.7:
        app["logConfiguration"] = {
            "logDriver": "awslogs",
            "options": {"awslogs-group": f"/ecs/svc{i}", "awslogs-region": "eu-west-1"},
        }
    if rng.random() < 0.5:
        app["healthCheck"] = {
            "command": ["CMD-SHELL", "curl -f localhost/health"],
            "interval": 10,
            "retries": 3,
        }
    if rng.random() < 0.3:
        app["secrets"] = [
            {"name": "DB", "valueFrom": f"arn:aws:secretsmanager:us-east-1:999988887777:secret:db{i}-AbCdEf"}
        ]
    if rng.random() < 0.2:
        app["readonlyRootFilesystem"] = True
    containers = [app] + [
        {"name": f"side{j}", "image": rng.choice(SIDECARS), "memory": 128} for j in range(rng.randint(0, 3))
    ]
    definition: dict[str, Any] = {
        "family": f"svc{i}",
        "networkMode": "awsvpc" if fargate else "bridge",
        "requiresCompatibilities": ["FARGATE" if fargate else "EC2"],
        "containerDefinitions": containers,
    }
    if fargate or rng.random() < 0.5:
        definition.update(cpu=cpu, memory=memory)
    if rng.random() < 0.8:
        definition["executionRoleArn"] = "arn:aws:iam::111122223333:role/ecsTaskExecutionRole"
    return definition


def median_rate(run: Any, count: int, repeat: int = 5) -> tuple[float, int]:
    rates, results = [], 0
    for _ in range(repeat):
        started = time.perf_counter()
        results = run()
        rates.append(count / (time.perf_counter() - started))
    return statistics.median(rates), results


def offline() -> None:
    rng = random.Random(13)
    definitions = [task_definition(i, rng) for i in range(COUNT)]
    files = [(f"td{i}.json", json.dumps(d, indent=2)) for i, d in enumerate(definitions)]
    one = [("all.json", json.dumps(definitions, indent=2))]
    each, results = median_rate(lambda: len(check_files(files).results), COUNT)
    print(f"offline, one file each:   {each:8.0f} task definitions/s ({results} results; target {TARGET}/s)")
    together, _ = median_rate(lambda: len(check_files(one).results), COUNT)
    print(f"offline, one JSON list:   {together:8.0f} task definitions/s")
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "all.json"
        path.write_text(one[0][1])
        walls = []
        for _ in range(3):
            started = time.perf_counter()
            proc = subprocess.run(
                [sys.executable, "-m", "bot.cli", "check", str(path), "-f", "sarif"],
                capture_output=True,
                text=True,
                cwd=ROOT,
                check=False,
            )
            walls.append(time.perf_counter() - started)
            assert proc.returncode in (0, 1), proc.stderr
    wall = statistics.median(walls)
    print(
        f"CLI process, {COUNT} in one file (SARIF): {wall * 1000:6.0f} ms wall = {COUNT / wall:.0f}/s with start-up"
    )
    verdict = "meets" if min(each, together) >= TARGET else "MISSES"
    print(f"-> {verdict} the {TARGET}/s target")


def live() -> None:
    from bot.demo.sandbox import running_sandbox, sandbox_env
    from diagnosis.prevent.live import check_service

    with running_sandbox() as sandbox:
        os.environ.update(sandbox_env(sandbox.endpoint_url))
        print("\nlive check of each demo service (moto on 127.0.0.1):")
        for name in sandbox.sandbox.services:
            started = time.perf_counter()
            report = check_service(sandbox.session, name, cluster=sandbox.sandbox.cluster)
            wall = (time.perf_counter() - started) * 1000
            print(
                f"  {name:<10} {report.stats.api_calls:3d} calls in {report.stats.rounds} rounds, {wall:5.0f} ms; "
                f"{len(report.errors)} errors, {len(report.warnings)} warnings"
            )


if __name__ == "__main__":
    offline()
    if "--offline" not in sys.argv:
        live()
