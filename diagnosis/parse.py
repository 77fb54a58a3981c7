"""Reads the JSON documents people paste (or the APIs return) into `Observations`.

Accepted shapes, with field names as the AWS API and CLI write them: one task (an element of
describe-tasks → tasks), a describe-tasks response, a JSON list of tasks, an EventBridge event ("ECS Task
State Change", "ECS Service Action", "ECS Deployment State Change"), a describe-services response, or one
service object. Anything else raises `InputError`, whose message says what was expected.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any, TypeGuard

from diagnosis.models import (
    ActionEvent,
    ContainerDraft,
    ContainerFacts,
    DeploymentFacts,
    Observations,
    ServiceEvent,
    ServiceFacts,
    TaskDraft,
    TaskFacts,
    finished,
)

ACCEPTED_SHAPES = (
    "a task object (one element of `aws ecs describe-tasks` → tasks), a describe-tasks response, "
    'a JSON list of tasks, an EventBridge event of type "ECS Task State Change", "ECS Service Action" '
    'or "ECS Deployment State Change", a describe-services response, or one service object'
)


class InputError(ValueError):
    """The input is not something ecs-why can read; the message says what it takes instead."""


def parse_text(text: str) -> Observations:
    """Parse a JSON text; every failure is an `InputError` with a one-line message."""
    if not text.strip():
        raise InputError(f"the input is empty; expected {ACCEPTED_SHAPES}")
    try:
        doc = json.loads(text)
    except (ValueError, RecursionError) as exc:
        raise InputError(f"the input is not JSON ({_short(exc)}); expected {ACCEPTED_SHAPES}") from None
    return parse_document(doc)


def parse_document(doc: object) -> Observations:
    try:
        return _parse(doc)
    except InputError:
        raise
    except (TypeError, ValueError, AttributeError, KeyError, RecursionError) as exc:
        raise InputError(
            f"the JSON looks like an ECS document but {_short(exc)}; expected {ACCEPTED_SHAPES}, "
            "with fields as the AWS CLI prints them"
        ) from None


def _parse(doc: object) -> Observations:
    if isinstance(doc, list):
        if doc and all(_is_task(item) for item in doc):
            return Observations(kind="task list", tasks=tuple(task_facts(t) for t in doc))
        if doc and all(isinstance(item, Mapping) and _is_service(item) for item in doc):
            return Observations(kind="service list", services=tuple(service_facts(s) for s in doc))
        raise InputError(f"the JSON is a list, but not of ECS tasks; expected {ACCEPTED_SHAPES}")
    if not _is_mapping(doc):
        raise InputError(f"the JSON is {_kind(doc)}; expected {ACCEPTED_SHAPES}")
    if "detail-type" in doc and isinstance(doc.get("detail"), Mapping):
        return _parse_event(doc)
    if isinstance(doc.get("tasks"), list):
        tasks = [t for t in doc["tasks"] if _is_mapping(t)]
        if not tasks and not doc["tasks"]:
            raise InputError("the describe-tasks response holds no tasks (`tasks` is empty)")
        if len(tasks) != len(doc["tasks"]) or not all(_is_task(t) for t in tasks):
            raise InputError("`tasks` holds entries that are not ECS task objects")
        return Observations(kind="describe-tasks response", tasks=tuple(task_facts(t) for t in tasks))
    if isinstance(doc.get("services"), list):
        services = [s for s in doc["services"] if isinstance(s, Mapping)]
        if not services or not all(_is_service(s) for s in services):
            raise InputError("the describe-services response holds no service objects")
        return Observations(
            kind="describe-services response", services=tuple(service_facts(s) for s in services)
        )
    if _is_task(doc):
        return Observations(kind="task", tasks=(task_facts(doc),))
    if _is_service(doc):
        return Observations(kind="service", services=(service_facts(doc),))
    raise InputError(f"the JSON is an object of no known shape; expected {ACCEPTED_SHAPES}")


def _parse_event(doc: Mapping[str, Any]) -> Observations:
    detail_type = str(doc.get("detail-type", ""))
    detail = doc["detail"]
    region = _s(doc.get("region"), "region")
    account = _s(doc.get("account"), "account")
    if detail_type == "ECS Task State Change":
        if not _is_task(detail):
            raise InputError("the ECS Task State Change event's `detail` is not a task")
        return Observations(kind="ECS Task State Change event", tasks=(task_facts(detail, region, account),))
    if detail_type in ("ECS Service Action", "ECS Deployment State Change"):
        resources = [r for r in doc.get("resources") or [] if isinstance(r, str)]
        cluster, service = _service_from_arn(resources[0] if resources else "")
        cluster = _name_from_arn(_s(detail.get("clusterArn"), "clusterArn")) or cluster
        action = ActionEvent(
            kind="deployment" if detail_type == "ECS Deployment State Change" else "service_action",
            event_name=_s(detail.get("eventName"), "eventName"),
            event_type=_s(detail.get("eventType"), "eventType"),
            reason=_s(detail.get("reason"), "reason"),
            service=service,
            cluster=cluster,
            deployment_id=_s(detail.get("deploymentId"), "deploymentId"),
            time=_time(doc.get("time") or detail.get("updatedAt")),
            region=region,
            account=account,
        )
        return Observations(kind=f"{detail_type} event", actions=(action,))
    raise InputError(
        f"EventBridge events of type {detail_type!r} are not ECS stop signals; "
        'expected "ECS Task State Change", "ECS Service Action" or "ECS Deployment State Change"'
    )


def _is_task(doc: Mapping[str, Any]) -> bool:
    return _is_mapping(doc) and (
        "taskArn" in doc
        or ("containers" in doc and ("lastStatus" in doc or "stoppedReason" in doc))
        or ("stoppedReason" in doc and "taskDefinitionArn" in doc)
    )


def _is_service(doc: Mapping[str, Any]) -> bool:
    return isinstance(doc, Mapping) and (
        ("serviceName" in doc or "serviceArn" in doc)
        and any(k in doc for k in ("events", "deployments", "desiredCount", "status"))
    )


def task_facts(doc: Mapping[str, Any], region: str = "", account: str = "") -> TaskFacts:
    get = doc.get
    task = TaskDraft()  # filled field by field, then frozen (diagnosis/models.py `finished`)
    task.task_arn = task_arn = _s(get("taskArn"), "taskArn")
    arn_region, arn_account = _region_account(task_arn)
    task.group = group = _s(get("group"), "group")
    task.service = group.split(":", 1)[1] if group.startswith("service:") else ""
    task.containers = tuple(_container(c) for c in get("containers") or [] if _is_mapping(c))
    task.cluster = _name_from_arn(_s(get("clusterArn"), "clusterArn")) or _cluster_from_task_arn(task_arn)
    task.task_definition_arn = _s(get("taskDefinitionArn"), "taskDefinitionArn")
    task.launch_type = _s(get("launchType"), "launchType")
    task.capacity_provider = _s(get("capacityProviderName"), "capacityProviderName")
    task.last_status = _s(get("lastStatus"), "lastStatus")
    task.desired_status = _s(get("desiredStatus"), "desiredStatus")
    task.stop_code = _s(get("stopCode"), "stopCode")
    task.stopped_reason = _s(get("stoppedReason"), "stoppedReason")
    task.created_at = _time(get("createdAt"))
    task.started_at = _time(get("startedAt"))
    task.stopping_at = _time(get("stoppingAt"))
    task.stopped_at = _time(get("stoppedAt"))
    task.cpu = _s(get("cpu"), "cpu")
    task.memory = _s(get("memory"), "memory")
    task.region = arn_region or region
    task.account = arn_account or account
    task.subnet_ids = _subnets(get("attachments"))
    task.platform_version = _s(get("platformVersion"), "platformVersion")
    return finished(task, TaskFacts)


def _container(doc: Mapping[str, Any]) -> ContainerFacts:
    get = doc.get
    container = ContainerDraft()
    container.name = _s(get("name"), "name")
    container.exit_code = _int_or_none(get("exitCode"))
    container.reason = _s(get("reason"), "reason")
    container.last_status = _s(get("lastStatus"), "lastStatus")
    container.image = _s(get("image"), "image")
    essential = get("essential")
    container.essential = essential if isinstance(essential, bool) else None
    return finished(container, ContainerFacts)


def _is_mapping(value: object) -> TypeGuard[Mapping[str, Any]]:
    """isinstance(value, Mapping), without the ABC check's Python frame for what JSON gives (a dict)."""
    return type(value) is dict or isinstance(value, Mapping)


