"""The calls behind the facts an expert states, planned into the existing rounds 3 and 4 (never a round more).

Round 3: the cluster's container instance ARNs (placement), the image's manifest with the manifest list / OCI
index media types (platform), the EFS file system, its mount targets and access point (volumes). Round 4:
the container instances themselves, and the mount targets' security groups with the VPC's group rules.
Secret and parameter metadata (KMS key, deletion date) come from the calls round 3 already makes.
"""

from __future__ import annotations

import re
from typing import Any

from diagnosis.checks.evidence import LiveEvidence
from diagnosis.checks.platform import INDEX_TYPES, SINGLE_TYPES
from diagnosis.checks.taskdef import definition_of
from diagnosis.checks.volumes import efs_volumes
from diagnosis.collect.aws import Call, Outcome, first

ECR_IMAGE = re.compile(r"^(\d{12})\.dkr\.ecr\.([a-z0-9-]+)\.amazonaws\.com(?:\.cn)?/([^:@]+)(?::([^@]+))?")
PLACEMENT = {"placement_insufficient_resources", "placement_constraint_or_no_instances"}
PLATFORM = {"image_platform_mismatch"}
VOLUMES = {"volume_mount"}
MAX_IMAGES, MAX_VOLUMES, MAX_MOUNT_TARGETS = 3, 2, 4


def plan(evidence: LiveEvidence, candidates: list[str], cluster: str) -> dict[str, Call]:
    wanted = set(candidates)
    calls: dict[str, Call] = {}
    if wanted & PLACEMENT:
        calls["facts:instances"] = Call(
            "ecs", "list_container_instances", {"cluster": cluster, "maxResults": 100}, "container instances"
        )
    for category in dict.fromkeys(candidates):
        definition = definition_of(evidence, category)[1]
        if category in PLATFORM:
            for repository, tag in ecr_images(definition, evidence.region)[:MAX_IMAGES]:
                calls[f"facts:manifest:{repository}:{tag}"] = Call(
                    "ecr",
                    "batch_get_image",
                    {
                        "repositoryName": repository,
                        "imageIds": [
                            {"imageDigest": tag} if tag.startswith("sha256:") else {"imageTag": tag}
                        ],
                        "acceptedMediaTypes": [*INDEX_TYPES, *SINGLE_TYPES],
                    },
                    "image manifest",
                    frozenset({"RepositoryNotFoundException"}),
                )
        if category in VOLUMES:
            for volume in efs_volumes(definition)[:MAX_VOLUMES]:
                fs = str(volume["fileSystemId"])
                calls[f"facts:fs:{fs}"] = Call(
                    "efs",
                    "describe_file_systems",
                    {"FileSystemId": fs},
                    "EFS file system",
                    frozenset({"FileSystemNotFound"}),
                )
                calls[f"facts:mt:{fs}"] = Call(
                    "efs",
                    "describe_mount_targets",
                    {"FileSystemId": fs},
                    "EFS mount targets",
                    frozenset({"FileSystemNotFound"}),
                )
                point = (volume.get("authorizationConfig") or {}).get("accessPointId")
                if point:
                    calls[f"facts:ap:{point}"] = Call(
                        "efs",
                        "describe_access_points",
                        {"AccessPointId": point},
                        "EFS access point",
                        frozenset({"AccessPointNotFound"}),
                    )
    return calls


def plan_round_four(evidence: LiveEvidence, cluster: str, instance_arns: list[str]) -> dict[str, Call]:
    calls: dict[str, Call] = {}
    if instance_arns:
        calls["facts:describe_instances"] = Call(
            "ecs",
            "describe_container_instances",
            {"cluster": cluster, "containerInstances": instance_arns[:100]},
            "container instances",
        )
    zones = {s.get("AvailabilityZone") for s in evidence.subnets}
    targets = [
        t
        for found in evidence.mount_targets.values()
        for t in found
        if t.get("AvailabilityZoneName") in zones or not zones
    ][:MAX_MOUNT_TARGETS]
    for target in targets:
        calls[f"facts:mtsg:{target['MountTargetId']}"] = Call(
            "efs",
            "describe_mount_target_security_groups",
            {"MountTargetId": target["MountTargetId"]},
            "EFS mount target security groups",
        )
    vpcs = sorted({t["VpcId"] for t in targets if t.get("VpcId")})
    if vpcs:
        calls["facts:vpc_groups"] = Call(
            "ec2",
            "describe_security_groups",
            {"Filters": [{"Name": "vpc-id", "Values": vpcs}]},
            "security groups of the mount targets",
        )
    return calls


def absorb(evidence: LiveEvidence, results: dict[str, Outcome]) -> list[str]:
    """Fill the evidence from the answers; return the container instance ARNs to describe in round 4."""
    instance_arns: list[str] = []
    for key, outcome in results.items():
        data = outcome.data or {}
        kind, _, rest = key.partition(":")
        if kind in ("secret", "param") and outcome.ok:
            _secret_details(evidence, kind, rest, data)
            continue
        if kind != "facts":
            continue
        what, _, ident = rest.partition(":")
        if what == "instances":
            instance_arns = list(data.get("containerInstanceArns") or [])
            evidence.container_instances = [] if outcome.ok and not instance_arns else None
        elif what == "describe_instances":
            evidence.container_instances = first(outcome, "containerInstances") if outcome.ok else None
        elif what == "manifest":
            images = first(outcome, "images")
            failures = first(outcome, "failures")
            evidence.image_manifests[ident] = (
                images[0]
                if images
                else str((failures[0] if failures else {}).get("failureCode") or outcome.error)
            )
        elif what == "fs":
            systems = first(outcome, "FileSystems")
            evidence.file_systems[ident] = (
                systems[0] if systems else str(outcome.error or "FileSystemNotFound")
            )
        elif what == "mt" and outcome.ok:
            evidence.mount_targets[ident] = first(outcome, "MountTargets")
        elif what == "ap":
            points = first(outcome, "AccessPoints")
            evidence.access_points[ident] = (
                points[0] if points else str(outcome.error or "AccessPointNotFound")
            )
        elif what == "mtsg" and outcome.ok:
            evidence.mount_target_groups[ident] = list(data.get("SecurityGroups") or [])
        elif what == "vpc_groups":
            evidence.vpc_security_groups = first(outcome, "SecurityGroups") if outcome.ok else None
    return instance_arns


def ecr_images(definition: dict[str, Any], region: str) -> list[tuple[str, str]]:
    """(repository, tag or digest) of the definition's images in this region's ECR."""
    found: list[tuple[str, str]] = []
    for container in definition.get("containerDefinitions", []):
        image = str(container.get("image", ""))
        match = ECR_IMAGE.match(image)
        if not match or match.group(2) != region:
            continue
        reference = image.split("@", 1)[1] if "@" in image else (match.group(4) or "latest")
        if (match.group(3), reference) not in found:
            found.append((match.group(3), reference))
    return found


def _secret_details(evidence: LiveEvidence, kind: str, ref: str, data: dict[str, Any]) -> None:
    if kind == "secret":
        evidence.secret_details[ref] = {
            k: data[k] for k in ("ARN", "Name", "KmsKeyId", "DeletedDate") if k in data
        }
        return
    parameters = data.get("Parameters") or []
    if parameters:
        evidence.secret_details[ref] = {
            k: parameters[0][k] for k in ("Name", "Type", "KeyId") if k in parameters[0]
        }
