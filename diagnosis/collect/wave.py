"""Rounds 3 and 4: exactly the evidence the candidate causes need, fetched at once.

The plan is decided from the preliminary diagnosis (which categories are candidates) and the facts of
rounds 1–2 (subnets, target groups, log configuration, secrets); the network checks need the VPC, so
route tables, endpoints and network ACLs come in round 4, after the subnets.
"""

from __future__ import annotations

from collections.abc import MutableMapping
from datetime import UTC, datetime, timedelta
from typing import Any

from diagnosis.checks.evidence import LiveEvidence, failed_task, log_stream, secret_refs
from diagnosis.collect import facts
from diagnosis.collect.aws import Aws, Call, Outcome, first
from diagnosis.collect.core import Core, absorb_task_definitions, missing_task_definitions
from diagnosis.collect.facts import ECR_IMAGE

NETWORK = {
    "image_pull_network",
    "secrets_retrieval",
    "log_driver_init",
    "eni_or_subnet",
    "volume_mount",
    "image_pull_auth",
}
LOGS = {
    "app_error",
    "command_not_found",
    "segfault",
    "clean_exit",
    "oom",
    "elb_health_check",
    "container_health_check",
    "sigkill_stop_timeout",
    "container_start_failure",
    "other",
    "graceful_sigterm",
    "image_platform_mismatch",
}
HEAD_LOGS = {"elb_health_check", "container_health_check"}  # the start of the log tells the start time
ROLE_ACTIONS = {
    "image_pull_auth": ["ecr:GetAuthorizationToken", "ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"],
    "secrets_retrieval": ["secretsmanager:GetSecretValue", "ssm:GetParameters", "kms:Decrypt"],
    "log_driver_init": ["logs:CreateLogStream", "logs:PutLogEvents"],
}


def collect_wave(
    aws: Aws,
    core: Core,
    candidates: list[str],
    log_lines: int = 50,
    cache: MutableMapping[str, dict[str, Any]] | None = None,
) -> LiveEvidence:
    evidence = LiveEvidence(
        region=aws.region, service=core.service, tasks=core.tasks, task_definitions=core.task_definitions
    )
    calls = missing_task_definitions(core, cache)
    calls.update(_plan(core, candidates, evidence, log_lines))
    cluster = core.spec.cluster or "default"
    calls.update(facts.plan(evidence, candidates, cluster))
    results = aws.round(calls)
    absorb_task_definitions(core, results, cache)
    evidence.task_definitions = core.task_definitions
    _absorb(evidence, results)
    instances = facts.absorb(evidence, results)
    fourth = _network_round_two(evidence) if NETWORK & set(candidates) else {}
    fourth.update(_load_balancers(evidence))
    fourth.update(facts.plan_round_four(evidence, cluster, instances))
    results = aws.round(fourth)
    _absorb(evidence, results)
    facts.absorb(evidence, results)
    return evidence


