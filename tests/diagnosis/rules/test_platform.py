"""Platform rules: the host's disk, the container runtime or the ECS agent failed, not the application."""

from __future__ import annotations

import pytest

from diagnosis.rules import platform, read_message
from diagnosis.signals import Message


@pytest.mark.parametrize(
    "text",
    [
        "CannotPullContainerError: failed to extract layer sha256:1a2b3c: write /var/lib/containerd/io."
        "containerd.snapshotter.v1.overlayfs/snapshots/12/fs/usr/lib/libx.so: no space left on device: "
        "unknown",
        "CannotPullContainerError: ref pull has been retried 1 time(s): failed to unpack image on "
        "snapshotter "
        "overlayfs: failed to extract layer sha256:abc: mount callback failed on "
        "/var/lib/containerd/tmpmounts/"
        'containerd-mount1: failed to Lchown "/var/lib/containerd/x" for UID 0, GID 0: lchown: no space left '
        "on device",
        "CannotCreateContainerError: Error response from daemon: devmapper: Thin Pool has 4350 free data "
        "blocks which is less than minimum required 4454 free data blocks. Create more free space in thin "
        "pool"
        " or use dm.min_free_space option to change behavior",
        "CannotPullContainerError: write /var/lib/docker/tmp/GetImageBlob481516: NO SPACE LEFT ON DEVICE",
    ],
)
def test_storage_exhausted_beats_the_pull_and_create_wrappers(text: str) -> None:
    match = read_message(text)
    assert match is not None
    assert match.category == "storage_exhausted"


@pytest.mark.parametrize(
    "text",
    [
        "DockerTimeoutError: Could not transition to created; timed out after waiting 4m0s",
        "CannotInspectContainerError: Could not transition to inspecting; timed out after waiting 30s",
        "CannotStopContainerError: API error (500): Could not kill container",
        "DockerStateError: Could not transition to stopped",
        "Task stopped because the ECS agent disconnected",
        "dockerclientconfigerror: cannot connect to the Docker daemon at unix:///var/run/docker.sock. Is the "
        "docker daemon running?",
    ],
)
def test_agent_or_docker_daemon(text: str) -> None:
    match = read_message(text)
    assert match is not None
    assert match.category == "agent_or_docker_daemon"


def test_platform_rules_are_specific() -> None:
    assert platform.storage(Message("OutOfMemoryError: Container killed due to memory usage")) is None
    assert platform.runtime(Message("Task failed ELB health checks")) is None


# containerd unpacking an image index's attestation manifest as if it were the image (containerd/containerd#8243:
# "unpacking unknown/unknown sha256:… failed to extract layer …"): no disk is full, the image is pushed wrong.
@pytest.mark.parametrize(
    "text",
    [
        "ctr: failed to extract layer sha256:09a85f55824bc820d92dc7578e2a0afe1d19cdc5dbdbd1b994891ee1ae5bb0b8: "
        "failed to get stream processor for application/vnd.in-toto+json: no processor for media-type: unknown",
        "unsupported media type application/vnd.in-toto+json",
    ],
)
def test_a_layer_no_runtime_can_unpack_is_the_images_not_a_full_disk(text: str) -> None:
    match = read_message(text)
    assert match is not None and match.category == "image_platform_mismatch"
    assert "provenance=false" in match.clue
