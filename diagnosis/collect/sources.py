"""One collector per `Need` (diagnosis/checks/needs.py): the calls that fetch it and how their answers fill
`LiveEvidence`.

A `Source` plans its calls from what rounds 1–2 read (or, in round 4, from what round 3 read: the VPC of
the subnets, the load balancers of the target groups) and absorbs its own outcomes. `SOURCES` maps every
need's name to its source; a test asserts each declared need has one.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

from diagnosis.checks import needs, role
from diagnosis.checks.evidence import OTHER_ACCOUNT, LiveEvidence, TaskLog, log_stream, task_id
from diagnosis.checks.secrets import customer_managed
from diagnosis.checks.taskdef import definition_of
from diagnosis.collect import capacity, facts, revisions
from diagnosis.collect import exec as exec_sources
from diagnosis.collect.aws import Call, Outcome, first
from diagnosis.collect.plan import Plan, Source, ignore, nothing
from diagnosis.collect.service_tasks import Core
from diagnosis.models import Gap
from diagnosis.secret_reference import parse_reference

MAX_SECRETS, MAX_SIMULATIONS = 4, 2  # simulations: one per execution role

CORE = Source(nothing, ignore)  # read in rounds 1–2 for every diagnosis


# --- logs ------------------------------------------------------------------------------------------


def _plan_logs(plan: Plan) -> dict[str, Call]:
    """The log of each failing cause's own newest task (one read per task), from the head when one of the
    cause's checks needs the start time."""
    evidence = plan.evidence
    wanting = [
        c
        for c in plan.candidates
        if c in plan.wanted.get(needs.LOG_TAIL.name, set())
        or c in plan.wanted.get(needs.LOG_HEAD.name, set())
    ]
    reads: dict[str, tuple[str, str, bool]] = {}
    for category in wanting:
        task = evidence.task_for(category)
        stream = log_stream(task, plan.core.task_definitions) if task is not None else None
        if task is None or stream is None:
            continue
        head = category in plan.wanted.get(needs.LOG_HEAD.name, set())
        group, name, _region = stream
        before = reads.get(task_id(task))
        reads[task_id(task)] = (group, name, head or bool(before and before[2]))
        known = evidence.logs.get(task_id(task))
        if known is None or (known.group, known.stream) != (group, name):
            evidence.logs[task_id(task)] = TaskLog(group, name, None)  # the events come with the answer
    return {
        f"logs:{ident}": Call(
            "logs",
            "get_log_events",
            {
                "logGroupName": group,
                "logStreamName": name,
                "limit": 100 if head else plan.log_lines,
                "startFromHead": head,
            },
            "container logs",
            frozenset({"ResourceNotFoundException"}),
        )
        for ident, (group, name, head) in reads.items()
    }


def _absorb_logs(evidence: LiveEvidence, results: Mapping[str, Outcome]) -> None:
    for key, outcome in results.items():
        ident = key.removeprefix("logs:")
        read = evidence.logs.get(ident)
        if read is not None and outcome.ok:
            evidence.logs[ident] = replace(read, events=(outcome.data or {}).get("events", []))


LOGS = Source(_plan_logs, _absorb_logs)


# --- memory ----------------------------------------------------------------------------------------


def _plan_memory(plan: Plan) -> dict[str, Call]:
    """The memory around the kills (`kills_window`), asked over a window anchored on when the diagnosis
    began reading: the same call whether planned from a big service's first page of stopped tasks or from
    every page (ECS keeps stopped tasks about an hour), so what was read ahead is used, not read again
    (diagnosis/collect/cause_evidence.py); the answer is trimmed to the kills' window as it is absorbed."""
    core, service = plan.core, plan.core.service
    if not service:
        return {}
    at = core.read_at.replace(second=0, microsecond=0)
    start, end = kills_window(core.tasks) or (at - timedelta(hours=3), at)
    start = min(start, at - timedelta(hours=3)).replace(second=0, microsecond=0)
    end = max(end, at + timedelta(minutes=5)).replace(second=0, microsecond=0) + timedelta(minutes=1)
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
    return {
        "memory": Call(
            "cloudwatch",
            "get_metric_data",
            {"MetricDataQueries": queries, "StartTime": start, "EndTime": end},
            "Container Insights memory",
        )
    }


