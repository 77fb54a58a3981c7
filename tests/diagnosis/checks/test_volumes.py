"""volumes: the EFS file system, its mount targets in the task's zones, NFS 2049 from the task, the access point."""

from __future__ import annotations

from typing import Any

from diagnosis.checks.evidence import LiveEvidence
from diagnosis.checks.volumes import check_volumes, efs_volumes

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


def only(ev: LiveEvidence) -> Any:
    (result,) = check_volumes(ev, "volume_mount")
    assert result.name == "efs_volume"
    assert result.names["efs"] == FS
    return result


def test_efs_volumes_of_a_definition() -> None:
    assert efs_volumes({"volumes": [volume(), {"name": "scratch", "host": {}}]})[0]["fileSystemId"] == FS


def test_open_path_is_context() -> None:
    result = only(evidence(nfs_from=[{"UserIdGroupPairs": [{"GroupId": TASK_SG}]}]))
    assert result.outcome == "inconclusive"
    assert "mount target fsmt-00 in subnet-mt0 (eu-central-1a) serves subnet-00" in result.detail


def test_no_nfs_from_the_task_security_group() -> None:
    result = only(evidence(nfs_from=[{"UserIdGroupPairs": [{"GroupId": "sg-0someoneelse0000"}]}]))
    assert result.outcome == "confirms"
    assert f"mount target fsmt-00 in subnet-mt0 allows no NFS 2049 from {TASK_SG}" in result.detail
    assert MT_SG in result.detail


def test_nfs_from_a_range_covering_the_subnet() -> None:
    assert only(evidence(nfs_from=[{"IpRanges": [{"CidrIp": "10.8.0.0/16"}]}])).outcome == "inconclusive"
    assert only(evidence(nfs_from=[{"IpRanges": [{"CidrIp": "10.9.0.0/16"}]}])).outcome == "confirms"


def test_no_mount_target_in_the_task_zone() -> None:
    ev = evidence(
        zones=("eu-central-1a", "eu-central-1c"), nfs_from=[{"UserIdGroupPairs": [{"GroupId": TASK_SG}]}]
    )
    result = only(ev)
    assert result.outcome == "confirms"
    assert f"{FS} has no mount target in eu-central-1c, where the task's subnet subnet-01 is" in result.detail


def test_missing_file_system() -> None:
    result = only(evidence(file_systems={FS: "FileSystemNotFound"}))
    assert result.outcome == "confirms"
    assert f"the EFS file system {FS} does not exist in eu-central-1" in result.detail


def test_access_point_of_another_file_system_and_iam_authorization() -> None:
    point = {"AccessPointId": "fsap-01", "FileSystemId": "fs-0other", "LifeCycleState": "available"}
    ev = evidence(
        volume=volume("fsap-01", iam=True),
        nfs_from=[{"UserIdGroupPairs": [{"GroupId": TASK_SG}]}],
        access_points={"fsap-01": point},
    )
    result = only(ev)
    assert result.outcome == "confirms"
    assert f"the access point fsap-01 belongs to fs-0other, not to {FS}" in result.detail
    assert (
        "the task role arn:aws:iam::777788889999:role/cms-task needs elasticfilesystem:ClientMount"
        in result.detail
    )


def test_missing_access_point() -> None:
    ev = evidence(volume=volume("fsap-09"), access_points={"fsap-09": "AccessPointNotFound"})
    assert "the access point fsap-09 does not exist" in only(ev).detail


def test_unread_file_system_says_nothing() -> None:
    assert check_volumes(evidence(file_systems={}), "volume_mount") == []
