"""The names the live evidence holds for one cause, read whichever checks ran: the role, the log group and
stream, the secret, the subnet, VPC and security group, the EFS file system, the container instance.

They fill the cause's remediation templates (`diagnosis.names` fills the rest from the sightings), so a
command never asks for a name that was read. Pure: reads `LiveEvidence`, calls nothing.
"""

from __future__ import annotations

import shlex
from typing import Any

from diagnosis.checks.evidence import LiveEvidence, log_stream, references_of
from diagnosis.checks.secrets import MISSING
from diagnosis.checks.taskdef import container_of, definition_of, reasons
from diagnosis.checks.volumes import efs_volumes
from diagnosis.names import secret_store_of
from diagnosis.redact import redact
from diagnosis.secret_reference import missing_json_key


def names_read(evidence: LiveEvidence, category: str) -> dict[str, str]:
    """Name → value for what the evidence holds about this cause's task ("" values left out)."""
    revision, definition = definition_of(evidence, category)
    task = evidence.task_for(category) or {}
    container = container_of(evidence, category, definition) if definition else {}
    names: dict[str, str] = {
        "task_def": revision,
        "container": str(container.get("name") or ""),
        "image": str(container.get("image") or ""),
    }
    role = str(definition.get("executionRoleArn") or "")
    names |= {"execution_role_arn": role, "execution_role": _last(role), "role_name": _last(role)}
    names |= _log_names(evidence, category, task, container)
    names["health_command"] = _health_command(container)
    refs = references_of({revision: definition}) if definition else []
    missing = [r.reference for r in refs if evidence.secrets.get(r.secret_id) in MISSING]
    # a JSON key the stopped reason says the value lacks (naming no secret): the references asking for it
    key = missing_json_key(reasons(evidence, category))
    asking = [r.reference for r in refs if key and r.json_key == key]
    names["secret"] = (missing or asking or [r.reference for r in refs] or [""])[0]
    names["secrets"] = " ".join(missing or asking)  # the ones to look at; none: the first (secret)
    for ref in refs:  # the first reference in each store: the store a message says picks one (names.py)
        names.setdefault(f"secret_in_{secret_store_of(ref.reference)}", ref.reference)
    volumes = efs_volumes(definition) if definition else []
    names["efs"] = str(volumes[0]["fileSystemId"]) if volumes else ""
    names |= _network_names(evidence)
    names["instance"] = _last(str(task.get("containerInstanceArn") or ""))
    names["since"] = _iso(task.get("startedAt") or task.get("createdAt"))
    return {key: value for key, value in names.items() if value}


def _log_names(
    evidence: LiveEvidence, category: str, task: dict[str, Any], container: dict[str, Any]
) -> dict[str, str]:
    read = evidence.log_for(category)
    if read is not None and read.group:
        return {"log_group": read.group, "log_stream": read.stream}
    where = log_stream(task, evidence.task_definitions) if task else None
    if where is not None:
        return {"log_group": where[0], "log_stream": where[1]}
    options = (container.get("logConfiguration") or {}).get("options") or {}
    return {"log_group": str(options.get("awslogs-group") or "")}


def _network_names(evidence: LiveEvidence) -> dict[str, str]:
    config = ((evidence.service or {}).get("networkConfiguration") or {}).get("awsvpcConfiguration") or {}
    subnets = list(evidence.subnet_ids or config.get("subnets") or [])
    groups = list(config.get("securityGroups") or []) or [
        str(g.get("GroupId", "")) for g in evidence.security_groups
    ]
    vpc = next((str(s.get("VpcId")) for s in evidence.subnets if s.get("VpcId")), "")
    return {
        "subnet": subnets[0] if subnets else "",
        "security_group": groups[0] if groups else "",
        "vpc": vpc,
    }


def _health_command(container: dict[str, Any]) -> str:
    """The healthCheck as one shell string (a command quotes it as one word): `CMD-SHELL x` runs x, `CMD a b`
    runs a b."""
    command = [str(p) for p in (container.get("healthCheck") or {}).get("command") or []]
    if not command:
        return ""
    words = command[1:] if command[0] in ("CMD", "CMD-SHELL") else command
    shell = " ".join(words) if command[0] == "CMD-SHELL" else shlex.join(words)
    return redact(shell)


def _last(arn: str) -> str:
    return arn.rsplit("/", 1)[-1] if arn else ""


def _iso(value: object) -> str:
    if hasattr(value, "isoformat"):
        return str(value.isoformat()).replace("+00:00", "Z")
    return str(value or "")
