"""ECR: one repository per service holding the tags that were pushed, each a small two-blob image manifest."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from typing import Any

from bot.demo.world import World


def create_repositories(world: World, pushed: Mapping[str, Iterable[str]]) -> None:
    """`pushed`: repository -> its tags. Records each repository's URI and each image's digest."""
    for repository, tags in pushed.items():
        uri = world.ecr.create_repository(repositoryName=repository)["repository"]["repositoryUri"]
        world.ids[f"ecr_{repository}"] = uri
        for tag in tags:
            image = world.ecr.put_image(
                repositoryName=repository, imageManifest=json.dumps(_manifest(repository, tag)), imageTag=tag
            )["image"]
            world.digests[f"{repository}:{tag}"] = image["imageId"]["imageDigest"]


def _manifest(repository: str, tag: str) -> dict[str, Any]:
    return {
        "schemaVersion": 2,
        "mediaType": "application/vnd.docker.distribution.manifest.v2+json",
        "config": {
            "mediaType": "application/vnd.docker.container.image.v1+json",
            "size": 7023,
            "digest": _digest(f"config {repository}:{tag}"),
        },
        "layers": [
            {
                "mediaType": "application/vnd.docker.image.rootfs.diff.tar.gzip",
                "size": 31_357_624 + len(repository) * 1000,
                "digest": _digest(f"layer {repository}:{tag}"),
            }
        ],
    }


def _digest(content: str) -> str:
    return "sha256:" + hashlib.sha256(content.encode()).hexdigest()
