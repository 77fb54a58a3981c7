"""platform: the image manifest's platforms against runtimePlatform, and exec format error, with plain data."""

from __future__ import annotations

import pytest

from diagnosis.checks.platform import check_image_platform, platforms
from tests.builders.platform_evidence import LIST, evidence, index


def test_platforms_of_an_index_skip_attestations() -> None:
    read = index(("linux", "amd64", None), ("linux", "arm64", "v8"), ("unknown", "unknown", None))
    assert platforms(read) == ["linux/amd64", "linux/arm64/v8"]


def test_a_single_manifest_has_no_platform_list() -> None:
    single = {
        "imageManifestMediaType": "application/vnd.docker.distribution.manifest.v2+json",
        "imageManifest": "{}",
    }
    assert platforms(single) is None


def test_amd64_only_image_on_arm64_task_is_confirmed() -> None:
    ev = evidence("ARM64", {"thumbnailer:2.1.0": index(("linux", "amd64", None), media=LIST)})
    [result] = check_image_platform(ev, "image_platform_mismatch")
    assert result.outcome == "confirms"
    assert "lists linux/amd64 only; the task runs linux/arm64" in result.detail


def test_multi_arch_image_with_the_task_platform_is_context() -> None:
    ev = evidence("ARM64", {"thumbnailer:2.1.0": index(("linux", "amd64", None), ("linux", "arm64", "v8"))})
    [result] = check_image_platform(ev, "image_platform_mismatch")
    assert result.outcome == "inconclusive"
    assert "lists linux/amd64, linux/arm64/v8" in result.detail


def test_no_runtime_platform_means_x86_64() -> None:
    ev = evidence(None, {"thumbnailer:2.1.0": index(("linux", "arm64", None))})
    [result] = check_image_platform(ev, "image_platform_mismatch")
    assert "lists linux/arm64 only; the task runs linux/amd64" in result.detail


@pytest.mark.parametrize("category", ["app_error", "image_platform_mismatch"])
def test_exec_format_error_in_the_log(category: str) -> None:
    ev = evidence("X86_64", {}, logs=["booting", "exec /usr/local/bin/thumb: exec format error"])
    [result] = check_image_platform(ev, category)
    assert result.outcome == "confirms"
    assert "exec /usr/local/bin/thumb: exec format error" in result.detail
    assert result.recategorize == (
        None if category == "image_platform_mismatch" else "image_platform_mismatch"
    )


def test_an_unreadable_manifest_and_a_quiet_log_say_nothing() -> None:
    assert (
        check_image_platform(
            evidence("ARM64", {"thumbnailer:2.1.0": "ImageNotFound"}, logs=["ok"]), "app_error"
        )
        == []
    )


def test_an_app_error_speaks_of_the_failed_containers_image_only() -> None:
    """An envoy sidecar exited 1 and ECS stopped the app (143): the app's manifest is not about the cause."""
    single = {
        "imageManifestMediaType": "application/vnd.docker.distribution.manifest.v2+json",
        "imageManifest": "{}",
    }
    registry = "444455556666.dkr.ecr.us-west-2.amazonaws.com"
    digest = "sha256:" + "ab" * 32
    manifests = {"thumbnailer:2.1.0": single, f"envoy:{digest}": index(("linux", "amd64", None))}
    ev = evidence("X86_64", manifests)
    definition = ev.task_definitions[next(iter(ev.task_definitions))]
    definition["containerDefinitions"] = [
        {"name": "thumb", "image": f"{registry}/thumbnailer:2.1.0"},
        {"name": "envoy", "image": f"{registry}/envoy@{digest}"},
    ]
    ev.tasks[0]["containers"] = [{"name": "thumb", "exitCode": 143}, {"name": "envoy", "exitCode": 1}]
    [result] = check_image_platform(ev, "app_error")
    assert result.detail == f"the image manifest of envoy:{digest} lists linux/amd64"


@pytest.mark.parametrize(
    ("image", "key"),
    [
        ("{registry}/thumbnailer", "thumbnailer:latest"),  # no tag: the registry serves `latest`
        ("{registry}/thumbnailer:2.1.0@{digest}", "thumbnailer:{digest}"),  # a digest given: it is what runs
    ],
    ids=["untagged", "tag-and-digest"],
)
def test_the_failed_containers_own_image_is_found_however_it_is_written(image: str, key: str) -> None:
    registry, digest = "444455556666.dkr.ecr.us-west-2.amazonaws.com", "sha256:" + "cd" * 32
    key = key.format(digest=digest)
    ev = evidence("ARM64", {key: index(("linux", "amd64", None), media=LIST)})
    definition = ev.task_definitions[next(iter(ev.task_definitions))]
    definition["containerDefinitions"] = [
        {"name": "thumb", "image": image.format(registry=registry, digest=digest)}
    ]
    ev.tasks[0]["containers"] = [{"name": "thumb", "exitCode": 1}]
    [result] = check_image_platform(ev, "app_error")
    assert f"the image manifest of {key} lists linux/amd64 only; the task runs linux/arm64" in result.detail
