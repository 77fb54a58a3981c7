"""Reads ECS-shaped JSON that is not a whole API response: what people actually paste.

Besides the shapes `diagnosis.parse` reads, it finds, anywhere inside a document: a task fragment (an
object with `stoppedReason`, `stopCode` or containers with `exitCode`/`reason`, no `taskArn` needed), the
rows of a `--query` projection (renamed keys, lists of lists), an EventBridge event's `detail` on its own,
lists of events, `failures` of describe-services / describe-tasks / run-task, CloudTrail records
(SubmitTaskStateChange, SubmitContainerStateChange, StopTask, failed ECS calls), and a Step Functions ECS
task failure, whose `Cause` holds the task as a JSON string with capitalised keys.
"""

from __future__ import annotations

import contextlib
import json
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from diagnosis.intake.text import GENERIC_REASONS, STOP_CODES, Container, Record, Scan, is_ecs_message, scan
from diagnosis.models import ActionEvent, Gap, ServiceFacts, TaskFacts
from diagnosis.parse import InputError, parse_document, service_facts, task_facts

MAX_DEPTH = 40
_STATUSES = {"STOPPED", "STOPPING", "DEPROVISIONING", "RUNNING", "PENDING", "PROVISIONING"}
_ACTION_TYPES = {"INFO", "WARN", "ERROR"}


@dataclass
class Found:
    """What a document held, and what of it could not be read."""

    tasks: list[TaskFacts] = field(default_factory=list)
    services: list[ServiceFacts] = field(default_factory=list)
    actions: list[ActionEvent] = field(default_factory=list)
    gaps: list[Gap] = field(default_factory=list)
    kinds: Counter[str] = field(default_factory=Counter)

    @property
    def empty(self) -> bool:
        return not (self.tasks or self.services or self.actions)

    def kind(self) -> str:
        """The shapes recognised, most frequent first: "task fragment", "3 × ECS Task State Change event"."""
        parts = [k if n == 1 else f"{n} × {k}" for k, n in self.kinds.most_common(3)]
        if len(self.kinds) > 3:
            parts.append("…")
        return ", ".join(parts)

    def add_scan(self, found: Scan, kind: str) -> None:
        for record in found.records:
            self.tasks.append(task_facts(record.document()))
        for service, messages in found.events.items():
            events = [{"message": m} for m in messages]
            named = {"serviceArn": service} if service.startswith("arn:") else {"serviceName": service}
            self.services.append(service_facts({**named, "events": events}))
        if found.messages:
            self.kinds[kind] += 1


def read_document(doc: object) -> Found:
    """Everything ECS-shaped in a parsed JSON document (never raises on any JSON value)."""
    found = Found()
    try:
        obs = parse_document(doc)
    except InputError:
        _walk(doc, found, 0)
        return found
    found.tasks.extend(obs.tasks)
    found.services.extend(obs.services)
    found.actions.extend(obs.actions)
    fragment = obs.kind == "task" and isinstance(doc, Mapping) and "taskArn" not in doc
    found.kinds["task fragment" if fragment else obs.kind] += 1
    return found


def _camel(doc: Mapping[str, Any]) -> dict[str, Any]:
    """Step Functions writes the task with capitalised keys (`StoppedReason`); the API with camelCase."""
    return {_camel_key(k): v for k, v in doc.items()}


def _camel_key(key: Any) -> Any:
    return (
        key[0].lower() + key[1:] if isinstance(key, str) and key[:1].isupper() and not key.isupper() else key
    )


def _camel_deep(value: object, depth: int = 0) -> object:
    if depth > MAX_DEPTH:
        return value
    if isinstance(value, Mapping):
        return {_camel_key(k): _camel_deep(v, depth + 1) for k, v in value.items()}
    if isinstance(value, list):
        return [_camel_deep(v, depth + 1) for v in value]
    return value


def _walk(value: object, found: Found, depth: int) -> None:
    if depth > MAX_DEPTH:
        return
    if isinstance(value, str):
        _string(value, found, depth)
    elif isinstance(value, Mapping):
        _object(_camel(value), found, depth)
    elif isinstance(value, list):
        if any(_scalar(v) for v in value) and all(_scalar(v) or _scalar_list(v) for v in value):
            _row(value, found)
        else:
            for item in value:
                _walk(item, found, depth + 1)


def _string(text: str, found: Found, depth: int) -> None:
    inner = _json_text(text)
    if inner is not None:
        _walk(inner, found, depth + 1)
        return
    if is_ecs_message(text):
        found.add_scan(scan(text), "ECS message in a JSON string")


def _json_text(text: str) -> Mapping[str, Any] | list[Any] | None:
    """The object or list a string holds as JSON, or None when it holds none."""
    stripped = text.strip()
    if stripped[:1] not in ("{", "["):
        return None
    try:
        inner = json.loads(stripped)
    except (ValueError, RecursionError):
        return None
    return inner if isinstance(inner, (Mapping, list)) else None


def _object(doc: dict[str, Any], found: Found, depth: int) -> None:
    # a field of the wrong type: this object is skipped, the rest of the document still read
    with contextlib.suppress(TypeError, ValueError, AttributeError, KeyError, RecursionError):
        _read_object(doc, found, depth)


