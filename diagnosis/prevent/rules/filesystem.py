"""Read-only root filesystems: the paths the process writes to need a volume; mount points need their
volume declared."""

from __future__ import annotations

import re
from collections.abc import Iterator

from diagnosis.knowledge.base import TASKDEF_PARAMS
from diagnosis.prevent.model import Subject, Violation
from diagnosis.prevent.rules.base import Rule
from diagnosis.prevent.rules.fixes import Edit, edit_fix
from diagnosis.prevent.values import as_bool, as_str

SECURITY_DOC = TASKDEF_PARAMS + "#container_definition_security"
TMP = "/tmp"  # noqa: S108 - a path inside the container, not a temporary file here
# Paths images are known to write to at start (they fail with "Read-only file system" without them).
WRITES = (
    (re.compile(r"(^|/)nginx(:|$)|nginx-unprivileged|openresty"), ("/var/cache/nginx", "/var/run")),
    (re.compile(r"(^|/)(httpd|apache2?)(:|$)"), ("/usr/local/apache2/logs",)),
    (re.compile(r"(^|/)(postgres|mysql|mariadb|redis|mongo)(:|$)"), ("/var/run", TMP)),
)


def needed_paths(image: str) -> tuple[str, ...]:
    repository = image.split("@", 1)[0]
    return next((paths for pattern, paths in WRITES if pattern.search(repository)), ())


def readonly_root(subject: Subject) -> Iterator[Violation]:
    for container in subject.containers:
        if as_bool(container.get("readonlyRootFilesystem")) is not True:
            continue
        name = str(container.get("name", ""))
        mounted = {
            str(m.get("containerPath", "")).rstrip("/")
            for m in container.get("mountPoints") or []
            if isinstance(m, dict) and as_bool(m.get("readOnly")) is not True
        }
        image = as_str(container.get("image")) or ""
        known = needed_paths(image)
        missing = [p for p in known if not any(p == m or p.startswith(m + "/") for m in mounted)]
        severity = "error"
        if not known and not mounted:
            missing, severity = [TMP], "warning"
        if not missing:
            continue
        edits = []
        for index, path in enumerate(missing):
            volume = f"{name}-{path.strip('/').replace('/', '-')}" if index or path != TMP else f"{name}-tmp"
            edits += [
                Edit("volumes", {"name": volume}, append=True),
                Edit("mountPoints", {"sourceVolume": volume, "containerPath": path}, name, append=True),
            ]
        why = (
            f"{image} writes to {', '.join(missing)} when it starts"
            if severity == "error"
            else "most processes write to /tmp, and there is no writable volume at all"
        )
        yield Violation(
            f"container {name} has a read-only root filesystem and no writable volume at "
            f'{", ".join(missing)}: {why} ("Read-only file system" and exit)',
            edit_fix(subject, *edits),
            container=name,
            severity=severity,  # type: ignore[arg-type]
        )


def mount_volumes(subject: Subject) -> Iterator[Violation]:
    declared = {v.get("name") for v in subject.task_definition.get("volumes") or [] if isinstance(v, dict)}
    for container in subject.containers:
        for mount in container.get("mountPoints") or []:
            volume = mount.get("sourceVolume") if isinstance(mount, dict) else None
            if isinstance(volume, str) and volume not in declared:
                name = str(container.get("name", ""))
                yield Violation(
                    f"container {name} mounts volume {volume}, which the task definition does not declare",
                    edit_fix(subject, Edit("volumes", {"name": volume}, append=True)),
                    container=name,
                )


RULES = (
    Rule(
        "readonly_root_filesystem",
        "Read-only root filesystem without a writable volume",
        "warning",
        "With readonlyRootFilesystem every write outside a volume fails; servers that write a pid file, "
        "a cache or temporary files at start exit at once.",
        ("container_start_failure", "app_error"),
        readonly_root,
        (SECURITY_DOC,),
    ),
    Rule(
        "mount_volume",
        "Mount point of an undeclared volume",
        "error",
        "A container's mountPoints must name a volume the task definition declares; ECS refuses it otherwise.",
        ("invalid_task_definition_or_parameter", "volume_mount"),
        mount_volumes,
    ),
)