def kills_window(tasks: list[dict[str, Any]]) -> tuple[datetime, datetime] | None:
    """From an hour before the first stop (at least 2 h before the last) to 5 minutes after the last; None
    when no task says when it stopped."""
    stops: list[datetime] = [t["stoppedAt"] for t in tasks if isinstance(t.get("stoppedAt"), datetime)]
    if not stops:
        return None
    return min(min(stops), max(stops) - timedelta(hours=1)) - timedelta(hours=1), max(stops) + timedelta(
        minutes=5
    )


def _absorb_memory(evidence: LiveEvidence, results: Mapping[str, Outcome]) -> None:
    window = kills_window(evidence.tasks)
    for outcome in results.values():
        found = (outcome.data or {}).get("MetricDataResults", []) if outcome.ok else None
        evidence.memory = found if found is None or window is None else [_within(r, *window) for r in found]


def _within(result: dict[str, Any], start: datetime, end: datetime) -> dict[str, Any]:
    """The samples of one metric inside the window (those without a readable time are kept)."""
    pairs = [
        (at, value)
        for at, value in zip(result.get("Timestamps", []), result.get("Values", []), strict=False)
        if not isinstance(at, datetime) or start <= at <= end
    ]
    return {**result, "Timestamps": [at for at, _ in pairs], "Values": [value for _, value in pairs]}


MEMORY = Source(_plan_memory, _absorb_memory)


# --- load balancing --------------------------------------------------------------------------------


def _plan_target_groups(plan: Plan) -> dict[str, Call]:
    service = plan.core.service or {}
    groups = [lb["targetGroupArn"] for lb in service.get("loadBalancers", []) if lb.get("targetGroupArn")]
    if not groups:
        return {}
    return {
        "target_groups": Call(
            "elbv2", "describe_target_groups", {"TargetGroupArns": groups[:5]}, "target group"
        ),
        "target_health": Call(
            "elbv2", "describe_target_health", {"TargetGroupArn": groups[0]}, "target health"
        ),
    }


def _absorb_target_groups(evidence: LiveEvidence, results: Mapping[str, Outcome]) -> None:
    if "target_groups" in results:
        evidence.target_groups = first(results["target_groups"], "TargetGroups")
    if "target_health" in results:
        evidence.target_health = first(results["target_health"], "TargetHealthDescriptions")


TARGET_GROUPS = Source(_plan_target_groups, _absorb_target_groups)


def _plan_load_balancers(plan: Plan) -> dict[str, Call]:
    """The load balancers in front of the target groups: their security groups must reach the task."""
    evidence = plan.evidence
    arns = sorted({arn for group in evidence.target_groups for arn in group.get("LoadBalancerArns", [])})
    if not arns:
        return {}
    return {
        "load_balancers": Call(
            "elbv2", "describe_load_balancers", {"LoadBalancerArns": arns[:20]}, "load balancers"
        )
    }


def _absorb_load_balancers(evidence: LiveEvidence, results: Mapping[str, Outcome]) -> None:
    for outcome in results.values():
        evidence.load_balancer_groups = (
            [g for lb in first(outcome, "LoadBalancers") for g in lb.get("SecurityGroups", [])]
            if outcome.ok
            else None
        )


LOAD_BALANCERS = Source(
    _plan_load_balancers, _absorb_load_balancers, round=4, requires=(needs.TARGET_GROUPS,)
)


# --- network ---------------------------------------------------------------------------------------


def _plan_security_groups(plan: Plan) -> dict[str, Call]:
    config = ((plan.core.service or {}).get("networkConfiguration") or {}).get("awsvpcConfiguration") or {}
    ids = list(config.get("securityGroups") or [])
    if not ids:
        return {}
    return {"security_groups": Call("ec2", "describe_security_groups", {"GroupIds": ids}, "security groups")}