def _read_object(doc: dict[str, Any], found: Found, depth: int) -> None:
    try:
        if "detail-type" in doc or "tasks" in doc or "services" in doc or _looks_like_task(doc):
            obs = parse_document(doc)
            found.tasks.extend(obs.tasks)
            found.services.extend(obs.services)
            found.actions.extend(obs.actions)
            found.kinds["task fragment" if obs.kind == "task" and "taskArn" not in doc else obs.kind] += 1
            return
    except InputError:
        pass
    if _looks_like_fragment(doc):
        found.tasks.append(task_facts(_fragment(doc)))
        found.kinds["task fragment"] += 1
        return
    if doc.get("eventSource") == "ecs.amazonaws.com":
        _cloudtrail(doc, found)
        return
    if isinstance(doc.get("cause"), str) and "error" in doc:
        inner = Found()
        cause = doc["cause"].strip()
        try:
            _walk(_camel_deep(json.loads(cause)) if cause.startswith("{") else cause, inner, depth + 1)
        except (ValueError, RecursionError):
            _walk(cause, inner, depth + 1)
        found.tasks += inner.tasks
        found.services += inner.services
        found.actions += inner.actions
        found.gaps += inner.gaps
        if not inner.empty:
            found.kinds["Step Functions task failure"] += 1
        return
    if isinstance(doc.get("eventName"), str) and doc.get("eventType") in _ACTION_TYPES:
        found.actions.append(_action(doc))
        found.kinds[f"{_action_title(doc)} event detail"] += 1
        return
    if isinstance(doc.get("failures"), list):
        _failures(doc["failures"], found)
    # An envelope's payload, JSON as a string (SNS `Message`, SQS `body`, a log's `message`): read as the
    # document it holds, not as one long stopped reason beside the envelope's other fields.
    wrapped = {k for k, v in doc.items() if isinstance(v, str) and _json_text(v)}
    for key in wrapped:
        _string(doc[key], found, depth + 1)
    scalars = [(k, v) for k, v in doc.items() if k not in wrapped and (_scalar(v) or _scalar_list(v))]
    if scalars and _record(scalars, found):
        return
    for key, value in doc.items():
        if key != "failures" and not _scalar(value):
            _walk(value, found, depth + 1)


def _looks_like_task(doc: Mapping[str, Any]) -> bool:
    return "taskArn" in doc and ("lastStatus" in doc or "containers" in doc or "stoppedReason" in doc)


def _looks_like_fragment(doc: Mapping[str, Any]) -> bool:
    if isinstance(doc.get("stoppedReason"), str) or isinstance(doc.get("stopCode"), str):
        return True
    containers = doc.get("containers")
    return isinstance(containers, list) and any(
        isinstance(c, Mapping) and ("exitCode" in _camel(c) or "reason" in _camel(c)) for c in containers
    )


def _fragment(doc: Mapping[str, Any]) -> dict[str, Any]:
    """A task fragment as describe-tasks would print it (keys camelCased, stopped unless it says not)."""
    task = dict(doc)
    task["containers"] = [_camel(c) for c in doc.get("containers") or [] if isinstance(c, Mapping)]
    task.setdefault("lastStatus", "STOPPED")
    return task


def _action_title(doc: Mapping[str, Any]) -> str:
    deployment = "deploymentId" in doc or str(doc.get("eventName", "")).startswith("SERVICE_DEPLOYMENT")
    return "ECS Deployment State Change" if deployment else "ECS Service Action"


def _action(doc: Mapping[str, Any]) -> ActionEvent:
    """An EventBridge service action or deployment event's `detail`, pasted without its envelope."""
    cluster = str(doc.get("clusterArn") or "")
    return ActionEvent(
        kind="deployment" if _action_title(doc) == "ECS Deployment State Change" else "service_action",
        event_name=str(doc.get("eventName", "")),
        event_type=str(doc.get("eventType", "")),
        reason=str(doc.get("reason") or ""),
        cluster=cluster.rsplit("/", 1)[-1] if cluster.startswith("arn:") else cluster,
        deployment_id=str(doc.get("deploymentId") or ""),
        time=str(doc.get("updatedAt") or doc.get("createdAt") or ""),
    )


def _failures(failures: Sequence[object], found: Found) -> None:
    """describe-* `failures`: MISSING means ECS does not know the name; run-task's say why nothing was placed."""
    for failure in failures:
        if not isinstance(failure, Mapping):
            continue
        arn, reason = str(failure.get("arn") or ""), str(failure.get("reason") or "")
        detail = str(failure.get("detail") or "")
        if reason.upper() == "MISSING" or not reason:
            found.gaps.append(
                Gap(
                    what=arn or "a resource",
                    reason="ECS answered MISSING: no such task or service in that cluster and region "
                    "(wrong name, cluster or region, or a task ECS has already forgotten)",
                )
            )
            found.kinds["failures of a describe call"] += 1
            continue
        placement = reason.startswith(("RESOURCE:", "AGENT", "ATTRIBUTE", "LOCATION"))
        found.actions.append(
            ActionEvent(
                kind="service_action",
                event_name="SERVICE_TASK_PLACEMENT_FAILURE" if placement else "",
                event_type="ERROR",
                reason=f"{reason} ({detail})" if detail else reason,
            )
        )
        found.kinds["run-task failures"] += 1