def service_facts(doc: Mapping[str, Any]) -> ServiceFacts:
    arn = _s(doc.get("serviceArn"), "serviceArn")
    arn_region, arn_account = _region_account(arn)
    arn_cluster, arn_service = _service_from_arn(arn)
    deployment_config = doc.get("deploymentConfiguration") or {}
    breaker = (
        deployment_config.get("deploymentCircuitBreaker") if isinstance(deployment_config, Mapping) else None
    )
    return ServiceFacts(
        name=_s(doc.get("serviceName"), "serviceName") or arn_service,
        arn=arn,
        cluster=_name_from_arn(_s(doc.get("clusterArn"), "clusterArn")) or arn_cluster,
        status=_s(doc.get("status"), "status"),
        desired=_int_or_none(doc.get("desiredCount")),
        running=_int_or_none(doc.get("runningCount")),
        pending=_int(doc.get("pendingCount")),
        launch_type=_s(doc.get("launchType"), "launchType"),
        task_definition_arn=_s(doc.get("taskDefinition"), "taskDefinition"),
        events=tuple(
            ServiceEvent(
                message=_s(e.get("message"), "message"),
                created_at=_time(e.get("createdAt")),
                id=_s(e.get("id"), "id"),
            )
            for e in doc.get("events") or []
            if isinstance(e, Mapping) and e.get("message")
        ),
        deployments=tuple(
            DeploymentFacts(
                id=_s(d.get("id"), "id"),
                status=_s(d.get("status"), "status"),
                task_definition_arn=_s(d.get("taskDefinition"), "taskDefinition"),
                rollout_state=_s(d.get("rolloutState"), "rolloutState"),
                rollout_state_reason=_s(d.get("rolloutStateReason"), "rolloutStateReason"),
                desired=_int(d.get("desiredCount")),
                running=_int(d.get("runningCount")),
                failed_tasks=_int(d.get("failedTasks")),
                created_at=_time(d.get("createdAt")),
                updated_at=_time(d.get("updatedAt")),
            )
            for d in doc.get("deployments") or []
            if isinstance(d, Mapping)
        ),
        health_check_grace_period=_int_or_none(doc.get("healthCheckGracePeriodSeconds")),
        target_group_arns=tuple(
            _s(lb.get("targetGroupArn"), "targetGroupArn")
            for lb in doc.get("loadBalancers") or []
            if isinstance(lb, Mapping) and lb.get("targetGroupArn")
        ),
        circuit_breaker_enabled=_bool_or_none(breaker.get("enable"))
        if isinstance(breaker, Mapping)
        else None,
        circuit_breaker_rollback=_bool_or_none(breaker.get("rollback"))
        if isinstance(breaker, Mapping)
        else None,
        region=arn_region,
        account=arn_account,
    )


