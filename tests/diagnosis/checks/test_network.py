"""network.check_network with plain data in the EC2 API shapes."""

from __future__ import annotations

from typing import Any

from diagnosis.checks.evidence import LiveEvidence
from diagnosis.checks.network import check_network, check_subnet_ips

REGION = "us-east-1"
LOCAL = {"DestinationCidrBlock": "10.0.0.0/16", "GatewayId": "local", "State": "active"}


def subnet(subnet_id: str = "subnet-0a1", free: int = 200) -> dict[str, Any]:
    return {"SubnetId": subnet_id, "VpcId": "vpc-1", "AvailableIpAddressCount": free}


def table(table_id: str, *routes: dict[str, Any], subnet_id: str | None = None, main: bool = False) -> dict:
    associations: list[dict[str, Any]] = []
    if subnet_id:
        associations.append({"RouteTableId": table_id, "SubnetId": subnet_id, "Main": False})
    if main:
        associations.append({"RouteTableId": table_id, "Main": True})
    return {
        "RouteTableId": table_id,
        "VpcId": "vpc-1",
        "Associations": associations,
        "Routes": [LOCAL, *routes],
    }


def endpoint(name: str) -> dict[str, Any]:
    return {"ServiceName": f"com.amazonaws.{REGION}.{name}", "State": "available", "VpcId": "vpc-1"}


