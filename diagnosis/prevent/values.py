"""Reading task definition values the way ECS does: numbers may be strings ("512", "1 vCPU", "2GB"), and
values from a template may be unresolved (a `Ref`, an `Fn::Sub`, a Terraform unknown): those are unknown,
never guessed."""

from __future__ import annotations

import re
from typing import Any

_SIZE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(vcpu|gb|mb|mib|gib)?\s*$", re.IGNORECASE)


def as_int(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str) and value.strip().isdigit():
        return int(value)
    return None


def cpu_units(value: Any) -> int | None:
    """Task CPU in units: 256, "256", "0.25 vCPU" and "1 vCPU" (1 vCPU = 1024 units)."""
    number = as_int(value)
    if number is not None:
        return number
    match = _SIZE.match(value) if isinstance(value, str) else None
    if match and (match.group(2) or "").lower() == "vcpu":
        return int(float(match.group(1)) * 1024)
    return None


def memory_mib(value: Any) -> int | None:
    """Task memory in MiB: 512, "512", "1GB" and "1 GB" (1 GB = 1024 MiB, as ECS reads it)."""
    number = as_int(value)
    if number is not None:
        return number
    match = _SIZE.match(value) if isinstance(value, str) else None
    if match and (match.group(2) or "").lower() in ("gb", "gib"):
        return int(float(match.group(1)) * 1024)
    if match and (match.group(2) or "").lower() in ("mb", "mib"):
        return int(float(match.group(1)))
    return None


def as_str(value: Any) -> str | None:
    """A plain string, or None when the value is not known yet (an intrinsic function, a reference)."""
    return value if isinstance(value, str) else None


def as_bool(value: Any) -> bool | None:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lower() in ("true", "false"):
        return value.lower() == "true"
    return None