def _absorb_security_groups(evidence: LiveEvidence, results: Mapping[str, Outcome]) -> None:
    for outcome in results.values():
        evidence.security_groups = first(outcome, "SecurityGroups")


SECURITY_GROUPS = Source(_plan_security_groups, _absorb_security_groups)


def task_subnets(core: Core) -> list[str]:
    found: list[str] = []
    for task in core.tasks:
        for attachment in task.get("attachments", []):
            for detail in attachment.get("details", []):
                if detail.get("name") == "subnetId" and detail.get("value") not in found:
                    found.append(detail["value"])
    config = ((core.service or {}).get("networkConfiguration") or {}).get("awsvpcConfiguration") or {}
    return found or list(config.get("subnets") or [])


def _plan_subnets(plan: Plan) -> dict[str, Call]:
    subnets = task_subnets(plan.core)
    if not subnets:
        return {}
    plan.evidence.subnet_ids = subnets
    return {"subnets": Call("ec2", "describe_subnets", {"SubnetIds": subnets}, "subnets")}


def _absorb_subnets(evidence: LiveEvidence, results: Mapping[str, Outcome]) -> None:
    for outcome in results.values():
        evidence.subnets = first(outcome, "Subnets")


SUBNETS = Source(_plan_subnets, _absorb_subnets)


def _plan_routes(plan: Plan) -> dict[str, Call]:
    vpcs = sorted({s.get("VpcId", "") for s in plan.evidence.subnets if s.get("VpcId")})
    if not vpcs:
        return {}
    vpc_filter = [{"Name": "vpc-id", "Values": vpcs}]
    return {
        "route_tables": Call("ec2", "describe_route_tables", {"Filters": vpc_filter}, "route tables"),
        "endpoints": Call("ec2", "describe_vpc_endpoints", {"Filters": vpc_filter}, "VPC endpoints"),
        "nacls": Call("ec2", "describe_network_acls", {"Filters": vpc_filter}, "network ACLs"),
    }


def _absorb_routes(evidence: LiveEvidence, results: Mapping[str, Outcome]) -> None:
    if "route_tables" in results:
        evidence.route_tables = first(results["route_tables"], "RouteTables")
        evidence.network_read = results["route_tables"].ok
    if "endpoints" in results:
        outcome = results["endpoints"]
        evidence.endpoints = first(outcome, "VpcEndpoints") if outcome.ok else None
    if "nacls" in results:
        evidence.nacls = first(results["nacls"], "NetworkAcls")


ROUTES = Source(_plan_routes, _absorb_routes, round=4, requires=(needs.SUBNETS,))


# --- what the task references ----------------------------------------------------------------------


def ecr_images(core: Core, aws_region: str, foreign: dict[str, str] | None = None) -> dict[str, list[str]]:
    """ECR repositories (in this region, of the task definition's own account) the failing task definitions
    use, with the tags they ask for; an image in another account's ECR goes to `foreign` (image -> account):
    looking its repository up in this account's ECR would find nothing and prove nothing."""
    images: dict[str, list[str]] = {}
    failing = {t.get("taskDefinitionArn", "") for t in core.tasks if t.get("lastStatus") == "STOPPED"}
    for arn, definition in core.task_definitions.items():
        if arn not in failing:
            continue
        for container in definition.get("containerDefinitions", []):
            image = str(container.get("image", ""))
            match = facts.ECR_IMAGE.match(image)
            if not match or match.group(2) != aws_region:
                continue
            if facts.foreign_registry(match, arn):
                if foreign is not None:
                    foreign[image] = match.group(1)
                continue
            images.setdefault(match.group(3), []).append(match.group(4) or "latest")
    return images


def _plan_ecr(plan: Plan) -> dict[str, Call]:
    images = ecr_images(plan.core, plan.evidence.region, plan.evidence.foreign_images)
    plan.evidence.images = images
    return {
        f"ecr:{repository}": Call(
            "ecr",
            "describe_images",
            {"repositoryName": repository, "maxResults": 100},
            "ECR images",
            frozenset({"RepositoryNotFoundException"}),
        )
        for repository in sorted(images)[:3]
    }