def sg(group_id: str = "sg-1", egress: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    if egress is None:
        egress = [{"IpProtocol": "-1", "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}]
    return {"GroupId": group_id, "VpcId": "vpc-1", "IpPermissions": [], "IpPermissionsEgress": egress}


def evidence(
    tables: list[dict[str, Any]],
    endpoints: list[dict[str, Any]] | None = None,
    public_ip: str = "DISABLED",
    groups: list[dict[str, Any]] | None = None,
    subnets: list[dict[str, Any]] | None = None,
) -> LiveEvidence:
    service = {
        "serviceName": "web",
        "networkConfiguration": {
            "awsvpcConfiguration": {
                "subnets": ["subnet-0a1"],
                "securityGroups": ["sg-1"],
                "assignPublicIp": public_ip,
            }
        },
    }
    return LiveEvidence(
        region=REGION,
        service=service,
        subnets=subnets if subnets is not None else [subnet()],
        route_tables=tables,
        network_read=True,
        endpoints=[] if endpoints is None else endpoints,
        security_groups=[sg()] if groups is None else groups,
    )


def test_private_subnet_without_nat_or_endpoints_confirms_and_names_the_subnet() -> None:
    [result] = check_network(evidence([table("rtb-1", subnet_id="subnet-0a1")]), "image_pull_network")
    assert result.outcome == "confirms"
    assert "subnet-0a1" in result.detail
    assert "rtb-1" in result.detail
    assert "no NAT gateway or internet gateway route" in result.detail
    for name in ("ecr.api", "ecr.dkr", "s3"):
        assert name in result.detail
    assert result.names["subnet"] == "subnet-0a1"
    assert result.names["vpc"] == "vpc-1"
    assert result.evidence


def test_a_nat_route_refutes_image_pull_network() -> None:
    nat = {"DestinationCidrBlock": "0.0.0.0/0", "NatGatewayId": "nat-0abc", "State": "active"}
    [result] = check_network(evidence([table("rtb-1", nat, subnet_id="subnet-0a1")]), "image_pull_network")
    assert result.outcome == "refutes"
    assert "nat-0abc" in result.detail


def test_a_nat_route_is_only_inconclusive_for_secrets() -> None:
    nat = {"DestinationCidrBlock": "0.0.0.0/0", "NatGatewayId": "nat-0abc", "State": "active"}
    [result] = check_network(evidence([table("rtb-1", nat, subnet_id="subnet-0a1")]), "secrets_retrieval")
    assert result.outcome == "inconclusive"


def test_a_blackholed_nat_route_is_not_a_path() -> None:
    nat = {"DestinationCidrBlock": "0.0.0.0/0", "NatGatewayId": "nat-0abc", "State": "blackhole"}
    [result] = check_network(evidence([table("rtb-1", nat, subnet_id="subnet-0a1")]), "image_pull_network")
    assert result.outcome == "confirms"


def test_endpoints_for_every_needed_service_refute() -> None:
    endpoints = [endpoint("ecr.api"), endpoint("ecr.dkr"), endpoint("s3")]
    ev = evidence([table("rtb-1", subnet_id="subnet-0a1")], endpoints=endpoints)
    [result] = check_network(ev, "image_pull_network")
    assert result.outcome == "refutes"
    assert "VPC endpoints" in result.detail


def test_partial_endpoints_name_only_the_missing_one() -> None:
    ev = evidence([table("rtb-1", subnet_id="subnet-0a1")], endpoints=[endpoint("ecr.api"), endpoint("s3")])
    [result] = check_network(ev, "image_pull_network")
    assert result.outcome == "confirms"
    assert "ecr.dkr endpoint" in result.detail
    assert "ecr.api" not in result.detail.split("the VPC has no", 1)[1]


def test_public_subnet_with_public_ip_disabled_confirms_naming_it() -> None:
    igw = {"DestinationCidrBlock": "0.0.0.0/0", "GatewayId": "igw-0f00", "State": "active"}
    [result] = check_network(evidence([table("rtb-pub", igw, subnet_id="subnet-0a1")]), "image_pull_network")
    assert result.outcome == "confirms"
    assert "subnet-0a1" in result.detail
    assert "public subnet" in result.detail
    assert "igw-0f00" in result.detail
    assert "assignPublicIp DISABLED" in result.detail


def test_public_subnet_with_public_ip_enabled_refutes() -> None:
    igw = {"DestinationCidrBlock": "0.0.0.0/0", "GatewayId": "igw-0f00", "State": "active"}
    ev = evidence([table("rtb-pub", igw, subnet_id="subnet-0a1")], public_ip="ENABLED")
    [result] = check_network(ev, "image_pull_network")
    assert result.outcome == "refutes"


def test_security_group_without_egress_443_confirms_even_with_a_nat() -> None:
    nat = {"DestinationCidrBlock": "0.0.0.0/0", "NatGatewayId": "nat-0abc", "State": "active"}
    closed = sg("sg-closed", egress=[{"IpProtocol": "tcp", "FromPort": 80, "ToPort": 80}])
    ev = evidence([table("rtb-1", nat, subnet_id="subnet-0a1")], groups=[closed])
    [result] = check_network(ev, "image_pull_network")
    assert result.outcome == "confirms"
    assert "sg-closed" in result.detail
    assert "443" in result.detail
    assert result.names["security_group"] == "sg-closed"


def test_security_group_with_a_port_range_over_443_is_open() -> None:
    nat = {"DestinationCidrBlock": "0.0.0.0/0", "NatGatewayId": "nat-0abc", "State": "active"}
    ranged = sg("sg-r", egress=[{"IpProtocol": "tcp", "FromPort": 0, "ToPort": 65535}])
    [result] = check_network(
        evidence([table("rtb-1", nat, subnet_id="subnet-0a1")], groups=[ranged]), "image_pull_network"
    )
    assert result.outcome == "refutes"


def test_main_route_table_is_the_fallback_for_an_unassociated_subnet() -> None:
    nat = {"DestinationCidrBlock": "0.0.0.0/0", "NatGatewayId": "nat-main", "State": "active"}
    other = table("rtb-other", subnet_id="subnet-zzz")  # another subnet's table, no default route
    ev = evidence([other, table("rtb-main", nat, main=True)])
    [result] = check_network(ev, "image_pull_network")
    assert result.outcome == "refutes"
    assert "nat-main" in result.detail


def test_main_route_table_without_nat_is_named() -> None:
    ev = evidence([table("rtb-main", main=True)])
    [result] = check_network(ev, "image_pull_network")
    assert result.outcome == "confirms"
    assert "rtb-main" in result.detail


def test_explicit_association_wins_over_the_main_table() -> None:
    nat = {"DestinationCidrBlock": "0.0.0.0/0", "NatGatewayId": "nat-main", "State": "active"}
    ev = evidence([table("rtb-main", nat, main=True), table("rtb-private", subnet_id="subnet-0a1")])
    [result] = check_network(ev, "image_pull_network")
    assert result.outcome == "confirms"
    assert "rtb-private" in result.detail


def test_secrets_need_secretsmanager_and_ssm_endpoints() -> None:
    ev = evidence([table("rtb-1", subnet_id="subnet-0a1")], endpoints=[endpoint("ecr.api")])
    [result] = check_network(ev, "secrets_retrieval")
    assert result.outcome == "confirms"
    assert "secretsmanager" in result.detail


def test_log_driver_needs_the_logs_endpoint() -> None:
    ev = evidence([table("rtb-1", subnet_id="subnet-0a1")], endpoints=[endpoint("logs")])
    [result] = check_network(ev, "log_driver_init")
    assert result.outcome == "inconclusive"  # open path: only image pulls are refuted by it


def test_nothing_said_when_the_network_was_not_read() -> None:
    ev = evidence([table("rtb-1", subnet_id="subnet-0a1")])
    ev.network_read = False
    assert check_network(ev, "image_pull_network") == []
    assert check_network(evidence([], subnets=[]), "image_pull_network") == []


def test_eni_or_subnet_full_subnet_confirms() -> None:
    ev = evidence([table("rtb-1", subnet_id="subnet-0a1")], subnets=[subnet("subnet-full", free=2)])
    [result] = check_subnet_ips(ev, "eni_or_subnet")
    assert result.outcome == "confirms"
    assert "subnet-full has 2 free addresses" in result.detail
    assert check_network(ev, "eni_or_subnet") == []  # routes say nothing about free addresses


def test_eni_or_subnet_with_free_addresses_refutes() -> None:
    ev = evidence([table("rtb-1", subnet_id="subnet-0a1")])
    ev.network_read = False  # the subnets alone decide
    [result] = check_subnet_ips(ev, "eni_or_subnet")
    assert result.outcome == "refutes"


def test_unread_endpoints_do_not_confirm_missing_endpoints() -> None:
    ev = evidence([table("rtb-1", subnet_id="subnet-0a1")])
    ev.endpoints = None
    results = check_network(ev, "image_pull_network")
    assert all("the VPC has no" not in r.detail for r in results)


def test_transit_gateway_default_route_is_not_called_blocked() -> None:
    tgw = {"DestinationCidrBlock": "0.0.0.0/0", "TransitGatewayId": "tgw-0e1", "State": "active"}
    [result] = check_network(evidence([table("rtb-1", tgw, subnet_id="subnet-0a1")]), "image_pull_network")
    assert result.outcome != "confirms"


def test_volume_mount_is_not_confirmed_by_a_missing_nat() -> None:
    results = check_network(evidence([table("rtb-1", subnet_id="subnet-0a1")]), "volume_mount")
    assert all(r.outcome != "confirms" for r in results)


def nacl(entries: list[dict], subnet_id: str = "subnet-0a1") -> dict:
    return {"NetworkAclId": "acl-1", "Associations": [{"SubnetId": subnet_id}], "Entries": entries}


def test_a_network_acl_denying_https_out_confirms_with_its_id() -> None:
    nat = {"DestinationCidrBlock": "0.0.0.0/0", "NatGatewayId": "nat-0abc", "State": "active"}
    ev = evidence([table("rtb-1", nat, subnet_id="subnet-0a1")])
    ev.nacls = [
        nacl(
            [
                {
                    "RuleNumber": 90,
                    "Egress": True,
                    "Protocol": "6",
                    "PortRange": {"From": 443, "To": 443},
                    "CidrBlock": "0.0.0.0/0",
                    "RuleAction": "deny",
                },
                {
                    "RuleNumber": 100,
                    "Egress": True,
                    "Protocol": "-1",
                    "CidrBlock": "0.0.0.0/0",
                    "RuleAction": "allow",
                },
                {
                    "RuleNumber": 100,
                    "Egress": False,
                    "Protocol": "-1",
                    "CidrBlock": "0.0.0.0/0",
                    "RuleAction": "allow",
                },
            ]
        )
    ]
    [result] = check_network(ev, "image_pull_network")
    assert result.outcome == "confirms"
    assert "acl-1" in result.detail and "outbound HTTPS" in result.detail


def test_the_default_allow_all_network_acl_blocks_nothing() -> None:
    nat = {"DestinationCidrBlock": "0.0.0.0/0", "NatGatewayId": "nat-0abc", "State": "active"}
    ev = evidence([table("rtb-1", nat, subnet_id="subnet-0a1")])
    ev.nacls = [
        nacl(
            [
                {
                    "RuleNumber": 100,
                    "Egress": True,
                    "Protocol": "-1",
                    "CidrBlock": "0.0.0.0/0",
                    "RuleAction": "allow",
                },
                {
                    "RuleNumber": 100,
                    "Egress": False,
                    "Protocol": "-1",
                    "CidrBlock": "0.0.0.0/0",
                    "RuleAction": "allow",
                },
                {
                    "RuleNumber": 32767,
                    "Egress": True,
                    "Protocol": "-1",
                    "CidrBlock": "0.0.0.0/0",
                    "RuleAction": "deny",
                },
            ]
        )
    ]
    [result] = check_network(ev, "image_pull_network")
    assert result.outcome == "refutes"


def test_an_interface_endpoint_without_private_dns_does_not_count() -> None:
    ev = evidence([table("rtb-1", subnet_id="subnet-0a1")])
    ev.endpoints = [
        {
            "ServiceName": f"com.amazonaws.{ev.region}.ecr.api",
            "VpcEndpointType": "Interface",
            "PrivateDnsEnabled": False,
            "State": "available",
        },
        {
            "ServiceName": f"com.amazonaws.{ev.region}.ecr.dkr",
            "VpcEndpointType": "Interface",
            "PrivateDnsEnabled": True,
            "State": "available",
        },
        {"ServiceName": f"com.amazonaws.{ev.region}.s3", "VpcEndpointType": "Gateway", "State": "available"},
    ]
    [result] = check_network(ev, "image_pull_network")
    assert result.outcome == "confirms"
    assert "ecr.api" in result.detail and "ecr.dkr" not in result.detail.split("no ", 1)[1]
