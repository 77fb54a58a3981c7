"""`ecs-why check SERVICE`: the offline rules plus the diagnosis engine's live checks, on the task the next
deployment would start (the service's current task definition, or `--task-definition`).

The same collector as a diagnosis reads the account: rounds 1–2 (the service, its tasks, its task
definitions), then rounds 3–4 planned from the needs of the checks the live rules run (`Rule.uses`), for
the planned task. AWS failures become gaps; only an unusable target raises (`TargetError`).
"""

from __future__ import annotations

from collections.abc import Iterable, MutableMapping, Sequence
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

import boto3

from diagnosis.checks.evidence import LiveEvidence
from diagnosis.collect.aws import Aws, Call
from diagnosis.collect.cause_evidence import gather
from diagnosis.collect.plan import Plan
from diagnosis.collect.reading import reading
from diagnosis.collect.service_tasks import Core
from diagnosis.collect.target import TargetError
from diagnosis.models import Target
from diagnosis.prevent.model import CheckReport, CheckStats, Subject
from diagnosis.prevent.rules import ALL, LIVE
from diagnosis.prevent.rules.live import needs_of_rules
from diagnosis.prevent.run import check_subjects


def check_service(
    session: boto3.Session,
    target: str,
    cluster: str | None = None,
    region: str | None = None,
    task_definition: str | None = None,
    default_clusters: list[str] | None = None,
    ignore: Iterable[str] = (),
    cache: MutableMapping[str, dict[str, Any]] | None = None,
    regions: Sequence[str] = (),
) -> CheckReport:
    """With several `regions` and no region in the target or `region`, the service is looked for in each."""
    with reading(session, target, cluster, region, regions, default_clusters, service_for="check") as read:
        aws, spec = read.aws, read.spec
        core = read.service(cache)
        service = core.service or {}
        arn, definition = _definition(aws, core, task_definition or str(service.get("taskDefinition", "")))
        if definition is None:
            raise TargetError(f"could not read task definition {arn}: {read.why_not()}")
        planned = planned_task(core, arn, definition)
        parts = arn.split(":")
        subject = Subject(
            name=arn.rsplit("/", 1)[-1],
            task_definition=definition,
            kind="live",
            service=service,
            region=aws.region,
            account=parts[4] if len(parts) > 5 else "",
        )
        wanted = needs_of_rules(LIVE, subject)
        wave_core = Core(spec=spec, service=service, tasks=[planned], task_definitions={arn: definition})
        evidence = LiveEvidence(
            region=aws.region, service=service, tasks=[planned], task_definitions={arn: definition}
        )
        categories = sorted({c for causes in wanted.values() for c in causes})
        gather(aws, Plan(wave_core, evidence, wanted, categories), cache)
        subject = replace(
            subject,
            target_groups=tuple(evidence.target_groups),
            subnets=tuple(evidence.subnets),
            evidence=evidence,
        )
        report = check_subjects([subject], ALL, ignore)
        return report.model_copy(
            update={
                "target": Target(
                    account=subject.account or None,
                    region=aws.region,
                    cluster=spec.cluster,
                    service=spec.service,
                ),
                "gaps": read.gaps(evidence.gaps),
                "stats": CheckStats(subjects=1, rules_run=len(ALL), **read.stats()),
            }
        )


def planned_task(core: Core, arn: str, definition: dict[str, Any]) -> dict[str, Any]:
    """The task the next deployment would start, in the describe-tasks shape the collector plans from.

    It carries the ARN of the newest task of that revision that started (a running one first), when
    there is one, so the log the checks read (the app's start time against the health checks) is a real
    start's; its subnets are the service's. It is marked STOPPED because the collector reads what a
    stopped task would need: the question is whether it would stop.
    """
    started = [
        t for t in core.tasks if t.get("startedAt") and t.get("taskDefinitionArn") == arn and t.get("taskArn")
    ]
    newest = max(
        started,
        key=lambda t: (t.get("lastStatus") == "RUNNING", str(t.get("startedAt") or "")),
        default={},
    )
    service = core.service or {}
    config = (service.get("networkConfiguration") or {}).get("awsvpcConfiguration") or {}
    return {
        "taskArn": newest.get("taskArn") or f"{arn.split(':task-definition/')[0]}:task/planned",
        "taskDefinitionArn": arn,
        "group": f"service:{service.get('serviceName', '')}",
        "lastStatus": "STOPPED",
        "createdAt": datetime.now(UTC),
        "launchType": service.get("launchType", ""),
        "containers": [{"name": c.get("name")} for c in definition.get("containerDefinitions") or []],
        "attachments": [
            {
                "type": "ElasticNetworkInterface",
                "details": [{"name": "subnetId", "value": s} for s in config.get("subnets") or []],
            }
        ],
    }


def _definition(aws: Aws, core: Core, wanted: str) -> tuple[str, dict[str, Any] | None]:
    """The task definition to check: read already (the service's), or one more call (--task-definition)."""
    for arn, definition in core.task_definitions.items():
        if wanted in (arn, arn.rsplit("/", 1)[-1]):
            return str(definition.get("taskDefinitionArn") or arn), definition
    outcome = aws.round(
        {"td": Call("ecs", "describe_task_definition", {"taskDefinition": wanted}, "task definition")}
    )["td"]
    read = (outcome.data or {}).get("taskDefinition")
    if not isinstance(read, dict):
        return wanted, None
    return str(read.get("taskDefinitionArn") or wanted), read
