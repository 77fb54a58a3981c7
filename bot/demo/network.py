"""The VPC: public, private and isolated subnets, their routes, and the security groups of the ALB and tasks.

The isolated subnet's route table holds only the local route, and the VPC has no endpoints: a task there
cannot reach ECR (the `ingest` scenario).
"""

from __future__ import annotations

from typing import Any

from bot.demo.world import World

# ids key suffix, CIDR, availability zone letter
SUBNETS = (
    ("public_a", "10.0.0.0/24", "a"),
    ("public_b", "10.0.1.0/24", "b"),
    ("private_a", "10.0.10.0/24", "a"),
    ("private_b", "10.0.11.0/24", "b"),
    ("isolated_a", "10.0.20.0/24", "a"),
)

# ids key suffix, description, TCP port allowed in, from (a CIDR, or the ids key suffix of a group)
SECURITY_GROUPS = (
    ("alb", "demo ALB: HTTP from anywhere", 80, "0.0.0.0/0"),
    ("web", "web tasks: 8080 from the ALB", 8080, "alb"),
    ("frontend", "frontend tasks: 80 from the ALB", 80, "alb"),
    ("app", "internal services: no ingress, all egress", None, None),
)


def create_network(world: World) -> None:
    ec2, ids = world.ec2, world.ids
    vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    _name(world, vpc, "demo-vpc")
    ec2.modify_vpc_attribute(VpcId=vpc, EnableDnsSupport={"Value": True})
    ec2.modify_vpc_attribute(VpcId=vpc, EnableDnsHostnames={"Value": True})
    ids["vpc"] = vpc

    for key, cidr, zone in SUBNETS:
        subnet = ec2.create_subnet(VpcId=vpc, CidrBlock=cidr, AvailabilityZone=f"{world.region}{zone}")
        ids[f"subnet_{key}"] = subnet["Subnet"]["SubnetId"]
        _name(world, ids[f"subnet_{key}"], f"demo-{key.replace('_', '-')}")
    public = [ids["subnet_public_a"], ids["subnet_public_b"]]
    for subnet_id in public:
        ec2.modify_subnet_attribute(SubnetId=subnet_id, MapPublicIpOnLaunch={"Value": True})

    igw = ec2.create_internet_gateway()["InternetGateway"]["InternetGatewayId"]
    ec2.attach_internet_gateway(InternetGatewayId=igw, VpcId=vpc)
    _name(world, igw, "demo-igw")
    ids["internet_gateway"] = igw
    _route_table(world, "public", public, GatewayId=igw)

    eip = ec2.allocate_address(Domain="vpc")["AllocationId"]
    nat = ec2.create_nat_gateway(SubnetId=ids["subnet_public_a"], AllocationId=eip)["NatGateway"][
        "NatGatewayId"
    ]
    _name(world, nat, "demo-nat-a")
    ids["nat_gateway"] = nat
    _route_table(world, "private", [ids["subnet_private_a"], ids["subnet_private_b"]], NatGatewayId=nat)
    _route_table(world, "isolated", [ids["subnet_isolated_a"]])

    for key, description, port, source in SECURITY_GROUPS:
        _security_group(world, key, description, port, source)


def _route_table(world: World, key: str, subnets: list[str], **default_route: str) -> None:
    """A route table for the subnets; `default_route` names the 0.0.0.0/0 target (none: local only)."""
    ec2 = world.ec2
    table = ec2.create_route_table(VpcId=world.ids["vpc"])["RouteTable"]["RouteTableId"]
    _name(world, table, f"demo-{key}")
    if default_route:
        ec2.create_route(RouteTableId=table, DestinationCidrBlock="0.0.0.0/0", **default_route)
    for subnet_id in subnets:
        ec2.associate_route_table(RouteTableId=table, SubnetId=subnet_id)
    world.ids[f"route_table_{key}"] = table


def _security_group(world: World, key: str, description: str, port: int | None, source: str | None) -> None:
    group = world.ec2.create_security_group(
        GroupName=f"demo-{key}", Description=description, VpcId=world.ids["vpc"]
    )["GroupId"]
    world.ids[f"sg_{key}"] = group
    if port is None or source is None:
        return
    permission: dict[str, Any] = {"IpProtocol": "tcp", "FromPort": port, "ToPort": port}
    if "/" in source:
        permission["IpRanges"] = [{"CidrIp": source}]
    else:
        permission["UserIdGroupPairs"] = [{"GroupId": world.ids[f"sg_{source}"]}]
    world.ec2.authorize_security_group_ingress(GroupId=group, IpPermissions=[permission])


def _name(world: World, resource_id: str, name: str) -> None:
    world.ec2.create_tags(Resources=[resource_id], Tags=[{"Key": "Name", "Value": name}])