def _absorb_ecr(evidence: LiveEvidence, results: Mapping[str, Outcome]) -> None:
    for key, outcome in results.items():
        evidence.ecr[key.removeprefix("ecr:")] = (
            [t for d in first(outcome, "imageDetails") for t in d.get("imageTags", [])]
            if outcome.ok
            else outcome.error
        )


ECR = Source(_plan_ecr, _absorb_ecr)


def _plan_secrets(plan: Plan) -> dict[str, Call]:
    """The secrets and parameters that the task each wanting cause explains references (for that cause),
    each asked in its own region, at most MAX_SECRETS of them (the others are a gap). A parameter of another
    account is not asked: DescribeParameters lists the caller's own, so its absence would prove nothing
    (`OTHER_ACCOUNT`)."""
    refs: dict[str, str] = {}  # reference -> the account of the task that references it
    for category in sorted(plan.wanted.get(needs.SECRETS.name, set())):
        definition = definition_of(plan.evidence, category)[1]
        account = role.task_place(plan.evidence, category).account
        refs.update({r: account for r in role.secret_references(definition, category) if r not in refs})
    calls: dict[str, Call] = {}
    unasked: list[str] = []
    for ref, account in refs.items():
        parsed = parse_reference(ref)
        region = parsed.region if parsed.region != plan.evidence.region else ""
        if parsed.store != "secretsmanager" and parsed.account and account and parsed.account != account:
            plan.evidence.secrets[ref] = OTHER_ACCOUNT
        elif len(calls) >= MAX_SECRETS:
            unasked.append(ref)
        elif parsed.store == "secretsmanager":
            calls[f"secret:{ref}"] = Call(
                "secretsmanager",
                "describe_secret",
                {"SecretId": ref},
                "secret",
                frozenset({"ResourceNotFoundException"}),
                region=region,
            )
        else:
            calls[f"param:{ref}"] = Call(
                "ssm",
                "describe_parameters",
                {
                    "ParameterFilters": [
                        {"Key": "Name", "Option": "Equals", "Values": [parsed.parameter_name]}
                    ]
                },
                "SSM parameter",
                region=region,
            )
    if unasked:
        plan.evidence.gaps.append(
            Gap(
                what=f"whether {', '.join(unasked)} exist",
                reason=f"not read: a diagnosis reads at most {MAX_SECRETS} of a task's secrets and parameters",
            )
        )
    return calls


def _absorb_secrets(evidence: LiveEvidence, results: Mapping[str, Outcome]) -> None:
    for key, outcome in results.items():
        kind, _, ref = key.partition(":")
        evidence.secret_sources[ref] = outcome.source
        if outcome.ok:
            facts.secret_details(evidence, kind, ref, outcome.data or {})
        if kind == "secret":
            evidence.secrets[ref] = "exists" if outcome.ok else outcome.error
        else:
            evidence.secrets[ref] = (
                ("exists" if first(outcome, "Parameters") else "ParameterNotFound")
                if outcome.ok
                else outcome.error
            )


SECRETS = Source(_plan_secrets, _absorb_secrets)


def _plan_log_groups(plan: Plan) -> dict[str, Call]:
    groups: list[str] = []
    for category in sorted(plan.wanted.get(needs.LOG_GROUPS.name, set())):
        task = plan.evidence.task_for(category)
        stream = log_stream(task, plan.core.task_definitions) if task is not None else None
        if stream is not None and stream[0] not in groups:
            groups.append(stream[0])
    return {
        f"log_group:{group}": Call("logs", "describe_log_groups", {"logGroupNamePrefix": group}, "log group")
        for group in groups[:2]
    }


def _absorb_log_groups(evidence: LiveEvidence, results: Mapping[str, Outcome]) -> None:
    for outcome in results.values():
        if not outcome.ok:
            evidence.log_groups = None
            return
        found = [g.get("logGroupName", "") for g in first(outcome, "logGroups")]
        evidence.log_groups = [*(evidence.log_groups or []), *found]


