"""Plain task definitions and services for the prevention tests: a good Fargate one by default, changed
by keyword (containers replace, task attributes merge)."""

from __future__ import annotations

import json
from typing import Any

from diagnosis.prevent.inputs import read_subjects
from diagnosis.prevent.model import RuleResult, Subject
from diagnosis.prevent.rules import OFFLINE
from diagnosis.prevent.run import check_subjects

REGISTRY = "111122223333.dkr.ecr.eu-west-1.amazonaws.com"
EXECUTION_ROLE = "arn:aws:iam::111122223333:role/ecsTaskExecutionRole"


def container(name: str = "app", **changes: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "name": name,
        "image": f"{REGISTRY}/{name}:1.4.2",
        "essential": True,
        "portMappings": [{"containerPort": 8080, "protocol": "tcp"}],
        "logConfiguration": {
            "logDriver": "awslogs",
            "options": {
                "awslogs-group": f"/ecs/{name}",
                "awslogs-region": "eu-west-1",
                "awslogs-stream-prefix": "ecs",
            },
        },
    }
    base.update(changes)
    return {k: v for k, v in base.items() if v is not None}


def taskdef(*containers: dict[str, Any], **changes: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "family": "web",
        "networkMode": "awsvpc",
        "requiresCompatibilities": ["FARGATE"],
        "cpu": "512",
        "memory": "1024",
        "executionRoleArn": EXECUTION_ROLE,
        "containerDefinitions": list(containers) or [container()],
    }
    base.update(changes)
    return {k: v for k, v in base.items() if v is not None}


def service(**changes: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "serviceName": "web",
        "clusterArn": "arn:aws:ecs:eu-west-1:111122223333:cluster/prod",
        "deploymentConfiguration": {"deploymentCircuitBreaker": {"enable": True, "rollback": True}},
        "networkConfiguration": {
            "awsvpcConfiguration": {"subnets": ["subnet-a", "subnet-b"], "securityGroups": ["sg-1"]}
        },
    }
    base.update(changes)
    return base


def subject(definition: dict[str, Any], **changes: Any) -> Subject:
    text = json.dumps(definition, indent=2)
    found = read_subjects(text, "taskdef.json")[0]
    return Subject(**{**found.__dict__, **changes})


def results(
    definition: dict[str, Any] | Subject, rule: str | None = None, **changes: Any
) -> list[RuleResult]:
    target = definition if isinstance(definition, Subject) else subject(definition, **changes)
    report = check_subjects([target], OFFLINE)
    return [r for r in report.results if rule is None or r.rule == rule]


def rule_ids(definition: dict[str, Any] | Subject, **changes: Any) -> set[str]:
    return {r.rule for r in results(definition, **changes)}
