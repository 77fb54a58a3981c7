"""What `ecs-why check` reads: a task definition as register-task-definition takes it, describe-task-definition
output, a CloudFormation template (JSON or YAML) or `terraform show -json` output, or a JSON list of any.

Every failure is an `InputError` with one line that says what the input should be instead.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

import yaml

from diagnosis.parse import InputError
from diagnosis.prevent.inputs import cfn_yaml, cloudformation, terraform
from diagnosis.prevent.inputs.locate import line_of
from diagnosis.prevent.model import Subject

EXPECTED = (
    "a task definition (register-task-definition JSON), describe-task-definition output, a CloudFormation "
    "template or `terraform show -json` output"
)


def read_subjects(text: str, file: str = "") -> list[Subject]:
    """The task definitions in a document, each with what the document says around it."""
    where = file or "the input"
    if not text.strip():
        raise InputError(f"{where} is empty; pass {EXPECTED}")
    document = _load(text, where)
    lines = tuple(text.splitlines())  # one tuple, shared by every subject of the file
    found = subjects_of(document, file, lines)
    if not found:
        raise InputError(f"{where} holds no ECS task definition; pass {EXPECTED}")
    return found


def subjects_of(document: Any, file: str, lines: Sequence[str], start: int = 0) -> list[Subject]:
    if isinstance(document, list):  # task definitions in file order: each is searched for after the last
        found: list[Subject] = []
        for item in document:
            found += subjects_of(item, file, lines, found[-1].line if found else start)
        return found
    if not isinstance(document, dict):
        return []
    if isinstance(document.get("taskDefinition"), dict):  # describe-task-definition output
        return [_bare(document["taskDefinition"], file, lines, "describe-task-definition output", start)]
    if "containerDefinitions" in document:
        return [_bare(document, file, lines, "task definition", start)]
    if isinstance(document.get("Resources"), dict):
        return cloudformation.subjects(document, file, lines)
    if terraform.is_terraform(document):
        return terraform.subjects(document, file, lines)
    return []


def _load(text: str, where: str) -> Any:
    too_deep = f"{where} is nested too deeply to be a task definition or template; pass {EXPECTED}"
    try:
        return json.loads(text)
    except ValueError:
        pass
    except RecursionError:
        raise InputError(too_deep) from None
    try:
        return cfn_yaml.load(text)
    except RecursionError:
        raise InputError(too_deep) from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        at = f" at line {mark.line + 1}" if mark is not None else ""
        raise InputError(f"{where} is neither JSON nor YAML{at}; pass {EXPECTED}") from None


def _bare(definition: dict[str, Any], file: str, lines: Sequence[str], kind: str, start: int = 0) -> Subject:
    arn = definition.get("taskDefinitionArn")
    parts = arn.split(":") if isinstance(arn, str) else []
    family = definition.get("family")
    name = f"{family}:{definition['revision']}" if family and definition.get("revision") else family
    return Subject(
        name=str(name or file or "task definition"),
        task_definition=definition,
        file=file,
        line=(line_of(lines, str(family), start) or line_of(lines, str(family))) if family else 1,
        kind=kind,
        region=parts[3] if len(parts) > 5 else "",
        account=parts[4] if len(parts) > 5 else _account_of(definition),
        lines=tuple(lines),
    )


def _account_of(definition: dict[str, Any]) -> str:
    """The account the task runs in, from its roles' ARNs (arn:aws:iam::ACCOUNT:role/…)."""
    for key in ("executionRoleArn", "taskRoleArn"):
        value = definition.get(key)
        if isinstance(value, str) and value.startswith("arn:") and len(value.split(":")) > 4:
            return value.split(":")[4]
    return ""


__all__ = ["EXPECTED", "InputError", "read_subjects", "subjects_of"]
