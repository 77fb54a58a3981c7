"""The task's network path to AWS endpoints: routes (NAT / internet gateway), VPC endpoints, security group
egress, network ACLs and free addresses. Names the subnet and what is missing."""

from __future__ import annotations

from typing import Any

from diagnosis.checks.evidence import CheckResult, LiveEvidence
from diagnosis.models import EvidenceItem

# The endpoints a task needs when it has no NAT, per cause.
NEEDED_ENDPOINTS = {
    "image_pull_network": ("ecr.api", "ecr.dkr", "s3"),
    "image_pull_auth": ("ecr.api", "ecr.dkr", "s3"),
    "secrets_retrieval": ("secretsmanager", "ssm"),
    "log_driver_init": ("logs",),
}


def check_subnet_ips(evidence: LiveEvidence, category: str) -> list[CheckResult]:
    """ENI attachment failures: a subnet with (almost) no free address."""
    if not evidence.subnets:
        return []
    names = {"subnet": evidence.subnets[0]["SubnetId"]}
    full = [
        f"{s['SubnetId']} has {s.get('AvailableIpAddressCount', '?')} free addresses"
        for s in evidence.subnets
        if int(s.get("AvailableIpAddressCount", 1)) < 5
    ]
    if full:
        return [
            CheckResult(
                category,
                "subnet_ips",
                "confirms",
                "; ".join(full),
                tuple(EvidenceItem(source="ec2:DescribeSubnets", fact=f) for f in full),
                names,
            )
        ]
    free = ", ".join(f"{s['SubnetId']} {s.get('AvailableIpAddressCount', '?')}" for s in evidence.subnets)
    return [
        CheckResult(
            category, "subnet_ips", "refutes", f"the subnets have free addresses ({free})", names=names
        )
    ]


def check_network(evidence: LiveEvidence, category: str) -> list[CheckResult]:
    if category not in NEEDED_ENDPOINTS or not evidence.subnets or not evidence.network_read:
        return []
    source = "ec2:DescribeRouteTables/DescribeVpcEndpoints"
    results: list[CheckResult] = []
    blocked, reachable = network_path(evidence, NEEDED_ENDPOINTS.get(category, ()))
    vpc = evidence.subnets[0].get("VpcId", "")
    names = {"subnet": evidence.subnets[0].get("SubnetId", ""), "vpc": vpc}
    if evidence.security_groups:
        names["security_group"] = evidence.security_groups[0].get("GroupId", "")
    if blocked:
        results.append(
            CheckResult(
                category,
                "network_path",
                "confirms",
                "; ".join(blocked),
                tuple(EvidenceItem(source=source, fact=b) for b in blocked),
                names,
            )
        )
    elif reachable:
        refutes = category == "image_pull_network"  # for other causes an open path is only context
        items = tuple(EvidenceItem(source=source, fact=r) for r in reachable) if refutes else ()
        detail = "the network path looks open: " + "; ".join(reachable)
        results.append(
            CheckResult(
                category, "network_path", "refutes" if refutes else "inconclusive", detail, items, names
            )
        )
    return results


def network_path(evidence: LiveEvidence, needed: tuple[str, ...]) -> tuple[list[str], list[str]]:
    """(what blocks, what reaches) the AWS services `needed` (endpoint names: "ecr.api", "ssmmessages") from
    each of the task's subnets: a NAT route, an internet gateway with a public address, another default
    route, or VPC endpoints for all of them; then security group egress on 443 and network ACLs."""
    public_ip = _assign_public_ip(evidence.service)
    endpoints_read = evidence.endpoints is not None
    services = _endpoint_services(evidence.endpoints or [], evidence.region)
    blocked: list[str] = []
    reachable: list[str] = []
    for subnet in evidence.subnets:
        subnet_id = subnet.get("SubnetId", "")
        table = _route_table(subnet, evidence.route_tables)
        route = _default_route(table)
        table_id = (table or {}).get("RouteTableId", "no route table")
        if route.startswith("nat-") or (route.startswith("igw-") and public_ip):
            reachable.append(f"{subnet_id} routes 0.0.0.0/0 to {route}")
            continue
        if route and not route.startswith("igw-"):
            reachable.append(f"{subnet_id} routes 0.0.0.0/0 to {route} (egress beyond it was not checked)")
            continue
        missing = [name for name in needed if name not in services]
        if needed and not missing:
            reachable.append(f"{subnet_id} has VPC endpoints for {', '.join(needed)}")
            continue
        if route.startswith("igw-"):
            why = (
                f"the task runs in {subnet_id}, a public subnet (route to {route}), with assignPublicIp "
                "DISABLED, so it has no address to reach the internet"
            )
        else:
            why = (
                f"the task runs in {subnet_id} whose route table {table_id} has no NAT gateway or internet "
                "gateway route"
            )
        if needed and endpoints_read:
            why += f", and the VPC has no {' or '.join(missing)} endpoint" + ("s" if len(missing) > 1 else "")
        elif needed:
            why += " (its VPC endpoints could not be read)"
        blocked.append(why)
    egress = _egress_443_blocked(evidence.security_groups)
    if egress:
        blocked.append(egress)
    blocked.extend(_nacl_blocks(evidence.nacls, [s.get("SubnetId", "") for s in evidence.subnets]))
    return blocked, reachable


