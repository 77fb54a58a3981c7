"""Image references: a pinned tag or digest, and a runtime platform that matches an image built for one
CPU architecture."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

from diagnosis.knowledge.base import DEV_GUIDE, TASKDEF_PARAMS
from diagnosis.prevent.model import Fix, Subject, Violation
from diagnosis.prevent.rules.base import Rule
from diagnosis.prevent.rules.fixes import task_fix
from diagnosis.prevent.values import as_str

ARM64 = re.compile(r"(^|[/:._-])(arm64(v8)?|aarch64|graviton\d*)($|[/:._-])", re.IGNORECASE)
AMD64 = re.compile(r"(^|[/:._-])(amd64|x86[_-]64)($|[/:._-])", re.IGNORECASE)
ECR_HOST = re.compile(r"^\d{12}\.dkr\.ecr\.[a-z0-9-]+\.amazonaws\.com(\.cn)?$")


@dataclass(frozen=True)
class ImageRef:
    """registry/repository:tag@digest, as Docker reads it (the registry is the first part with a dot,
    a colon or `localhost`)."""

    registry: str
    repository: str
    tag: str
    digest: str

    @property
    def ecr(self) -> bool:
        return bool(ECR_HOST.match(self.registry))


def parse_image(image: str) -> ImageRef:
    rest, _, digest = image.partition("@")
    first, slash, remainder = rest.partition("/")
    registry = first if slash and ("." in first or ":" in first or first == "localhost") else ""
    path = remainder if registry else rest
    repository, colon, tag = path.rpartition(":") if ":" in path else (path, "", "")
    return ImageRef(registry, repository if colon else path, tag, digest)


def pinned(subject: Subject) -> Iterator[Violation]:
    for container in subject.containers:
        image = as_str(container.get("image"))
        if not image or "${" in image:
            continue  # unknown until deployed
        ref = parse_image(image)
        if ref.digest or (ref.tag and ref.tag != "latest"):
            continue
        name = str(container.get("name", ""))
        what = "the tag latest" if ref.tag else "no tag (so latest)"
        find = (
            f"aws ecr describe-images --repository-name {ref.repository} --query "
            "'sort_by(imageDetails,&imagePushedAt)[-1].[imageTags,imageDigest]'"
            if ref.ecr
            else None
        )
        pin = (
            f"{ref.registry + '/' if ref.registry else ''}{ref.repository}@sha256:<digest your build pushed>"
        )
        yield Violation(
            f"container {name} runs {image}, {what}: each task start may pull a different build, a "
            "rollback redeploys the broken one, and a diagnosis cannot say which build failed",
            Fix(
                cli=find,
                cloudformation=f"ContainerDefinitions[Name={name}].Image: {pin} (or an immutable version tag)",
                terraform=f'container_definitions, container "{name}": image = "{pin}"',
            ),
            container=name,
        )


def platform(subject: Subject) -> Iterator[Violation]:
    runtime = subject.task_definition.get("runtimePlatform") or {}
    declared = as_str(runtime.get("cpuArchitecture")) if isinstance(runtime, dict) else None
    if isinstance(runtime, dict) and runtime.get("cpuArchitecture") is not None and declared is None:
        return  # unknown until deployed
    for container in subject.containers:
        image = as_str(container.get("image"))
        if not image:
            continue
        ref = parse_image(image)
        name_and_tag = f"{ref.repository}:{ref.tag}"
        wants = "ARM64" if ARM64.search(name_and_tag) else "X86_64" if AMD64.search(name_and_tag) else ""
        effective = (declared or ("X86_64" if subject.fargate else "")).upper()
        if not wants or wants == effective:
            continue
        name = str(container.get("name", ""))
        if not effective:
            fact = (
                f"container {name}'s image {image} is built for {wants} and the task definition sets no "
                "runtimePlatform: it starts only if the instance happens to be that architecture"
            )
            severity = "warning"
        else:
            how = "sets" if declared else "defaults to (Fargate)"
            fact = (
                f"container {name}'s image {image} is built for {wants} but the task {how} "
                f"{effective}: it stops at once with `exec format error`"
            )
            severity = "error"
        yield Violation(
            fact,
            task_fix(
                subject, ("runtimePlatform", {"cpuArchitecture": wants, "operatingSystemFamily": "LINUX"})
            ),
            container=name,
            severity=severity,  # type: ignore[arg-type]
        )


RULES = (
    Rule(
        "image_tag_pinned",
        "Image by latest or no tag",
        "warning",
        "A mutable tag makes every task start pull whatever the tag points to now: a scale-out or a "
        "replacement may run a build nobody deployed, and a rollback cannot go back to the previous build.",
        ("image_not_found", "app_error"),
        pinned,
        ("https://docs.aws.amazon.com/AmazonECR/latest/userguide/image-tag-mutability.html",),
    ),
    Rule(
        "runtime_platform",
        "Image built for another CPU architecture than the task",
        "error",
        "An image built only for arm64 (or only for amd64) cannot run on the other architecture; Fargate "
        "defaults to X86_64 unless runtimePlatform says ARM64.",
        ("image_platform_mismatch",),
        platform,
        (DEV_GUIDE + "ecs-arm64.html", TASKDEF_PARAMS + "#runtime-platform"),
    ),
)
