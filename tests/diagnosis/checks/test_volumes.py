"""volumes: the EFS file system, its mount targets in the task's zones, NFS 2049 from the task, the access point."""

from __future__ import annotations

from typing import Any

from diagnosis.checks.evidence import LiveEvidence
from diagnosis.checks.volumes import check_volumes, efs_volumes
from tests.builders.volumes_evidence import FS, MT_SG, TASK_SG, evidence, volume


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
