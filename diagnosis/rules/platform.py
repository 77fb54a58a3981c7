"""Platform failures: the host's disk, container runtime or ECS agent failed, not the application."""

from __future__ import annotations

from diagnosis.rules.base import Match, found
from diagnosis.rules.pull import UNPACKABLE_MEDIA
from diagnosis.signals import Message


def storage(msg: Message) -> Match | None:
    if msg.has(
        "no space left on device",
        "thin pool",
        "devmapper",
        "devicemapper",
        "dm_task_run",
        "disk quota exceeded",
        "ephemeral storage",
        "not enough space",
        "insufficient disk",
        "disk is full",
        "diskpressure",
        "out of disk",
    ):
        return found(
            "storage_exhausted",
            0.92,
            "the host ran out of disk space (no space left on device)",
            msg,
            ("agent_or_docker_daemon",) if msg.has("devicemapper", "dm_task_run") else (),
        )
    if msg.has(
        "failed to extract layer", "failed to register layer", "applylayer", "error processing tar file"
    ) and not msg.has(*UNPACKABLE_MEDIA):  # a layer no runtime can unpack is not a full disk
        return found(
            "storage_exhausted",
            0.6,
            "unpacking the image's layers onto the host's disk failed "
            "(most often the disk or ephemeral storage is full)",
            msg,
            ("agent_or_docker_daemon",),
        )
    return None


def runtime(msg: Message) -> Match | None:
    if (
        msg.typed(
            "dockertimeouterror",
            "cannotinspectcontainererror",
            "cannotstopcontainererror",
            "cannotdescribecontainererror",
            "containerruntimeerror",
            "dockerstateerror",
            "cannotcreatecontainererror",
            "dockerclientconfigerror",
        )
        or msg.has(
            "docker daemon",
            "cannot connect to the docker",
            "agent disconnected",
            "ecs agent",
            "api error (500)",
            "error response from daemon",
            "is the docker daemon running",
            "could not transition to",
        )
        or msg.word("containerd")
    ):  # the runtime, not `containerDefinitions`'s first letters
        return found(
            "agent_or_docker_daemon", 0.75, "the Docker daemon, container runtime or ECS agent failed", msg
        )
    return None
