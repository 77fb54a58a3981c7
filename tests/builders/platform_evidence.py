"""LiveEvidence of an image's manifest (index or list of platforms) and the CPU architecture the task ran on."""

from __future__ import annotations

import json
from typing import Any

from diagnosis.checks.evidence import LiveEvidence

TD = "arn:aws:ecs:us-west-2:444455556666:task-definition/thumbnailer:4"
INDEX = "application/vnd.oci.image.index.v1+json"
LIST = "application/vnd.docker.distribution.manifest.list.v2+json"


def index(*entries: tuple[str, str, str | None], media: str = INDEX) -> dict[str, Any]:
    manifests = [
        {
            "mediaType": "application/vnd.oci.image.manifest.v1+json",
            "digest": f"sha256:{i:064x}",
            "size": 1000,
            "platform": {"os": os_name, "architecture": arch, **({"variant": variant} if variant else {})},
        }
        for i, (os_name, arch, variant) in enumerate(entries)
    ]
    return {
        "imageManifestMediaType": media,
        "imageManifest": json.dumps({"mediaType": media, "manifests": manifests}),
    }


def evidence(arch: str | None, manifests: dict[str, Any], logs: list[str] | None = None) -> LiveEvidence:
    definition: dict[str, Any] = {"taskDefinitionArn": TD, "containerDefinitions": [{"name": "thumb"}]}
    if arch:
        definition["runtimePlatform"] = {"cpuArchitecture": arch, "operatingSystemFamily": "LINUX"}
    task = {
        "taskDefinitionArn": TD,
        "lastStatus": "STOPPED",
        "containers": [{"name": "thumb", "exitCode": 1}],
    }
    return LiveEvidence(
        region="us-west-2",
        tasks=[task],
        task_definitions={TD: definition},
        image_manifests=manifests,
        log_events=None if logs is None else [{"message": m} for m in logs],
    )
