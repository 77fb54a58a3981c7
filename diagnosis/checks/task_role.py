"""An AWS call the application made and was denied, read from its log: the role it ran as is the task role
(taskRoleArn), never the execution role, whose permissions serve ECS only (the image, secrets, the log
stream). Stated with both roles' names, so a permission put on the wrong one is seen for what it is."""

from __future__ import annotations

import re
from typing import Any

DENIED = re.compile(
    r"assumed-role/(?P<role>[\w+=,.@-]+)/\S+ is not authorized to perform:? (?P<action>[\w-]+:[\w*]+)"
    r"(?: on resource:? \"?(?P<resource>[^\s\"]+))?"
)


def role_name(arn: object) -> str:
    """A role's name from its ARN (`arn:aws:iam::1:role/path/web` → `web`), "" for none."""
    return str(arn or "").rsplit("/", 1)[-1]


def task_role_facts(definition: dict[str, Any], log: list[str]) -> list[str]:
    """The task role's denial in the log (the newest), said against the execution role it is not."""
    task_role = role_name(definition.get("taskRoleArn"))
    if not task_role:
        return []
    denied = next(
        (m for line in reversed(log) for m in DENIED.finditer(line) if m["role"] == task_role), None
    )
    if denied is None:
        return []
    on = f" on {denied['resource']}" if denied["resource"] else ""
    execution = role_name(definition.get("executionRoleArn"))
    serves = (
        f"the execution role {execution} is ECS's own (pulling the image, fetching secrets, writing the log) "
        "and lends the application none of its permissions"
        if execution and execution != task_role
        else "the execution role is ECS's own and lends the application none of its permissions"
    )
    return [
        f"the application was denied {denied['action']}{on} as its task role {task_role} (taskRoleArn): its "
        f"AWS calls use the task role only; {serves}: grant {denied['action']} to {task_role}"
    ]
