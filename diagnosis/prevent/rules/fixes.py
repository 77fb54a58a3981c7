"""A fix to a task definition three ways: a jq edit plus register-task-definition, the CloudFormation
properties and the Terraform attributes (container attributes live in `container_definitions`)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from diagnosis.prevent.model import Fix, Subject

_READ_ONLY = (
    ".taskDefinitionArn, .revision, .status, .requiresAttributes, .compatibilities, .registeredAt, "
    ".registeredBy, .deregisteredAt"
)


@dataclass(frozen=True)
class Edit:
    """Set (or, with append, add to the list at) `path` — camelCase, dotted — of the task definition or of
    one of its containers."""

    path: str
    value: Any
    container: str = ""
    append: bool = False


def container_fix(subject: Subject, container: str, path: str, value: Any) -> Fix:
    return edit_fix(subject, Edit(path, value, container))


def task_fix(subject: Subject, *pairs: tuple[str, Any]) -> Fix:
    return edit_fix(subject, *(Edit(path, value) for path, value in pairs))


def edit_fix(subject: Subject, *edits: Edit) -> Fix:
    jq = " | ".join(_jq(e) for e in edits)
    resource = subject.cfn_resource or "TaskDefinition"
    address = subject.tf_address or "aws_ecs_task_definition"
    return Fix(
        cli=_register(subject, jq),
        cloudformation=f"{resource}: " + "; ".join(_cfn(e) for e in edits),
        terraform=f"{address}: " + "; ".join(_terraform(e) for e in edits),
    )


def _jq(edit: Edit) -> str:
    target = f'(.containerDefinitions[] | select(.name == "{edit.container}")).' if edit.container else "."
    operator = "+=" if edit.append else "="
    value = [edit.value] if edit.append else edit.value
    return f"{target}{edit.path} {operator} {json.dumps(value)}"


def _cfn(edit: Edit) -> str:
    where = f"ContainerDefinitions[Name={edit.container}]." if edit.container else ""
    verb = "add to " if edit.append else ""
    return f"{verb}{where}{_pascal(edit.path)}: {_yaml(_pascal_keys(edit.value))}"


def _terraform(edit: Edit) -> str:
    verb = "add to " if edit.append else ""
    if edit.container:
        operator, value = ("+=", [edit.value]) if edit.append else ("=", edit.value)
        return (
            f'container_definitions, container "{edit.container}": {edit.path} {operator} {json.dumps(value)}'
        )
    parts = [_snake(p) for p in edit.path.split(".")]
    value = _tf_value(edit.value)
    rendered = f"{parts[-1]} = {value}" if not edit.append else f"{parts[-1]} {value}"
    for block in reversed(parts[:-1]):
        rendered = f"{block} {{ {rendered} }}"
    return verb + rendered


def _register(subject: Subject, edit: str) -> str | None:
    """Edit the task definition with jq and register the result as a new revision (a template or plan is
    fixed in its code, not with a command)."""
    if subject.kind in ("CloudFormation", "Terraform"):
        return None
    if subject.kind == "live":
        return (
            f"aws ecs describe-task-definition --task-definition {subject.name} --query taskDefinition | "
            f"jq 'del({_READ_ONLY}) | {edit}' > fixed.json && "
            "aws ecs register-task-definition --cli-input-json file://fixed.json"
        )
    source = subject.file or "taskdef.json"
    strip = ""
    if subject.kind == "describe-task-definition output":
        strip = f".taskDefinition | del({_READ_ONLY}) | "
    elif "taskDefinitionArn" in subject.task_definition:
        strip = f"del({_READ_ONLY}) | "
    return (
        f"jq '{strip}{edit}' {source} > fixed.json && "
        "aws ecs register-task-definition --cli-input-json file://fixed.json"
    )


def _pascal(path: str) -> str:
    return ".".join(part[:1].upper() + part[1:] for part in path.split("."))


def _pascal_keys(value: Any) -> Any:
    """API keys in CloudFormation's case; log driver options and labels are the user's own keys."""
    if isinstance(value, dict):
        return {
            k[:1].upper() + k[1:]: v if k in ("options", "dockerLabels") else _pascal_keys(v)
            for k, v in value.items()
        }
    if isinstance(value, list):
        return [_pascal_keys(v) for v in value]
    return value


def _snake(name: str) -> str:
    return "".join("_" + c.lower() if c.isupper() else c for c in name)


def _yaml(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return json.dumps(value)


def _tf_value(value: Any) -> str:
    if isinstance(value, dict):
        return "{ " + ", ".join(f"{_snake(k)} = {_tf_value(v)}" for k, v in value.items()) + " }"
    if isinstance(value, bool):
        return "true" if value else "false"
    return json.dumps(value)
