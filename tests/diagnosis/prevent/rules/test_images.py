from __future__ import annotations

import pytest

from diagnosis.prevent.rules.images import parse_image
from tests.builders.prevent import REGISTRY, container, results, rule_ids, taskdef


@pytest.mark.parametrize(
    ("image", "registry", "repository", "tag"),
    [
        ("nginx", "", "nginx", ""),
        ("nginx:1.25", "", "nginx", "1.25"),
        ("localhost:5000/team/app:2", "localhost:5000", "team/app", "2"),
        (f"{REGISTRY}/web:v2.4.0", REGISTRY, "web", "v2.4.0"),
        ("ghcr.io/org/app@sha256:abc", "ghcr.io", "org/app", ""),
    ],
)
def test_image_references_are_read_as_docker_reads_them(
    image: str, registry: str, repository: str, tag: str
) -> None:
    ref = parse_image(image)
    assert (ref.registry, ref.repository, ref.tag) == (registry, repository, tag)


@pytest.mark.parametrize("image", [f"{REGISTRY}/web:latest", f"{REGISTRY}/web", "nginx"])
def test_latest_or_no_tag_is_a_warning(image: str) -> None:
    [found] = results(taskdef(container(image=image)), "image_tag_pinned")
    assert found.severity == "warning" and image in found.fact


@pytest.mark.parametrize("image", [f"{REGISTRY}/web:v1.2.3", f"{REGISTRY}/web@sha256:{'a' * 64}"])
def test_pinned_images_pass(image: str) -> None:
    assert "image_tag_pinned" not in rule_ids(taskdef(container(image=image)))


def test_the_ecr_fix_lists_the_repository_s_newest_image() -> None:
    [found] = results(taskdef(container(image=f"{REGISTRY}/web:latest")), "image_tag_pinned")
    assert "aws ecr describe-images --repository-name web" in (found.fix.cli or "")


def test_an_arm64_image_on_fargate_without_runtime_platform_is_an_error() -> None:
    [found] = results(taskdef(container(image=f"{REGISTRY}/web:2.0-arm64")), "runtime_platform")
    assert found.severity == "error" and "X86_64" in found.fact
    assert '"cpuArchitecture": "ARM64"' in (found.fix.cli or "")


def test_an_arm64_image_with_arm64_runtime_platform_passes() -> None:
    definition = taskdef(
        container(image=f"{REGISTRY}/web:2.0-arm64"),
        runtimePlatform={"cpuArchitecture": "ARM64", "operatingSystemFamily": "LINUX"},
    )
    assert "runtime_platform" not in rule_ids(definition)


def test_an_amd64_image_on_arm64_is_an_error() -> None:
    definition = taskdef(
        container(image="example/app:1.0-amd64"), runtimePlatform={"cpuArchitecture": "ARM64"}
    )
    [found] = results(definition, "runtime_platform")
    assert "X86_64" in found.fact and "ARM64" in found.fact


def test_a_multi_arch_looking_name_says_nothing() -> None:
    assert "runtime_platform" not in rule_ids(taskdef(container(image="public.ecr.aws/nginx/nginx:1.25")))
