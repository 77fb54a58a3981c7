"""One diagnosis per taxonomy category, from real-looking input: a corpus case, a gathered wording, or a
plausible stopped task. `build(category)` runs it through `diagnosis.parse` and `diagnosis.engine`."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from diagnosis.engine import diagnose
from diagnosis.models import Diagnosis
from diagnosis.parse import parse_document
from tests.builders.documents import as_document

DATA = Path(__file__).resolve().parents[1] / "diagnosis" / "data"
TASK = "arn:aws:ecs:us-east-1:123456789012:task/prod/0f1e2d3c4b5a69788796a5b4c3d2e1f0"

# category → where its input comes from: ("corpus", id), ("wording", id) or ("task", extra fields)
SOURCES: dict[str, tuple[str, Any]] = {
    "agent_or_docker_daemon": ("wording", "w072"),
    "app_error": ("corpus", "s09"),
    "clean_exit": ("corpus", "s14"),
    "command_not_found": ("corpus", "s10"),
    "container_health_check": ("corpus", "s18"),
    "container_start_failure": ("corpus", "s24"),
    "elb_health_check": ("corpus", "s17"),
    "eni_or_subnet": ("corpus", "s06"),
    "fargate_capacity_or_quota": ("corpus", "s28"),
    "graceful_sigterm": (
        "task",
        {
            "stopCode": "EssentialContainerExited",
            "stoppedReason": "Essential container in task exited",
            "containers": [{"name": "app", "lastStatus": "STOPPED", "exitCode": 143}],
        },
    ),
    "image_not_found": ("corpus", "s01"),
    "image_platform_mismatch": ("corpus", "s31"),
    "image_pull_auth": ("corpus", "s03"),
    "image_pull_network": ("corpus", "s29"),
    "infra_maintenance": ("corpus", "s21"),
    "instance_terminated_or_drained": ("wording", "w022"),
    "invalid_task_definition_or_parameter": ("wording", "w014"),
    "log_driver_init": ("corpus", "s30"),
    "oom": ("corpus", "s07"),
    "other": ("wording", "w012"),
    "placement_constraint_or_no_instances": ("corpus", "s27"),
    "placement_insufficient_resources": ("corpus", "s19"),
    "registry_rate_limit": ("corpus", "s04"),
    "runtime_timeout": ("corpus", "s25"),
    "scaling_or_deployment": ("corpus", "s13"),
    "secrets_retrieval": ("corpus", "s05"),
    "segfault": ("corpus", "s12"),
    # always a side observation (secondary): a task ECS was stopping anyway that had to be SIGKILLed
    "sigkill_stop_timeout": (
        "task",
        {
            "stopCode": "UserInitiated",
            "stoppedReason": "Task stopped by user",
            "containers": [{"name": "app", "lastStatus": "STOPPED", "exitCode": 137}],
        },
    ),
    "spot_interruption": ("corpus", "s23"),
    "storage_exhausted": ("wording", "w003"),
    "user_stopped": ("corpus", "s22"),
    "volume_mount": ("corpus", "s26"),
}


def _jsonl(name: str) -> dict[str, dict[str, Any]]:
    lines = (DATA / name).read_text().splitlines()
    return {row["id"]: row for row in (json.loads(line) for line in lines if line.strip())}


def document(category: str) -> Any:
    kind, ref = SOURCES[category]
    if kind == "corpus":
        return _jsonl("corpus_cases.jsonl")[ref]["input"]
    if kind == "wording":
        return as_document({**_jsonl("wordings.jsonl"), **_jsonl("wordings_more.jsonl")}[ref])
    return {
        "taskArn": TASK,
        "clusterArn": "arn:aws:ecs:us-east-1:123456789012:cluster/prod",
        "group": "service:web",
        "taskDefinitionArn": "arn:aws:ecs:us-east-1:123456789012:task-definition/web:7",
        "launchType": "FARGATE",
        "lastStatus": "STOPPED",
        "desiredStatus": "STOPPED",
        **ref,
    }


def build(category: str) -> Diagnosis:
    return diagnose(parse_document(document(category)))