def _assign_public_ip(service: dict[str, Any] | None) -> bool:
    config = ((service or {}).get("networkConfiguration") or {}).get("awsvpcConfiguration") or {}
    return config.get("assignPublicIp") == "ENABLED"


def _route_table(subnet: dict[str, Any], tables: list[dict[str, Any]]) -> dict[str, Any] | None:
    """The subnet's explicitly associated route table, or else its VPC's main one."""
    main = None
    for table in tables:
        for association in table.get("Associations", []):
            if association.get("SubnetId") == subnet.get("SubnetId"):
                return table
            if association.get("Main") and table.get("VpcId") == subnet.get("VpcId"):
                main = table
    return main


def _default_route(table: dict[str, Any] | None) -> str:
    for route in (table or {}).get("Routes", []):
        if route.get("DestinationCidrBlock") == "0.0.0.0/0" and route.get("State", "active") == "active":
            return str(
                route.get("NatGatewayId")
                or route.get("GatewayId")
                or route.get("TransitGatewayId")
                or route.get("NetworkInterfaceId")
                or route.get("InstanceId")
                or ""
            )
    return ""


def _endpoint_services(endpoints: list[dict[str, Any]], region: str) -> set[str]:
    """Services the VPC reaches through endpoints. An interface endpoint without private DNS does not count:
    the task resolves the public name and still needs a way out."""
    prefix = f"com.amazonaws.{region}."
    return {
        str(e.get("ServiceName", "")).removeprefix(prefix)
        for e in endpoints
        if e.get("State", "available").lower() in ("available", "pending")
        and (e.get("VpcEndpointType", "Interface") == "Gateway" or e.get("PrivateDnsEnabled", True))
    }


def _egress_443_blocked(groups: list[dict[str, Any]]) -> str:
    if not groups:
        return ""
    for group in groups:
        for rule in group.get("IpPermissionsEgress", []):
            protocol = rule.get("IpProtocol")
            if protocol == "-1" or (
                protocol == "tcp" and rule.get("FromPort", 0) <= 443 <= rule.get("ToPort", 0)
            ):
                return ""
    return (
        "the task's security groups ("
        + ", ".join(g.get("GroupId", "") for g in groups)
        + ") allow no outbound HTTPS (443)"
    )


def _nacl_blocks(nacls: list[dict[str, Any]], subnet_ids: list[str]) -> list[str]:
    """A network ACL on the task's subnet that denies HTTPS out, or the return traffic in (ephemeral ports).
    ACL rules are evaluated in rule-number order and the first match decides."""
    found = []
    for nacl in nacls:
        attached = [
            a.get("SubnetId") for a in nacl.get("Associations", []) if a.get("SubnetId") in subnet_ids
        ]
        if not attached:
            continue
        for egress, port, what in (
            (True, 443, "outbound HTTPS (443)"),
            (False, 32768, "return traffic (ephemeral ports) in"),
        ):
            if _nacl_decision(nacl.get("Entries", []), egress, port) == "deny":
                found.append(f"the network ACL {nacl.get('NetworkAclId', '')} of {attached[0]} denies {what}")
    return found


def _nacl_decision(entries: list[dict[str, Any]], egress: bool, port: int) -> str:
    for entry in sorted(
        (e for e in entries if bool(e.get("Egress")) == egress), key=lambda e: e.get("RuleNumber", 0)
    ):
        if entry.get("CidrBlock", "0.0.0.0/0") != "0.0.0.0/0":
            continue
        protocol = str(entry.get("Protocol", "-1"))
        ports = entry.get("PortRange") or {}
        covers = protocol == "-1" or (
            protocol == "6" and ports.get("From", 0) <= port <= ports.get("To", 65535)
        )
        if covers:
            return str(entry.get("RuleAction", "deny"))
    return "deny"