LOG_GROUPS = Source(_plan_log_groups, _absorb_log_groups)


def _plan_simulation(plan: Plan) -> dict[str, Call]:
    """One iam:SimulatePrincipalPolicy per execution role: the actions the task of each wanting cause needs
    (`role.needed`) on its own repositories, secrets, keys and log streams. AWS evaluates every action on
    every resource of a call; only the pairs a task needs are read back, so one call serves them all."""
    wanted: dict[str, list[role.Permission]] = {}
    for category in sorted(plan.wanted.get(needs.ROLE_SIMULATION.name, set())):
        arn, revision, definition = role.execution_role(plan.evidence, category)
        permissions = [
            p for p in role.needed(plan.evidence, category) if p.resource.startswith(("arn:", "*"))
        ]
        if not arn and permissions and role.instance_role_acts(plan.evidence, definition, permissions):
            _unsimulated(plan.evidence, f"the container instance role of {revision}", permissions)
        if arn:
            wanted.setdefault(arn, [])
            wanted[arn] += [p for p in permissions if p not in wanted[arn]]
    calls: dict[str, Call] = {}
    for arn, permissions in sorted(wanted.items()):
        if not permissions:
            continue
        what = f"whether the execution role {arn} may {role.listed(permissions)}"
        resources = sorted({p.resource for p in permissions})
        params: dict[str, Any] = {
            "PolicySourceArn": arn,
            "ActionNames": sorted({p.action for p in permissions}),
        }
        if resources != ["*"]:
            params["ResourceArns"] = resources
        if len(calls) < MAX_SIMULATIONS:
            calls[f"simulate:{len(calls)}:{arn}"] = Call(
                "iam", "simulate_principal_policy", params, what, max_items=1000
            )
        else:
            reason = f"not simulated: a diagnosis simulates at most {MAX_SIMULATIONS} roles"
            plan.evidence.gaps.append(Gap(what=what, reason=reason))
    return calls


def _unsimulated(evidence: LiveEvidence, who: str, permissions: list[role.Permission]) -> None:
    """No executionRoleArn on EC2: the gap says which role and actions to check by hand."""
    evidence.gaps.append(
        Gap(
            what=f"whether {who} may {role.listed(permissions)}",
            reason="the task definition has no executionRoleArn: the EC2 container instance role acts for "
            "it, and it is not simulated (check it by hand)",
        )
    )


def _absorb_simulation(evidence: LiveEvidence, results: Mapping[str, Outcome]) -> None:
    """Per resource: AWS answers one result per action, with the decision on each resource in
    ResourceSpecificResults (older answers gave one result per action and resource)."""
    for key, outcome in results.items():
        arn = key.split(":", 2)[2]
        for result in first(outcome, "EvaluationResults"):
            action = str(result.get("EvalActionName", ""))
            specific = result.get("ResourceSpecificResults") or [
                {
                    "EvalResourceName": result.get("EvalResourceName") or "*",
                    "EvalResourceDecision": result.get("EvalDecision", ""),
                }
            ]
            for one in specific:
                resource = str(one.get("EvalResourceName") or "*")
                evidence.simulation[(arn, action, resource)] = str(one.get("EvalResourceDecision", ""))


SIMULATION = Source(_plan_simulation, _absorb_simulation, round=4)  # after the secrets' own ARNs and keys


def _plan_kms(plan: Plan) -> dict[str, Call]:
    """kms:DescribeKey for each key that encrypts a secret the wanting causes' tasks reference, unless it is
    named as AWS managed (alias/aws/…): who manages it decides whether the role needs kms:Decrypt."""
    keys: list[str] = []
    for category in sorted(plan.wanted.get(needs.KMS_KEYS.name, set())):
        definition = definition_of(plan.evidence, category)[1]
        for ref in role.secret_references(definition, category):
            details = plan.evidence.secret_details.get(ref) or {}
            key = str(details.get("KmsKeyId") or details.get("KeyId") or "")
            if customer_managed(key) and key not in keys:
                keys.append(key)
    return {
        f"kms:{key}": Call(
            "kms", "describe_key", {"KeyId": key}, f"KMS key {key}", frozenset({"NotFoundException"})
        )
        for key in keys[:MAX_SECRETS]
    }


