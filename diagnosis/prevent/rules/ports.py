"""Ports: the load balancer's container port is one the container maps, awsvpc host ports equal container
ports, and the target group can reach the container (the diagnosis engine's own target group check)."""

from __future__ import annotations

from collections.abc import Iterator

from diagnosis.checks.evidence import LiveEvidence
from diagnosis.checks.health import check_load_balancer
from diagnosis.knowledge.base import DEV_GUIDE, TASKDEF_PARAMS
from diagnosis.prevent.model import Fix, Subject, Violation
from diagnosis.prevent.rules.base import Rule
from diagnosis.prevent.rules.fixes import Edit, container_fix, edit_fix
from diagnosis.prevent.values import as_int, as_str

LB_DOC = DEV_GUIDE + "service-load-balancing.html"


def load_balancer_port(subject: Subject) -> Iterator[Violation]:
    by_name = {str(c.get("name", "")): c for c in subject.containers}
    for lb in (subject.service or {}).get("loadBalancers") or []:
        name, port = as_str(lb.get("containerName")), as_int(lb.get("containerPort"))
        if name is None or port is None or not by_name:
            continue
        container = by_name.get(name)
        if container is None:
            yield Violation(
                f"the service's load balancer sends traffic to container {name}, which the task definition "
                f"does not have (it has {', '.join(sorted(by_name))})",
                Fix(cloudformation=f"Service: LoadBalancers[].ContainerName: {sorted(by_name)[0]}"),
            )
            continue
        mapped = {
            as_int(m.get("containerPort")) for m in container.get("portMappings") or [] if isinstance(m, dict)
        }
        if port not in mapped:
            shown = ", ".join(str(p) for p in sorted(p for p in mapped if p is not None)) or "none"
            yield Violation(
                f"the service's load balancer sends traffic to port {port} of container {name}, which maps "
                f"{shown}: ECS cannot register the task with the target group",
                edit_fix(
                    subject,
                    Edit("portMappings", {"containerPort": port, "protocol": "tcp"}, name, append=True),
                ),
                container=name,
            )


def host_ports(subject: Subject) -> Iterator[Violation]:
    if subject.task_definition.get("networkMode") != "awsvpc":
        return
    for container in subject.containers:
        name = str(container.get("name", ""))
        for mapping in container.get("portMappings") or []:
            host, port = as_int(mapping.get("hostPort")), as_int(mapping.get("containerPort"))
            if host is not None and port is not None and host not in (0, port):
                yield Violation(
                    f"container {name} maps host port {host} to container port {port}; with awsvpc the host "
                    "port must equal the container port (or be left out)",
                    container_fix(
                        subject, name, "portMappings", [{"containerPort": port, "protocol": "tcp"}]
                    ),
                    container=name,
                )


def target_group(subject: Subject) -> Iterator[Violation]:
    """The same check a diagnosis of failing ELB health checks runs, on the template's target group."""
    if not subject.target_groups or not subject.service or subject.evidence is not None:
        return  # live, the live rule runs the same check with the logs and security groups it read
    evidence = LiveEvidence(
        service=subject.service,
        target_groups=list(subject.target_groups),
        task_definitions={subject.name: subject.task_definition},
    )
    group = subject.target_groups[0]
    resource = str(group.get("TargetGroupArn", ""))
    cfn, terraform = [], []
    if (
        group.get("TargetType", "instance") == "instance"
        and subject.task_definition.get("networkMode") == "awsvpc"
    ):
        cfn.append("TargetType: ip")
        terraform.append('target_type = "ip"')
    if str(group.get("HealthCheckPort", "traffic-port")) != "traffic-port":
        cfn.append("HealthCheckPort: traffic-port")
        terraform.append('health_check { port = "traffic-port" }')
    for result in check_load_balancer(evidence, "elb_health_check"):
        if result.outcome == "confirms":
            yield Violation(
                result.detail,
                Fix(
                    cloudformation=f"{resource}: {'; '.join(cfn)}" if cfn else None,
                    terraform=f"{resource}: {'; '.join(terraform)}" if terraform else None,
                ),
                resource=resource,
            )


RULES = (
    Rule(
        "load_balancer_port",
        "Load balancer port the container does not map",
        "error",
        "A service's load balancer names a container and a port; the task definition must have that "
        "container mapping that port, or ECS cannot register the tasks as targets.",
        ("elb_health_check", "invalid_task_definition_or_parameter"),
        load_balancer_port,
        (LB_DOC,),
    ),
    Rule(
        "awsvpc_host_port",
        "awsvpc host port differs from the container port",
        "error",
        "In awsvpc mode each task has its own address and the host port is the container port; ECS refuses "
        "a different one.",
        ("invalid_task_definition_or_parameter",),
        host_ports,
        (TASKDEF_PARAMS + "#container_definition_portmappings",),
    ),
    Rule(
        "target_group_reach",
        "Target group cannot reach the container",
        "error",
        "awsvpc tasks register by IP (target type ip), and health checks must go to the port the container "
        "listens on; otherwise every target is unhealthy and ECS replaces the tasks.",
        ("elb_health_check",),
        target_group,
    ),
)
