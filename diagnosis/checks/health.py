"""Load balancer health: target type, port, path, thresholds against the grace period and the start time."""

from __future__ import annotations

import math
import re
from typing import Any

from diagnosis.checks import GRACE_IS_NOT_IT
from diagnosis.checks.evidence import CheckResult, LiveEvidence
from diagnosis.checks.logs import start_seconds
from diagnosis.models import EvidenceItem

CODES = re.compile(r"failed with these codes: \[([\d, ]+)\]", re.IGNORECASE)


def suggested_grace(start: float | None, interval: int, threshold: int, current: int) -> int:
    """Twice the observed start time (or the checks' own window), rounded up to 10 s, at least +60 s."""
    base = 2 * start if start else max(2 * interval * threshold, 2 * current, 60)
    return min(7200, max(current + 60 if not start else 0, int(math.ceil(base / 10.0) * 10)))


def check_load_balancer(evidence: LiveEvidence, category: str) -> list[CheckResult]:
    service = evidence.service or {}
    groups = evidence.target_groups
    if not groups:
        return []
    group = groups[0]
    source = "elasticloadbalancing:DescribeTargetGroups"
    facts: list[str] = []
    problems: list[str] = []
    names: dict[str, str] = {"target_group": str(group.get("TargetGroupArn", ""))}
    network_mode = _network_mode(evidence)
    if network_mode == "awsvpc" and group.get("TargetType") == "instance":
        problems.append("the target group's target type is `instance`, but awsvpc tasks need `ip`")
    container_port = _container_port(service)
    health_port = str(group.get("HealthCheckPort", "traffic-port"))
    traffic_port = group.get("Port")
    if health_port not in ("traffic-port", str(container_port)) and container_port:
        problems.append(f"health checks go to port {health_port}, the container listens on {container_port}")
    elif container_port and traffic_port and network_mode == "awsvpc" and int(traffic_port) != container_port:
        facts.append(f"the target group's port is {traffic_port}, the container port {container_port}")
    interval = int(group.get("HealthCheckIntervalSeconds") or 30)
    threshold = int(group.get("UnhealthyThresholdCount") or 2)
    grace = int(service.get("healthCheckGracePeriodSeconds") or 0)
    window = interval * threshold
    start = start_seconds(evidence.log_events_for(category))
    facts.append(
        f"health check {group.get('HealthCheckProtocol', 'HTTP')} {group.get('HealthCheckPath', '/')} on "
        f"{health_port}, every {interval} s, unhealthy after {threshold} failures ({window} s); "
        f"grace period {grace} s"
    )
    timeout = int(group.get("HealthCheckTimeoutSeconds") or 5)
    earliest = (threshold - 1) * interval + timeout  # the first check fails at once, the last one times out
    if start is not None:
        facts.append(f"the application took {start:.0f} s to start (from its log)")
        if max(grace, earliest) < start:
            problems.append(
                f"the application needs {start:.0f} s to start, but the health checks can mark it unhealthy "
                f"after about {earliest} s ({threshold} failures, {interval} s apart) and the grace period is "
                f"only {grace} s"
            )
    elif grace < window:
        facts.append(f"the grace period ({grace} s) is shorter than one unhealthy window ({window} s)")
    reasons = sorted(
        {
            f"{t.get('TargetHealth', {}).get('Reason', '')}: {t.get('TargetHealth', {}).get('Description', '')}"
            for t in evidence.target_health
            if t.get("TargetHealth", {}).get("State") == "unhealthy"
        }
    )
    unhealthy = "unhealthy targets: " + "; ".join(r for r in reasons if r.strip(": ")) if reasons else ""
    if unhealthy:
        facts.append(unhealthy)
    codes = answered_codes(evidence, str(group.get("TargetGroupArn", "")))
    wrong_path = [c for c in codes if not c.startswith("5")]  # 3xx/4xx: answered, elsewhere or not to this
    failing = [c for c in codes if c.startswith("5")]  # 5xx: the endpoint itself fails, or is not ready yet
    expected = str((group.get("Matcher") or {}).get("HttpCode") or "200")
    checked = f"the health check {group.get('HealthCheckPath', '/')} on {health_port}"
    if wrong_path:
        problems.append(
            f"{checked} got HTTP {', '.join(wrong_path)} where the target group expects {expected}: the "
            "application answers, but not on that path (or it redirects or asks for authentication)"
        )
    if failing:
        facts.append(
            f"{checked} got HTTP {', '.join(failing)} where the target group expects {expected}: the "
            "application answers with a server error (it is failing, a dependency its check tests is "
            "down, or it is not ready yet)"
        )
    seconds = suggested_grace(start, interval, threshold, grace)
    names["grace_period"] = str(seconds)
    names["container_port"] = str(container_port or "")
    sg_problem = _ingress_problem(evidence, container_port)
    if sg_problem:
        problems.append(sg_problem)
    started_in_time = start is not None and start <= max(grace, earliest)
    if started_in_time or seconds <= grace or (start is None and problems):
        # The app was up before the checks could fail it, or the check found what fails them: a longer
        # grace period only delays the same failure (and a suggestion at or below it would lower it).
        names[GRACE_IS_NOT_IT] = "yes"
    evidence_items = tuple(EvidenceItem(source=source, fact=f) for f in (*problems, *facts))
    if problems:
        detail = "; ".join(
            [*problems, unhealthy] if unhealthy else problems
        )  # what the targets say proves it
        return [CheckResult(category, "target_group", "confirms", detail, evidence_items, names)]
    return [
        CheckResult(
            category,
            "target_group",
            "inconclusive",
            "the target group's settings look right; " + "; ".join(facts),
            evidence_items,
            names,
        )
    ]


