"""EFS volumes: the file system exists and is available, it has a mount target in each Availability Zone of the
task's subnets, the mount targets' security groups let NFS (TCP 2049) in from the task's security groups, and
the access point exists and belongs to the file system."""

from __future__ import annotations

import ipaddress
from typing import Any

from diagnosis.checks.evidence import CheckResult, LiveEvidence, Outcome
from diagnosis.checks.taskdef import definition_of
from diagnosis.models import EvidenceItem

NFS = 2049
SOURCE = "elasticfilesystem:DescribeMountTargets"


def efs_volumes(definition: dict[str, Any]) -> list[dict[str, Any]]:
    """The task definition's EFS volume configurations (fileSystemId, accessPointId, transit encryption)."""
    return [
        {**(v.get("efsVolumeConfiguration") or {}), "volume": v.get("name", "")}
        for v in definition.get("volumes") or []
        if (v.get("efsVolumeConfiguration") or {}).get("fileSystemId")
    ]


def check_volumes(evidence: LiveEvidence, category: str) -> list[CheckResult]:
    revision, definition = definition_of(evidence, category)
    volumes = efs_volumes(definition) if definition else []
    results = []
    for volume in volumes:
        problems, facts = _one(evidence, volume)
        if not problems and not facts:
            continue
        outcome: Outcome = "confirms" if problems else "inconclusive"
        lines = [*problems, *facts]
        results.append(
            CheckResult(
                category,
                "efs_volume",
                outcome,
                f"volume {volume['volume']} of {revision}: " + "; ".join(lines),
                tuple(EvidenceItem(source=SOURCE, fact=line) for line in lines),
                {"efs": str(volume["fileSystemId"])},
            )
        )
    return results


def _one(evidence: LiveEvidence, volume: dict[str, Any]) -> tuple[list[str], list[str]]:
    fs = str(volume["fileSystemId"])
    described = evidence.file_systems.get(fs)
    if described is None:
        return [], []
    if isinstance(described, str):
        if described == "FileSystemNotFound":
            return [f"the EFS file system {fs} does not exist in {evidence.region}"], []
        return [], []
    problems: list[str] = []
    facts = [f"EFS file system {fs} is {described.get('LifeCycleState', '?')}"]
    if described.get("LifeCycleState", "available") != "available":
        problems.append(f"the EFS file system {fs} is {described.get('LifeCycleState')}, not available")
    problems += _mount_targets(evidence, fs, facts)
    problems += _access_point(evidence, volume, fs, facts)
    authorization = volume.get("authorizationConfig") or {}
    if authorization.get("iam") == "ENABLED":
        role = definition_of(evidence)[1].get("taskRoleArn") or "(no task role)"
        facts.append(f"IAM authorization is on: the task role {role} needs elasticfilesystem:ClientMount")
    return problems, facts


def _mount_targets(evidence: LiveEvidence, fs: str, facts: list[str]) -> list[str]:
    targets = evidence.mount_targets.get(fs)
    if targets is None:
        return []
    available = [t for t in targets if t.get("LifeCycleState", "available") == "available"]
    if not available:
        return [f"the EFS file system {fs} has no available mount target"]
    problems = []
    by_zone = {t.get("AvailabilityZoneName") or t.get("AvailabilityZoneId"): t for t in available}
    task_groups = [g.get("GroupId", "") for g in evidence.security_groups]
    for subnet in evidence.subnets:
        zone = subnet.get("AvailabilityZone")
        target = by_zone.get(zone)
        subnet_id = subnet.get("SubnetId", "")
        if target is None:
            problems.append(
                f"the EFS file system {fs} has no mount target in {zone}, where the task's subnet {subnet_id} is "
                f"(mount targets in: {', '.join(sorted(str(z) for z in by_zone))})"
            )
            continue
        if target.get("VpcId") and subnet.get("VpcId") and target["VpcId"] != subnet["VpcId"]:
            problems.append(
                f"the mount target {target.get('MountTargetId')} is in {target['VpcId']}, the task in {subnet['VpcId']}"
            )
            continue
        facts.append(
            f"mount target {target.get('MountTargetId')} in {target.get('SubnetId')} ({zone}) serves {subnet_id}"
        )
        blocked = _nfs_blocked(evidence, target, task_groups, subnet)
        if blocked:
            problems.append(blocked)
    return problems


def _nfs_blocked(
    evidence: LiveEvidence, target: dict[str, Any], task_groups: list[str], subnet: dict[str, Any]
) -> str:
    """Why the mount target's security groups refuse NFS from the task, or "" when a rule admits it."""
    groups_of_target = evidence.mount_target_groups.get(str(target.get("MountTargetId")))
    if groups_of_target is None or evidence.vpc_security_groups is None:
        return ""
    rules = {g.get("GroupId"): g for g in evidence.vpc_security_groups}
    cidr = subnet.get("CidrBlock", "")
    for group_id in groups_of_target:
        for rule in (rules.get(group_id) or {}).get("IpPermissions", []):
            protocol = rule.get("IpProtocol")
            if not (
                protocol == "-1"
                or (protocol == "tcp" and rule.get("FromPort", 0) <= NFS <= rule.get("ToPort", 65535))
            ):
                continue
            pairs = {p.get("GroupId") for p in rule.get("UserIdGroupPairs", [])}
            if pairs & set(task_groups) or any(
                _covers(r.get("CidrIp", ""), cidr) for r in rule.get("IpRanges", [])
            ):
                return ""
    shown = ", ".join(task_groups) or "the task's security group"
    return (
        f"mount target {target.get('MountTargetId')} in {target.get('SubnetId')} allows no NFS {NFS} from "
        f"{shown} (its security groups: {', '.join(groups_of_target) or 'none'})"
    )


def _access_point(evidence: LiveEvidence, volume: dict[str, Any], fs: str, facts: list[str]) -> list[str]:
    point_id = (volume.get("authorizationConfig") or {}).get("accessPointId")
    if not point_id:
        return []
    point = evidence.access_points.get(str(point_id))
    if point is None:
        return []
    if isinstance(point, str):
        return [f"the access point {point_id} does not exist"] if point == "AccessPointNotFound" else []
    if point.get("FileSystemId") and point["FileSystemId"] != fs:
        return [f"the access point {point_id} belongs to {point['FileSystemId']}, not to {fs}"]
    user = point.get("PosixUser") or {}
    root = (point.get("RootDirectory") or {}).get("Path", "/")
    who = f", uid {user.get('Uid')} gid {user.get('Gid')}" if user else ""
    facts.append(f"access point {point_id} ({point.get('LifeCycleState', '?')}): root {root}{who}")
    if point.get("LifeCycleState", "available") != "available":
        return [f"the access point {point_id} is {point.get('LifeCycleState')}"]
    return []


def _covers(rule_cidr: str, subnet_cidr: str) -> bool:
    try:
        return ipaddress.ip_network(subnet_cidr).subnet_of(ipaddress.ip_network(rule_cidr))  # type: ignore[arg-type]
    except (ValueError, TypeError):
        return False