def _cloudtrail(record: Mapping[str, Any], found: Found) -> None:
    """A CloudTrail record of an ECS call: a task state the agent submitted, a StopTask, a failed call."""
    name = str(record.get("eventName", ""))
    params = record.get("requestParameters")
    params = _camel(params) if isinstance(params, Mapping) else {}
    region, account = str(record.get("awsRegion") or ""), str(record.get("recipientAccountId") or "")
    task_arn = str(params.get("task") or "")
    common: dict[str, Any] = {"taskArn": task_arn} if task_arn.startswith("arn:") else {}
    if params.get("cluster"):
        common["clusterArn"] = str(params["cluster"])
    kind = f"CloudTrail {name} record"
    if name == "SubmitTaskStateChange":
        containers = [
            {
                "name": c.get("containerName", ""),
                "exitCode": c.get("exitCode"),
                "reason": c.get("reason"),
                "lastStatus": c.get("status"),
            }
            for c in (params.get("containers") or [])
            if isinstance(c, Mapping)
        ]
        doc = {**common, "lastStatus": params.get("status"), "stoppedReason": params.get("reason")}
        found.tasks.append(task_facts({**doc, "containers": containers}, region, account))
    elif name == "SubmitContainerStateChange":
        container = {
            "name": params.get("containerName", ""),
            "exitCode": params.get("exitCode"),
            "reason": params.get("reason"),
            "lastStatus": params.get("status"),
        }
        found.tasks.append(task_facts({**common, "lastStatus": "STOPPED", "containers": [container]}))
    elif name == "StopTask":
        identity = record.get("userIdentity")
        who = str(identity.get("arn") or "") if isinstance(identity, Mapping) else ""
        reason = str(params.get("reason") or "Task stopped by user")
        reason += f" (StopTask called by {who})" if who else " (StopTask)"
        doc = {**common, "lastStatus": "STOPPED", "stopCode": "UserInitiated", "stoppedReason": reason}
        found.tasks.append(task_facts(doc, region, account))
    elif record.get("errorCode"):
        message = f"{record.get('errorCode')}: {record.get('errorMessage') or ''}".strip(": ")
        found.actions.append(
            ActionEvent(kind="service_action", event_name=name, event_type="ERROR", reason=message)
        )
    else:
        response = record.get("responseElements")
        if isinstance(response, Mapping) and isinstance(response.get("failures"), list):
            _failures(response["failures"], found)
        else:
            return
    found.kinds[kind] += 1


def _scalar(value: object) -> bool:
    return value is None or isinstance(value, (str, int, float, bool))


def _scalar_list(value: object) -> bool:
    return isinstance(value, list) and bool(value) and all(_scalar(v) for v in value)


def _row(values: Sequence[object], found: Found) -> None:
    """One row of a `--query 'tasks[].[…]'` projection (a list of scalars, or of lists of scalars)."""
    _record([("", v) for v in values], found)


def _record(items: Sequence[tuple[str, object]], found: Found) -> bool:
    """Reads the scalar fields of a projection row (keys renamed or absent) as one stopped task."""
    record = Record()
    reasons: list[tuple[str, str]] = []
    numbers: list[tuple[str, int]] = []
    status = ""
    flat = [(k, v) for k, value in items for v in (value if isinstance(value, list) else [value])]
    for key, value in flat:
        if isinstance(value, bool) or value is None:
            continue
        if isinstance(value, int):
            numbers.append((key.lower(), value))
        elif isinstance(value, str):
            text = value.strip()
            if text.startswith("arn:") and ":task/" in text and not record.task_arn:
                record.task_arn = text
            elif text.lower() in STOP_CODES:
                record.stop_code = STOP_CODES[text.lower()]
            elif text.upper() in _STATUSES and text.isupper():
                status = text
            elif text and is_ecs_message(text):
                reasons.append((key.lower(), text))
    generic = any(r.lower().rstrip(". ") in GENERIC_REASONS for _, r in reasons)
    exits = [n for k, n in numbers if "exit" in k] or (
        [n for k, n in numbers if not k and 0 <= n <= 255]
        if generic or record.stop_code == "EssentialContainerExited"
        else []
    )
    for key, reason in reasons:
        if "container" in key or (record.stopped_reason and not key.startswith("stop")):
            record.containers.append(Container(reason=reason))
        elif not record.stopped_reason:
            record.stopped_reason = reason
        else:
            record.containers.append(Container(reason=reason))
    for i, code in enumerate(exits):
        if i < len(record.containers) and record.containers[i].exit_code is None:
            record.containers[i].exit_code = code
        else:
            record.containers.append(Container(exit_code=code))
    if not (record.stopped_reason or record.stop_code or record.containers):
        return False
    doc = record.document()
    if status:
        doc["lastStatus"] = status
    found.tasks.append(task_facts(doc))
    found.kinds["query projection"] += 1
    return True
