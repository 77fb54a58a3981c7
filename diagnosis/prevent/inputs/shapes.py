"""Template and plan attributes turned into the API shapes the rules and the live checks read:
CloudFormation's PascalCase and Terraform's snake_case become register-task-definition's camelCase."""

from __future__ import annotations

from typing import Any

# Keys whose children are user data (log driver options, labels): kept as they are.
OPAQUE = {"Options", "DockerLabels", "options", "docker_labels", "SecretOptions"}
CFN_SPECIAL = {"EFSVolumeConfiguration": "efsVolumeConfiguration", "FilesystemId": "fileSystemId"}
# Terraform blocks that are lists of one in a plan and single objects in the API.
TF_SINGLE = {
    "runtime_platform",
    "ephemeral_storage",
    "proxy_configuration",
    "efs_volume_configuration",
    "authorization_config",
    "docker_volume_configuration",
    "fsx_windows_file_server_volume_configuration",
}
TF_RENAMED = {"volume": "volumes", "placement_constraints": "placementConstraints"}


def camel_from_pascal(value: Any) -> Any:
    """CloudFormation properties → API shape (Cpu → cpu, HealthCheck.StartPeriod → healthCheck.startPeriod);
    intrinsic functions (Ref, Fn::…) are kept as they are: unknown until deployed."""
    if isinstance(value, list):
        return [camel_from_pascal(v) for v in value]
    if not isinstance(value, dict):
        return value
    if any(k == "Ref" or k.startswith("Fn::") for k in value):
        return value
    out: dict[str, Any] = {}
    for key, child in value.items():
        name = CFN_SPECIAL.get(key) or (key.lower() if key.isupper() else key[:1].lower() + key[1:])
        out[name] = child if key in OPAQUE else camel_from_pascal(child)
    return out


def camel_from_snake(value: Any) -> Any:
    """Terraform attributes → API shape (network_mode → networkMode, runtime_platform[0] → runtimePlatform)."""
    if isinstance(value, list):
        return [camel_from_snake(v) for v in value]
    if not isinstance(value, dict):
        return value
    out: dict[str, Any] = {}
    for key, child in value.items():
        if child is None:
            continue
        if key in TF_SINGLE and isinstance(child, list):
            child = child[0] if child else None
            if child is None:
                continue
        head, *rest = key.split("_")
        name = TF_RENAMED.get(key) or head + "".join(part[:1].upper() + part[1:] for part in rest)
        out[name] = child if key in OPAQUE else camel_from_snake(child)
    return out