# --- small field readers: AWS documents are trusted for shape only, never for types --------------------


def _s(value: object, name: str = "") -> str:
    if type(value) is str:
        return value
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, (int, float, bool)):
        return str(value)
    where = f"`{name}`" if name else "a field"
    raise TypeError(f"{where} should be a string, not {_kind(value)}")


def _kind(value: object) -> str:
    names = {
        dict: "an object",
        list: "a list",
        str: "a string",
        int: "a number",
        float: "a number",
        bool: "a boolean",
        type(None): "null",
    }
    return names.get(type(value), type(value).__name__)


def _int(value: object) -> int:
    result = _int_or_none(value)
    return 0 if result is None else result


def _int_or_none(value: object) -> int | None:
    if type(value) is int:
        return value
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str) and value.strip().lstrip("-").isdigit():
        return int(value.strip())
    return None


def _bool_or_none(value: object) -> bool | None:
    return value if isinstance(value, bool) else None


def _time(value: object) -> str:
    """ISO 8601 in UTC; the API gives epoch seconds, the CLI ISO strings, boto3 datetimes."""
    if value is None or value == "":
        return ""
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat().replace("+00:00", "Z")
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        try:
            return datetime.fromtimestamp(float(value), UTC).isoformat().replace("+00:00", "Z")
        except (OverflowError, OSError, ValueError):
            return ""
    return _s(value)


def _name_from_arn(arn: str) -> str:
    return arn.rsplit("/", 1)[-1] if arn.startswith("arn:") else arn


def _region_account(arn: str) -> tuple[str, str]:
    parts = arn.split(":", 5)
    return (parts[3], parts[4]) if len(parts) == 6 and parts[0] == "arn" else ("", "")


def _cluster_from_task_arn(task_arn: str) -> str:
    """New-format task ARNs carry the cluster: arn:aws:ecs:REGION:ACCOUNT:task/CLUSTER/ID."""
    resource = task_arn.split(":", 5)[-1] if task_arn.startswith("arn:") else ""
    parts = resource.split("/")
    return parts[1] if len(parts) == 3 else ""


def _service_from_arn(arn: str) -> tuple[str, str]:
    """(cluster, service) from arn:…:service/CLUSTER/SERVICE (or the old arn:…:service/SERVICE)."""
    resource = arn.split(":", 5)[-1] if arn.startswith("arn:") else ""
    parts = resource.split("/")
    if len(parts) == 3 and parts[0] == "service":
        return parts[1], parts[2]
    if len(parts) == 2 and parts[0] == "service":
        return "", parts[1]
    return "", ""


def _subnets(attachments: object) -> tuple[str, ...]:
    found: list[str] = []
    if isinstance(attachments, Sequence) and not isinstance(attachments, str):
        for att in attachments:
            if not isinstance(att, Mapping):
                continue
            for detail in att.get("details") or []:
                if isinstance(detail, Mapping) and detail.get("name") == "subnetId" and detail.get("value"):
                    found.append(_s(detail.get("value"), "value"))
    return tuple(found)


def _short(exc: BaseException) -> str:
    text = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    return text[:120]
