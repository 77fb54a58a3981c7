"""The collectors behind the facts an expert states, as sources of the existing rounds 3 and 4 (never a round
more).

Round 3: the cluster's container instance ARNs (placement), the image's manifest with the manifest list / OCI
index media types (platform), the EFS file system, its mount targets and access point (volumes). Round 4:
the container instances themselves, and the mount targets' security groups with the VPC's group rules.
Secret and parameter metadata (KMS key, deletion date) come from the calls round 3 already makes
(`secret_details`, absorbed by the secrets source).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from diagnosis.checks import needs
from diagnosis.checks.evidence import LiveEvidence
from diagnosis.checks.platform import INDEX_TYPES, SINGLE_TYPES
from diagnosis.checks.taskdef import definition_of
from diagnosis.checks.volumes import efs_volumes
from diagnosis.collect.aws import Call, Outcome, first
from diagnosis.collect.plan import Plan, Source

ECR_IMAGE = re.compile(r"^(\d{12})\.dkr\.ecr\.([a-z0-9-]+)\.amazonaws\.com(?:\.cn)?/([^:@]+)(?::([^@]+))?")
MAX_IMAGES, MAX_VOLUMES, MAX_MOUNT_TARGETS = 3, 2, 4


def _plan_instance_arns(plan: Plan) -> dict[str, Call]:
    return {
        "instances": Call(
            "ecs",
            "list_container_instances",
            {"cluster": plan.cluster, "maxResults": 100},
            "container instances",
        )
    }


def _absorb_instance_arns(evidence: LiveEvidence, results: Mapping[str, Outcome]) -> None:
    for outcome in results.values():
        evidence.container_instance_arns = list((outcome.data or {}).get("containerInstanceArns") or [])
        evidence.container_instances = [] if outcome.ok and not evidence.container_instance_arns else None


INSTANCE_ARNS = Source(_plan_instance_arns, _absorb_instance_arns)


def _plan_instances(plan: Plan) -> dict[str, Call]:
    arns = plan.evidence.container_instance_arns
    if not arns:
        return {}
    return {
        "describe_instances": Call(
            "ecs",
            "describe_container_instances",
            {"cluster": plan.cluster, "containerInstances": arns[:100]},
            "container instances",
        )
    }


def _absorb_instances(evidence: LiveEvidence, results: Mapping[str, Outcome]) -> None:
    for outcome in results.values():
        evidence.container_instances = first(outcome, "containerInstances") if outcome.ok else None


INSTANCES = Source(_plan_instances, _absorb_instances, round=4, requires=(needs.CONTAINER_INSTANCE_ARNS,))


def _plan_manifests(plan: Plan) -> dict[str, Call]:
    calls: dict[str, Call] = {}
    for category in sorted(plan.wanted.get(needs.IMAGE_MANIFESTS.name, set())):
        definition = definition_of(plan.evidence, category)[1]
        for repository, tag in ecr_images(definition, plan.evidence.region)[:MAX_IMAGES]:
            calls[f"manifest:{repository}:{tag}"] = Call(
                "ecr",
                "batch_get_image",
                {
                    "repositoryName": repository,
                    "imageIds": [{"imageDigest": tag} if tag.startswith("sha256:") else {"imageTag": tag}],
                    "acceptedMediaTypes": [*INDEX_TYPES, *SINGLE_TYPES],
                },
                "image manifest",
                frozenset({"RepositoryNotFoundException"}),
            )
    return calls


def _absorb_manifests(evidence: LiveEvidence, results: Mapping[str, Outcome]) -> None:
    for key, outcome in results.items():
        images = first(outcome, "images")
        failures = first(outcome, "failures")
        evidence.image_manifests[key.removeprefix("manifest:")] = (
            images[0]
            if images
            else str((failures[0] if failures else {}).get("failureCode") or outcome.error)
        )


MANIFESTS = Source(_plan_manifests, _absorb_manifests)


def _plan_efs(plan: Plan) -> dict[str, Call]:
    calls: dict[str, Call] = {}
    for category in sorted(plan.wanted.get(needs.EFS.name, set())):
        definition = definition_of(plan.evidence, category)[1]
        for volume in efs_volumes(definition)[:MAX_VOLUMES]:
            fs = str(volume["fileSystemId"])
            calls[f"fs:{fs}"] = Call(
                "efs",
                "describe_file_systems",
                {"FileSystemId": fs},
                "EFS file system",
                frozenset({"FileSystemNotFound"}),
            )
            calls[f"mt:{fs}"] = Call(
                "efs",
                "describe_mount_targets",
                {"FileSystemId": fs},
                "EFS mount targets",
                frozenset({"FileSystemNotFound"}),
            )
            point = (volume.get("authorizationConfig") or {}).get("accessPointId")
            if point:
                calls[f"ap:{point}"] = Call(
                    "efs",
                    "describe_access_points",
                    {"AccessPointId": point},
                    "EFS access point",
                    frozenset({"AccessPointNotFound"}),
                )
    return calls


def _absorb_efs(evidence: LiveEvidence, results: Mapping[str, Outcome]) -> None:
    for key, outcome in results.items():
        what, _, ident = key.partition(":")
        if what == "fs":
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


EFS = Source(_plan_efs, _absorb_efs)


def _plan_efs_security(plan: Plan) -> dict[str, Call]:
    evidence = plan.evidence
    zones = {s.get("AvailabilityZone") for s in evidence.subnets}
    targets = [
        t
        for found in evidence.mount_targets.values()
        for t in found
        if t.get("AvailabilityZoneName") in zones or not zones
    ][:MAX_MOUNT_TARGETS]
    calls: dict[str, Call] = {
        f"mtsg:{target['MountTargetId']}": Call(
            "efs",
            "describe_mount_target_security_groups",
            {"MountTargetId": target["MountTargetId"]},
            "EFS mount target security groups",
        )
        for target in targets
    }
    vpcs = sorted({t["VpcId"] for t in targets if t.get("VpcId")})
    if vpcs:
        calls["vpc_groups"] = Call(
            "ec2",
            "describe_security_groups",
            {"Filters": [{"Name": "vpc-id", "Values": vpcs}]},
            "security groups of the mount targets",
        )
    return calls


def _absorb_efs_security(evidence: LiveEvidence, results: Mapping[str, Outcome]) -> None:
    for key, outcome in results.items():
        if key.startswith("mtsg:") and outcome.ok:
            evidence.mount_target_groups[key[5:]] = list((outcome.data or {}).get("SecurityGroups") or [])
        elif key == "vpc_groups":
            evidence.vpc_security_groups = first(outcome, "SecurityGroups") if outcome.ok else None


EFS_SECURITY = Source(_plan_efs_security, _absorb_efs_security, round=4, requires=(needs.EFS, needs.SUBNETS))


def foreign_registry(match: re.Match[str], definition_arn: str) -> bool:
    """The ECR image (an `ECR_IMAGE` match) is in another account than the task definition's."""
    parts = definition_arn.split(":")
    return len(parts) > 4 and parts[4].isdigit() and match.group(1) != parts[4]