def _plan(core: Core, candidates: list[str], evidence: LiveEvidence, log_lines: int) -> dict[str, Call]:
    wanted = set(candidates)
    calls: dict[str, Call] = {}
    task = failed_task(core.tasks, candidates[0] if candidates else "")
    if wanted & LOGS and task is not None:
        stream = log_stream(task, core.task_definitions)
        if stream is not None:
            group, name, _region = stream
            head = bool(wanted & HEAD_LOGS)
            evidence.log_stream = (group, name)
            calls["logs"] = Call(
                "logs",
                "get_log_events",
                {
                    "logGroupName": group,
                    "logStreamName": name,
                    "limit": 100 if head else log_lines,
                    "startFromHead": head,
                },
                "container logs",
                frozenset({"ResourceNotFoundException"}),
            )
    service = core.service or {}
    if "oom" in wanted and service:
        calls["memory"] = _memory_metrics(core, service)
    if wanted & {"elb_health_check"}:
        groups = [lb["targetGroupArn"] for lb in service.get("loadBalancers", []) if lb.get("targetGroupArn")]
        if groups:
            calls["target_groups"] = Call(
                "elbv2", "describe_target_groups", {"TargetGroupArns": groups[:5]}, "target group"
            )
            calls["target_health"] = Call(
                "elbv2", "describe_target_health", {"TargetGroupArn": groups[0]}, "target health"
            )
    groups_ids = _security_groups(service)
    if groups_ids and wanted & (NETWORK | {"elb_health_check"}):
        calls["security_groups"] = Call(
            "ec2", "describe_security_groups", {"GroupIds": groups_ids}, "security groups"
        )
    subnets = _subnets(core)
    if subnets and wanted & NETWORK:
        evidence.subnet_ids = subnets
        calls["subnets"] = Call("ec2", "describe_subnets", {"SubnetIds": subnets}, "subnets")
    images = _ecr_images(core, aws_region=evidence.region)
    if wanted & {"image_not_found", "image_pull_auth"}:
        for repository in sorted(images)[:3]:
            calls[f"ecr:{repository}"] = Call(
                "ecr",
                "describe_images",
                {"repositoryName": repository, "maxResults": 100},
                "ECR images",
                frozenset({"RepositoryNotFoundException"}),
            )
        evidence.images = images
    if "secrets_retrieval" in wanted:
        for ref in secret_refs(core.task_definitions)[:4]:
            if ":secretsmanager:" in ref:
                calls[f"secret:{ref}"] = Call(
                    "secretsmanager",
                    "describe_secret",
                    {"SecretId": ref},
                    "secret",
                    frozenset({"ResourceNotFoundException"}),
                )
            else:
                name = ref.split(":parameter", 1)[-1] if ref.startswith("arn:") else ref
                calls[f"param:{ref}"] = Call(
                    "ssm",
                    "describe_parameters",
                    {"ParameterFilters": [{"Key": "Name", "Option": "Equals", "Values": [name]}]},
                    "SSM parameter",
                )
    if "log_driver_init" in wanted and task is not None:
        stream = log_stream(task, core.task_definitions)
        if stream is not None:
            evidence.log_stream = evidence.log_stream or (stream[0], stream[1])
            calls["log_group"] = Call(
                "logs", "describe_log_groups", {"logGroupNamePrefix": stream[0]}, "log group"
            )
    role = _execution_role(core)
    actions = sorted({a for c in wanted for a in ROLE_ACTIONS.get(c, [])})
    if role and actions:
        calls["simulate"] = Call(
            "iam",
            "simulate_principal_policy",
            {"PolicySourceArn": role, "ActionNames": actions},
            "execution role permissions",
        )
    if "user_stopped" in wanted:
        calls["trail"] = Call(
            "cloudtrail",
            "lookup_events",
            {
                "LookupAttributes": [{"AttributeKey": "EventName", "AttributeValue": "StopTask"}],
                "StartTime": datetime.now(UTC) - timedelta(days=1),
                "MaxResults": 50,
            },
            "CloudTrail StopTask events",
        )
    return calls


def _load_balancers(evidence: LiveEvidence) -> dict[str, Call]:
    """The load balancers in front of the target groups: their security groups must reach the task."""
    arns = sorted({arn for group in evidence.target_groups for arn in group.get("LoadBalancerArns", [])})
    if not arns:
        return {}
    return {
        "load_balancers": Call(
            "elbv2", "describe_load_balancers", {"LoadBalancerArns": arns[:20]}, "load balancers"
        )
    }


def _network_round_two(evidence: LiveEvidence) -> dict[str, Call]:
    vpcs = sorted({s.get("VpcId", "") for s in evidence.subnets if s.get("VpcId")})
    if not vpcs:
        return {}
    vpc_filter = [{"Name": "vpc-id", "Values": vpcs}]
    return {
        "route_tables": Call("ec2", "describe_route_tables", {"Filters": vpc_filter}, "route tables"),
        "endpoints": Call("ec2", "describe_vpc_endpoints", {"Filters": vpc_filter}, "VPC endpoints"),
        "nacls": Call("ec2", "describe_network_acls", {"Filters": vpc_filter}, "network ACLs"),
    }


