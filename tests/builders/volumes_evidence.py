"""LiveEvidence of a task with an EFS volume: the file system, its mount targets and their security groups."""

from __future__ import annotations

from typing import Any

from diagnosis.checks.evidence import LiveEvidence

TD = "arn:aws:ecs:eu-central-1:777788889999:task-definition/cms:9"
FS = "fs-0c1d2e3f4a5b6c7d8"
TASK_SG = "sg-0aa11bb22cc33dd44"
MT_SG = "sg-0ee55ff66aa77bb88"


def volume(access_point: str | None = None, iam: bool = False) -> dict[str, Any]:
    auth: dict[str, Any] = {}
    if access_point:
        auth["accessPointId"] = access_point
    if iam:
        auth["iam"] = "ENABLED"
    config: dict[str, Any] = {"fileSystemId": FS, "transitEncryption": "ENABLED"}
    if auth:
        config["authorizationConfig"] = auth
    return {"name": "uploads", "efsVolumeConfiguration": config}


def evidence(
    *,
    zones: tuple[str, ...] = ("eu-central-1a",),
    targets: tuple[str, ...] = ("eu-central-1a",),
    nfs_from: list[dict[str, Any]] | None = None,
    **extra: Any,
) -> LiveEvidence:
    definition = {
        "taskDefinitionArn": TD,
        "taskRoleArn": "arn:aws:iam::777788889999:role/cms-task",
        "containerDefinitions": [{"name": "cms"}],
        "volumes": [extra.pop("volume", volume())],
    }
    subnets = [
        {
            "SubnetId": f"subnet-0{i}",
            "AvailabilityZone": zone,
            "VpcId": "vpc-1",
            "CidrBlock": f"10.8.{i}.0/24",
        }
        for i, zone in enumerate(zones)
    ]
    mount_targets = [
        {
            "MountTargetId": f"fsmt-0{i}",
            "SubnetId": f"subnet-mt{i}",
            "AvailabilityZoneName": zone,
            "VpcId": "vpc-1",
            "LifeCycleState": "available",
        }
        for i, zone in enumerate(targets)
    ]
    rules = [{"IpProtocol": "tcp", "FromPort": 2049, "ToPort": 2049, **rule} for rule in nfs_from or []]
    return LiveEvidence(
        region="eu-central-1",
        tasks=[{"taskDefinitionArn": TD, "lastStatus": "STOPPED", "containers": [{"name": "cms"}]}],
        task_definitions={TD: definition},
        subnets=subnets,
        security_groups=[{"GroupId": TASK_SG}],
        file_systems=extra.pop("file_systems", {FS: {"FileSystemId": FS, "LifeCycleState": "available"}}),
        mount_targets={FS: mount_targets},
        mount_target_groups={t["MountTargetId"]: [MT_SG] for t in mount_targets},
        vpc_security_groups=[{"GroupId": MT_SG, "IpPermissions": rules}],
        **extra,
    )