def answered_codes(evidence: LiveEvidence, target_group: str) -> list[str]:
    """The HTTP codes the health checks got, from the target health and the service's events about this
    target group ("Health checks failed with these codes: [404]"): the application did answer."""
    texts = [str(t.get("TargetHealth", {}).get("Description", "")) for t in evidence.target_health]
    texts += [
        str(e.get("message", ""))
        for e in (evidence.service or {}).get("events", [])
        if not target_group or target_group in str(e.get("message", ""))
    ]
    codes = {code for text in texts for found in CODES.findall(text) for code in re.findall(r"\d{3}", found)}
    return sorted(codes)


def _network_mode(evidence: LiveEvidence) -> str:
    for definition in evidence.task_definitions.values():
        return str(definition.get("networkMode", ""))
    return ""


def _container_port(service: dict[str, Any]) -> int:
    for lb in service.get("loadBalancers", []):
        if lb.get("containerPort"):
            return int(lb["containerPort"])
    return 0


def _ingress_problem(evidence: LiveEvidence, port: int) -> str:
    """The task's security groups must let the load balancer reach the container port: a rule for that port
    from the load balancer's security group (when known) or from an address range."""
    if not evidence.security_groups or not port:
        return ""
    lb_groups = set(evidence.load_balancer_groups or [])
    sources: list[str] = []
    for group in evidence.security_groups:
        for rule in group.get("IpPermissions", []):
            protocol = rule.get("IpProtocol")
            low, high = rule.get("FromPort", 0), rule.get("ToPort", 65535)
            if not (protocol == "-1" or (protocol == "tcp" and low <= port <= high)):
                continue
            pairs = {p.get("GroupId", "") for p in rule.get("UserIdGroupPairs", [])}
            if rule.get("IpRanges") or rule.get("Ipv6Ranges") or not lb_groups or pairs & lb_groups:
                return ""
            sources += sorted(pairs)
    ids = ", ".join(g.get("GroupId", "") for g in evidence.security_groups)
    if sources:
        return (
            f"the task's security groups ({ids}) allow port {port} only from {', '.join(sources)}, not from "
            f"the load balancer's security group ({', '.join(sorted(lb_groups))})"
        )
    from_lb = (
        f" from the load balancer's security group ({', '.join(sorted(lb_groups))})" if lb_groups else ""
    )
    return f"the task's security groups ({ids}) allow no inbound traffic on port {port}{from_lb}"