def _absorb(evidence: LiveEvidence, results: dict[str, Outcome]) -> None:
    for key, outcome in results.items():
        data = outcome.data or {}
        if key == "logs":
            evidence.log_events = data.get("events", []) if outcome.ok else None
        elif key == "memory":
            evidence.memory = data.get("MetricDataResults", []) if outcome.ok else None
        elif key == "target_groups":
            evidence.target_groups = first(outcome, "TargetGroups")
        elif key == "load_balancers":
            evidence.load_balancer_groups = (
                [g for lb in first(outcome, "LoadBalancers") for g in lb.get("SecurityGroups", [])]
                if outcome.ok
                else None
            )
        elif key == "target_health":
            evidence.target_health = first(outcome, "TargetHealthDescriptions")
        elif key == "security_groups":
            evidence.security_groups = first(outcome, "SecurityGroups")
        elif key == "subnets":
            evidence.subnets = first(outcome, "Subnets")
        elif key == "route_tables":
            evidence.route_tables = first(outcome, "RouteTables")
            evidence.network_read = outcome.ok
        elif key == "endpoints":
            evidence.endpoints = first(outcome, "VpcEndpoints") if outcome.ok else None
        elif key == "nacls":
            evidence.nacls = first(outcome, "NetworkAcls")
        elif key.startswith("ecr:"):
            evidence.ecr[key[4:]] = (
                [t for d in first(outcome, "imageDetails") for t in d.get("imageTags", [])]
                if outcome.ok
                else outcome.error
            )
        elif key.startswith("secret:"):
            evidence.secrets[key[7:]] = "exists" if outcome.ok else outcome.error
        elif key.startswith("param:"):
            evidence.secrets[key[6:]] = (
                ("exists" if first(outcome, "Parameters") else "ParameterNotFound")
                if outcome.ok
                else outcome.error
            )
        elif key == "log_group":
            evidence.log_groups = (
                [g.get("logGroupName", "") for g in first(outcome, "logGroups")] if outcome.ok else None
            )
        elif key == "simulate":
            evidence.simulation = (
                {
                    r.get("EvalActionName", ""): r.get("EvalDecision", "")
                    for r in first(outcome, "EvaluationResults")
                }
                if outcome.ok
                else None
            )
        elif key == "trail":
            evidence.trail = first(outcome, "Events") if outcome.ok else None


def _memory_metrics(core: Core, service: dict[str, Any]) -> Call:
    stops: list[datetime] = [t["stoppedAt"] for t in core.tasks if isinstance(t.get("stoppedAt"), datetime)]
    end = max(stops) + timedelta(minutes=5) if stops else datetime.now(UTC)
    start = min(stops) - timedelta(hours=1) if stops else end - timedelta(hours=3)
    dims = [
        {"Name": "ClusterName", "Value": core.spec.cluster or ""},
        {"Name": "ServiceName", "Value": service.get("serviceName", "")},
    ]
    queries = [
        {
            "Id": f"m{i}",
            "MetricStat": {
                "Metric": {"Namespace": "ECS/ContainerInsights", "MetricName": name, "Dimensions": dims},
                "Period": 60,
                "Stat": "Maximum",
            },
        }
        for i, name in enumerate(("MemoryUtilized", "MemoryReserved"))
    ]
    return Call(
        "cloudwatch",
        "get_metric_data",
        {"MetricDataQueries": queries, "StartTime": start, "EndTime": end},
        "Container Insights memory",
    )


def _security_groups(service: dict[str, Any]) -> list[str]:
    config = (service.get("networkConfiguration") or {}).get("awsvpcConfiguration") or {}
    return list(config.get("securityGroups") or [])


def _subnets(core: Core) -> list[str]:
    found: list[str] = []
    for task in core.tasks:
        for attachment in task.get("attachments", []):
            for detail in attachment.get("details", []):
                if detail.get("name") == "subnetId" and detail.get("value") not in found:
                    found.append(detail["value"])
    config = ((core.service or {}).get("networkConfiguration") or {}).get("awsvpcConfiguration") or {}
    return found or list(config.get("subnets") or [])


def _ecr_images(core: Core, aws_region: str) -> dict[str, list[str]]:
    """ECR repositories (in this region) the failing task definitions use, with the tags they ask for."""
    images: dict[str, list[str]] = {}
    failing = {t.get("taskDefinitionArn", "") for t in core.tasks if t.get("lastStatus") == "STOPPED"}
    for arn, definition in core.task_definitions.items():
        if arn not in failing:
            continue
        for container in definition.get("containerDefinitions", []):
            match = ECR_IMAGE.match(container.get("image", ""))
            if match and match.group(2) == aws_region:
                images.setdefault(match.group(3), []).append(match.group(4) or "latest")
    return images


def _execution_role(core: Core) -> str:
    for task in core.tasks:
        role = core.task_definitions.get(task.get("taskDefinitionArn", ""), {}).get("executionRoleArn")
        if role:
            return str(role)
    return ""
