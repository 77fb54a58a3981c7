"""Sidecars marked essential: a proxy, agent or log router whose exit stops the app's task with it."""

from __future__ import annotations

import re
from collections.abc import Iterator

from diagnosis.knowledge.base import TASKDEF_PARAMS
from diagnosis.prevent.model import Subject, Violation
from diagnosis.prevent.rules.base import Rule
from diagnosis.prevent.rules.fixes import Edit, edit_fix
from diagnosis.prevent.values import as_bool, as_str

# Images (repository names) of the common sidecars, and what they are.
SIDECARS = (
    (re.compile(r"(aws-appmesh-envoy|envoyproxy/envoy|(^|/)envoy($|:))"), "Envoy proxy"),
    (re.compile(r"(datadog/agent|datadoghq/agent|(^|/)dd-agent)"), "Datadog agent"),
    (re.compile(r"(aws-for-fluent-bit|fluent/fluent-bit|(^|/)fluent-?bit|fluentd)"), "log router"),
    (re.compile(r"(aws-xray-daemon|xray-daemon|(^|/)xray($|:))"), "X-Ray daemon"),
    (re.compile(r"(aws-otel-collector|opentelemetry-collector|otel/)"), "OpenTelemetry collector"),
    (re.compile(r"cloudwatch-agent"), "CloudWatch agent"),
)


def sidecar_kind(container: dict[str, object]) -> str:
    if container.get("firelensConfiguration"):
        return "log router"
    image = (as_str(container.get("image")) or "").lower()
    return next((kind for pattern, kind in SIDECARS if pattern.search(image)), "")


def essential_sidecar(subject: Subject) -> Iterator[Violation]:
    kinds = {str(c.get("name", "")): sidecar_kind(c) for c in subject.containers}
    apps = [name for name, kind in kinds.items() if not kind]
    if not apps:
        return  # the task is the sidecar (a daemon service): its exit is the task's
    for container in subject.containers:
        name = str(container.get("name", ""))
        essential = as_bool(container.get("essential"))
        if (
            not kinds[name]
            or essential is False
            or (container.get("essential") is not None and essential is None)
        ):
            continue
        yield Violation(
            f"container {name} ({kinds[name]}) is essential (the default): if it exits, ECS stops the whole "
            f"task, app container {apps[0]} included",
            edit_fix(
                subject,
                Edit("essential", False, name),
                Edit("dependsOn", {"containerName": name, "condition": "START"}, apps[0], append=True),
            ),
            container=name,
        )


RULES = (
    Rule(
        "essential_sidecar",
        "Sidecar marked essential",
        "warning",
        "Every container is essential unless it says otherwise, and an essential container's exit stops the "
        "task. A crashing agent, proxy or log router then takes the app down with it; mark it essential "
        "false and order the start with dependsOn (accept the finding with --ignore where the app truly "
        "cannot serve without it, as with a service mesh proxy).",
        ("app_error", "container_start_failure"),
        essential_sidecar,
        (TASKDEF_PARAMS + "#container_definition_essential",),
    ),
)