def _absorb_kms(evidence: LiveEvidence, results: Mapping[str, Outcome]) -> None:
    for key, outcome in results.items():
        metadata = (outcome.data or {}).get("KeyMetadata") or {}
        evidence.kms_keys[key.removeprefix("kms:")] = (
            {k: metadata[k] for k in ("Arn", "KeyId", "KeyManager", "KeyState") if k in metadata}
            if outcome.ok
            else str(outcome.error)
        )


KMS = Source(_plan_kms, _absorb_kms, round=4, requires=(needs.SECRETS,))


def _plan_trail(plan: Plan) -> dict[str, Call]:
    """StopTask calls around the time the task this cause explains stopped (else the last day)."""
    window: dict[str, datetime] = {"StartTime": datetime.now(UTC) - timedelta(days=1)}
    for category in sorted(plan.wanted.get(needs.CLOUDTRAIL.name, set())):
        task = plan.evidence.task_for(category) or {}
        for key in ("stoppingAt", "stoppedAt"):
            when = task.get(key)
            if isinstance(when, datetime):
                window = {"StartTime": when - timedelta(minutes=15), "EndTime": when + timedelta(minutes=5)}
                break
    return {
        "trail": Call(
            "cloudtrail",
            "lookup_events",
            {
                "LookupAttributes": [{"AttributeKey": "EventName", "AttributeValue": "StopTask"}],
                **window,
                "MaxResults": 50,
            },
            "CloudTrail StopTask events",
        )
    }


def _absorb_trail(evidence: LiveEvidence, results: Mapping[str, Outcome]) -> None:
    for outcome in results.values():
        evidence.trail = first(outcome, "Events") if outcome.ok else None


TRAIL = Source(_plan_trail, _absorb_trail)


SOURCES: dict[str, Source] = {
    needs.SERVICE.name: CORE,
    needs.TASK_DEFINITIONS.name: CORE,
    needs.LOG_TAIL.name: LOGS,
    needs.LOG_HEAD.name: LOGS,  # one read per task: from the head when a check needs the start time
    needs.MEMORY_METRICS.name: MEMORY,
    needs.TARGET_GROUPS.name: TARGET_GROUPS,
    needs.LOAD_BALANCERS.name: LOAD_BALANCERS,
    needs.SECURITY_GROUPS.name: SECURITY_GROUPS,
    needs.SUBNETS.name: SUBNETS,
    needs.ROUTES.name: ROUTES,
    needs.ECR_IMAGES.name: ECR,
    needs.SECRETS.name: SECRETS,
    needs.LOG_GROUPS.name: LOG_GROUPS,
    needs.ROLE_SIMULATION.name: SIMULATION,
    needs.KMS_KEYS.name: KMS,
    needs.CLOUDTRAIL.name: TRAIL,
    needs.CONTAINER_INSTANCE_ARNS.name: facts.INSTANCE_ARNS,
    needs.CONTAINER_INSTANCES.name: facts.INSTANCES,
    needs.CAPACITY_PROVIDERS.name: capacity.PROVIDERS,
    needs.CAPACITY_GROUPS.name: capacity.GROUPS,
    needs.IMAGE_MANIFESTS.name: facts.MANIFESTS,
    needs.EFS.name: facts.EFS,
    needs.EFS_SECURITY.name: facts.EFS_SECURITY,
    needs.CLUSTER.name: exec_sources.CLUSTER,
    needs.EXEC_SIMULATION.name: exec_sources.SIMULATIONS,
    needs.TASK_INSTANCES.name: exec_sources.TASK_INSTANCES,
    needs.FAMILY_REVISIONS.name: revisions.FAMILY,
    needs.PREVIOUS_REVISION.name: revisions.PREVIOUS,
}
