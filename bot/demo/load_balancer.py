"""The internet-facing ALB: `/app/*` to the web target group, everything else to the frontend's."""

from __future__ import annotations

from bot.demo.world import World


def create_load_balancer(world: World) -> None:
    elbv2, ids = world.elbv2, world.ids
    alb = elbv2.create_load_balancer(
        Name="demo-alb",
        Subnets=[ids["subnet_public_a"], ids["subnet_public_b"]],
        SecurityGroups=[ids["sg_alb"]],
        Scheme="internet-facing",
        Type="application",
    )["LoadBalancers"][0]
    ids["alb_arn"] = alb["LoadBalancerArn"]
    ids["alb_dns"] = alb["DNSName"]
    ids["tg_web"] = _target_group(world, "web-tg", 8080, "/healthz")
    ids["tg_frontend"] = _target_group(world, "frontend-tg", 80, "/")
    listener = elbv2.create_listener(
        LoadBalancerArn=ids["alb_arn"],
        Protocol="HTTP",
        Port=80,
        DefaultActions=[{"Type": "forward", "TargetGroupArn": ids["tg_frontend"]}],
    )["Listeners"][0]["ListenerArn"]
    elbv2.create_rule(
        ListenerArn=listener,
        Priority=10,
        Conditions=[{"Field": "path-pattern", "Values": ["/app/*"]}],
        Actions=[{"Type": "forward", "TargetGroupArn": ids["tg_web"]}],
    )
    ids["listener_http"] = listener


def _target_group(world: World, name: str, port: int, path: str) -> str:
    """IP targets, checked every 30 s: 3 failures make a target unhealthy, 5 successes healthy again."""
    arn: str = world.elbv2.create_target_group(
        Name=name,
        Protocol="HTTP",
        Port=port,
        VpcId=world.ids["vpc"],
        TargetType="ip",
        HealthCheckProtocol="HTTP",
        HealthCheckPath=path,
        HealthCheckPort="traffic-port",
        HealthCheckIntervalSeconds=30,
        HealthCheckTimeoutSeconds=5,
        HealthyThresholdCount=5,
        UnhealthyThresholdCount=3,
        Matcher={"HttpCode": "200"},
    )["TargetGroups"][0]["TargetGroupArn"]
    return arn
