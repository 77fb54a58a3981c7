"""Platform mismatch: the platforms the image's manifest lists (ECR BatchGetImage, manifest list / OCI index)
against the task's runtimePlatform, and `exec format error` in the container's log."""

from __future__ import annotations

import json
from typing import Any

from diagnosis.checks.evidence import CheckResult, LiveEvidence, Outcome
from diagnosis.checks.taskdef import container_of, definition_of, runtime_platform
from diagnosis.models import EvidenceItem
from diagnosis.redact import redact

SOURCE = "ecr:BatchGetImage"
INDEX_TYPES = (
    "application/vnd.docker.distribution.manifest.list.v2+json",
    "application/vnd.oci.image.index.v1+json",
)
SINGLE_TYPES = (
    "application/vnd.docker.distribution.manifest.v2+json",
    "application/vnd.oci.image.manifest.v1+json",
)


def platforms(image: dict[str, Any]) -> list[str] | None:
    """`os/arch[/variant]` of each image a manifest list or OCI index holds (attestations skipped); None for a
    single-platform manifest, whose platform is only in its config blob."""
    try:
        manifest = json.loads(str(image.get("imageManifest") or "{}"))
    except ValueError:
        return None
    media = image.get("imageManifestMediaType") or (
        manifest.get("mediaType") if isinstance(manifest, dict) else ""
    )
    if not isinstance(manifest, dict) or (media not in INDEX_TYPES and "manifests" not in manifest):
        return None
    found = []
    for entry in manifest.get("manifests") or []:
        platform = entry.get("platform") or {}
        os_name, arch = platform.get("os", ""), platform.get("architecture", "")
        if not os_name or not arch or "unknown" in (os_name, arch):
            continue
        name = f"{os_name}/{arch}" + (f"/{platform['variant']}" if platform.get("variant") else "")
        if name not in found:
            found.append(name)
    return found


def check_image_platform(evidence: LiveEvidence, category: str) -> list[CheckResult]:
    definition = definition_of(evidence, category)[1]
    wanted = runtime_platform(definition) if definition else ""
    failed = str(container_of(evidence, category, definition).get("image", "")) if definition else ""
    facts: list[str] = []
    problems: list[str] = []
    for image, read in evidence.image_manifests.items():
        if not isinstance(read, dict):
            continue
        if category != "image_platform_mismatch" and failed and not _names(failed, image):
            continue  # another container's image: the one that failed is what this cause is about
        listed = platforms(read)
        if listed is None:
            facts.append(
                f"the image {image} is a single-platform manifest (no manifest list): it was built for one "
                "architecture only"
            )
            continue
        shown = ", ".join(listed) or "no platform"
        if wanted and not any(p == wanted or p.startswith(wanted + "/") for p in listed):
            only = " only" if len(listed) == 1 else ""
            problems.append(f"the image manifest of {image} lists {shown}{only}; the task runs {wanted}")
        else:
            facts.append(f"the image manifest of {image} lists {shown}")
    lines = _exec_format_lines(evidence, category)
    if lines:
        problems.append(f"the container's log says: {lines[-1]} (the binary is built for another CPU)")
    if not facts and not problems:
        return []
    outcome: Outcome = "confirms" if problems else "inconclusive"
    items = [*problems, *facts]
    return [
        CheckResult(
            category,
            "image_platform",
            outcome,
            "; ".join(items),
            tuple(EvidenceItem(source=SOURCE, fact=item) for item in items),
            {},
            recategorize="image_platform_mismatch"
            if problems and category != "image_platform_mismatch"
            else None,
        )
    ]


def _names(image: str, repository_tag: str) -> bool:
    """Whether a container's image (`registry/repository[:tag][@sha256:…]`) is the manifest key
    `repository:tag` (or `repository:sha256:…`): no tag is `latest`, and a digest, when given, is what runs."""
    repository, _, ref = repository_tag.partition(":")
    named = f"{repository}@{ref}" if ref.startswith("sha256:") else repository_tag
    path, at, digest = image.partition("@")
    if at:  # repository:tag@sha256:…: the digest is pulled, the tag ignored
        image = f"{_untagged(path)}@{digest}"
    elif ":" not in path.rsplit("/", 1)[-1]:
        image = f"{path}:latest"
    return image == named or image.endswith("/" + named)


def _untagged(path: str) -> str:
    """`registry/repository` of `registry/repository:tag` (a registry's :port is not a tag)."""
    head, slash, last = path.rpartition("/")
    return f"{head}{slash}{last.split(':', 1)[0]}"


def _exec_format_lines(evidence: LiveEvidence, category: str) -> list[str]:
    return [
        redact(str(e.get("message", "")).strip())[:300]
        for e in evidence.log_events_for(category)
        if "exec format error" in str(e.get("message", "")).lower()
    ]