def ecr_images(definition: dict[str, Any], region: str) -> list[tuple[str, str]]:
    """(repository, tag or digest) of the definition's images in this region's ECR, of its own account."""
    found: list[tuple[str, str]] = []
    for container in definition.get("containerDefinitions", []):
        image = str(container.get("image", ""))
        match = ECR_IMAGE.match(image)
        if not match or match.group(2) != region:
            continue
        if foreign_registry(match, str(definition.get("taskDefinitionArn", ""))):
            continue
        reference = image.split("@", 1)[1] if "@" in image else (match.group(4) or "latest")
        if (match.group(3), reference) not in found:
            found.append((match.group(3), reference))
    return found


def secret_details(evidence: LiveEvidence, kind: str, ref: str, data: dict[str, Any]) -> None:
    """The KMS key, deletion date and version labels of a secret, the type and key of a parameter (never a
    value)."""
    if kind == "secret":
        evidence.secret_details[ref] = {
            k: data[k] for k in ("ARN", "Name", "KmsKeyId", "DeletedDate", "VersionIdsToStages") if k in data
        }
        return
    parameters = data.get("Parameters") or []
    if parameters:
        evidence.secret_details[ref] = {
            k: parameters[0][k] for k in ("Name", "Type", "KeyId") if k in parameters[0]
        }
