"""A complete live evidence set: everything `diagnose` can read about one failing service, in API shapes.

`complete_evidence(how)` gives a `LiveEvidence` holding the service (events, deployments, load balancer,
network configuration), the stopped task and the one before it, both revisions of the task definition
(execution role, awslogs, secrets, EFS volume, healthCheck, ports), the failed container's log, memory
metrics, the target group and its targets, subnets, route tables, endpoints, security groups, ECR tags
and the image manifest, secrets, the log group, the role simulation, CloudTrail, container instances and
the EFS file system with its mount targets and access point. `Place` names every ID, so tests vary them.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import Any

from diagnosis.checks.evidence import LiveEvidence, TaskLog
from diagnosis.collect.service_tasks import Core, observations
from diagnosis.collect.target import TargetSpec
from diagnosis.models import Observations


@dataclass(frozen=True)
class Place:
    """Where the service lives and what its resources are called (vary them between tests)."""

    account: str = "210987654321"
    region: str = "eu-west-1"
    cluster: str = "core"
    service: str = "ledger"
    container: str = "api"
    revision: int = 7
    tag: str = "3.4.1"
    task_id: str = "b" * 32
    previous_task_id: str = "c" * 32
    subnets: tuple[str, ...] = ("subnet-0a11", "subnet-0b22")
    vpc: str = "vpc-0c33"
    security_group: str = "sg-0d44"
    lb_security_group: str = "sg-0e55"
    execution_role: str = "ledger-execution"
    task_role: str = "ledger-task"
    log_group: str = "/ecs/ledger"
    efs: str = "fs-0f66"
    access_point: str = "fsap-0a77"
    mount_target_group: str = "sg-0b88"
    nat: str = "nat-0c99"
    container_instance: str = "4d5e6f708192a3b4c5d6e7f8091a2b3c"
    ec2_instance: str = "i-0d1e2f"
    port: int = 8443
    memory: int = 1024
    cpu: int = 512
    started: datetime = datetime(2026, 3, 4, 5, 0, tzinfo=UTC)

    def arn(self, service: str, resource: str) -> str:
        return f"arn:aws:{service}:{self.region}:{self.account}:{resource}"

    @property
    def family_arn(self) -> str:
        return self.arn("ecs", f"task-definition/{self.service}:")

    @property
    def registry(self) -> str:
        return f"{self.account}.dkr.ecr.{self.region}.amazonaws.com"

    @property
    def image(self) -> str:
        return f"{self.registry}/{self.service}:{self.tag}"

    @property
    def secret(self) -> str:
        return self.arn("secretsmanager", f"secret:{self.service}/db-Ab12Cd")

    @property
    def parameter(self) -> str:
        return self.arn("ssm", f"parameter/{self.service}/api-key")

    @property
    def target_group(self) -> str:
        return self.arn("elasticloadbalancing", f"targetgroup/{self.service}/0a1b2c3d4e5f6a7b")


@dataclass(frozen=True)
class How:
    """How the newest task ended (a task stop), or the service event that says why none started."""

    stop_code: str = "EssentialContainerExited"
    reason: str = "Essential container in task exited"
    exit_code: int | None = None
    container_reason: str = ""
    event: str = ""  # a service event; with it, the tasks are the earlier, ordinary ones
    started: bool = True
    launch_type: str = "FARGATE"
    log: tuple[str, ...] = ("Starting ledger 3.4.1", "Error: connect ECONNREFUSED 10.0.3.7:5432")
    extra: dict[str, Any] = field(default_factory=dict)  # more keys on the stopped task


def container_definition(place: Place, revision: int) -> dict[str, Any]:
    return {
        "name": place.container,
        "image": place.image if revision == place.revision else f"{place.registry}/{place.service}:3.4.0",
        "essential": True,
        "memory": place.memory,
        "entryPoint": ["/app/bin/start.sh"],
        "command": ["--port", str(place.port)],
        "portMappings": [{"containerPort": place.port, "hostPort": place.port, "protocol": "tcp"}],
        "environment": [{"name": "LEDGER_MODE", "value": "primary"}],
        "secrets": [
            {"name": "DB_URL", "valueFrom": place.secret},
            {"name": "API_KEY", "valueFrom": place.parameter},
        ],
        "mountPoints": [{"sourceVolume": "journal", "containerPath": "/srv/journal"}],
        "healthCheck": {
            "command": ["CMD-SHELL", f"curl -fs http://localhost:{place.port}/health || exit 1"],
            "interval": 10,
            "timeout": 4,
            "retries": 3,
            "startPeriod": 15,
        },
        "stopTimeout": 20,
        "logConfiguration": {
            "logDriver": "awslogs",
            "options": {
                "awslogs-group": place.log_group,
                "awslogs-region": place.region,
                "awslogs-stream-prefix": "ecs",
            },
        },
    }


def task_definition(place: Place, revision: int, launch_type: str = "FARGATE") -> dict[str, Any]:
    return {
        "taskDefinitionArn": f"{place.family_arn}{revision}",
        "family": place.service,
        "revision": revision,
        "taskRoleArn": place.arn("iam", f"role/{place.task_role}").replace(f":{place.region}:", "::"),
        "executionRoleArn": place.arn("iam", f"role/{place.execution_role}").replace(
            f":{place.region}:", "::"
        ),
        "networkMode": "awsvpc",
        "requiresCompatibilities": [launch_type],
        "cpu": str(place.cpu),
        "memory": str(place.memory),
        "runtimePlatform": {"cpuArchitecture": "X86_64", "operatingSystemFamily": "LINUX"},
        "containerDefinitions": [container_definition(place, revision)],
        "volumes": [
            {
                "name": "journal",
                "efsVolumeConfiguration": {
                    "fileSystemId": place.efs,
                    "transitEncryption": "ENABLED",
                    "authorizationConfig": {"accessPointId": place.access_point, "iam": "ENABLED"},
                },
            }
        ],
    }


def task(place: Place, how: How, task_id: str, revision: int, stopped: datetime) -> dict[str, Any]:
    container: dict[str, Any] = {
        "name": place.container,
        "image": place.image,
        "lastStatus": "STOPPED",
    }
    if how.exit_code is not None:
        container["exitCode"] = how.exit_code
    if how.container_reason:
        container["reason"] = how.container_reason
    doc: dict[str, Any] = {
        "taskArn": place.arn("ecs", f"task/{place.cluster}/{task_id}"),
        "clusterArn": place.arn("ecs", f"cluster/{place.cluster}"),
        "taskDefinitionArn": f"{place.family_arn}{revision}",
        "group": f"service:{place.service}",
        "startedBy": "ecs-svc/1234567890123456789",
        "launchType": how.launch_type,
        "lastStatus": "STOPPED",
        "desiredStatus": "STOPPED",
        "stopCode": how.stop_code,
        "stoppedReason": how.reason,
        "cpu": str(place.cpu),
        "memory": str(place.memory),
        "createdAt": stopped - timedelta(minutes=3),
        "stoppedAt": stopped,
        "containers": [container],
        "attachments": [
            {
                "type": "ElasticNetworkInterface",
                "status": "DELETED",
                "details": [{"name": "subnetId", "value": place.subnets[0]}],
            }
        ],
        **how.extra,
    }
    if how.started:
        doc["startedAt"] = stopped - timedelta(minutes=2)
    if how.launch_type == "EC2":
        doc["containerInstanceArn"] = place.arn(
            "ecs", f"container-instance/{place.cluster}/{place.container_instance}"
        )
    return doc


def service(place: Place, how: How) -> dict[str, Any]:
    events = [
        {
            "id": "e1",
            "createdAt": place.started + timedelta(minutes=20),
            "message": f"(service {place.service}) has started 1 tasks: (task {place.task_id}).",
        }
    ]
    if how.event:
        events.insert(
            0, {"id": "e0", "createdAt": place.started + timedelta(minutes=25), "message": how.event}
        )
    current = f"{place.family_arn}{place.revision}"
    return {
        "serviceArn": place.arn("ecs", f"service/{place.cluster}/{place.service}"),
        "serviceName": place.service,
        "clusterArn": place.arn("ecs", f"cluster/{place.cluster}"),
        "taskDefinition": current,
        "desiredCount": 2,
        "runningCount": 0,
        "launchType": how.launch_type,
        "healthCheckGracePeriodSeconds": 30,
        "deploymentConfiguration": {"deploymentCircuitBreaker": {"enable": False, "rollback": False}},
        "loadBalancers": [
            {
                "targetGroupArn": place.target_group,
                "containerName": place.container,
                "containerPort": place.port,
            }
        ],
        "networkConfiguration": {
            "awsvpcConfiguration": {
                "subnets": list(place.subnets),
                "securityGroups": [place.security_group],
                "assignPublicIp": "DISABLED",
            }
        },
        "deployments": [
            {"taskDefinition": current, "status": "PRIMARY", "rolloutState": "IN_PROGRESS"},
            {
                "taskDefinition": f"{place.family_arn}{place.revision - 1}",
                "status": "ACTIVE",
                "rolloutState": "COMPLETED",
            },
        ],
        "events": events,
    }


def _group(group_id: str, vpc: str, ingress: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "GroupId": group_id,
        "VpcId": vpc,
        "IpPermissions": ingress,
        "IpPermissionsEgress": [{"IpProtocol": "-1", "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}],
    }


def _ingress(port: int, source_group: str) -> dict[str, Any]:
    return {
        "IpProtocol": "tcp",
        "FromPort": port,
        "ToPort": port,
        "UserIdGroupPairs": [{"GroupId": source_group}],
    }


def container_instance(place: Place, remaining: tuple[int, int]) -> dict[str, Any]:
    """One m5.large with (cpu, memory) remaining of 2048 CPU units and 7680 MiB."""

    def resources(cpu: int, memory: int) -> list[dict[str, Any]]:
        return [
            {"name": "CPU", "type": "INTEGER", "integerValue": cpu},
            {"name": "MEMORY", "type": "INTEGER", "integerValue": memory},
            {"name": "PORTS", "type": "STRINGSET", "stringSetValue": ["22", "2375", "2376", "51678"]},
        ]

    return {
        "containerInstanceArn": place.arn(
            "ecs", f"container-instance/{place.cluster}/{place.container_instance}"
        ),
        "ec2InstanceId": place.ec2_instance,
        "status": "ACTIVE",
        "agentConnected": True,
        "registeredResources": resources(2048, 7680),
        "remainingResources": resources(*remaining),
        "runningTasksCount": 3,
        "attributes": [{"name": "ecs.instance-type", "value": "m5.large"}],
    }


def complete_evidence(how: How = How(), place: Place = Place()) -> LiveEvidence:
    """Everything the collector can read, for a service whose newest task ended as `how` says."""
    stopped = place.started + timedelta(minutes=22)
    newest = task(place, how, place.task_id, place.revision, stopped)
    earlier = task(place, how, place.previous_task_id, place.revision, stopped - timedelta(minutes=6))
    tasks = [] if how.event else [newest, earlier]
    stream = f"ecs/{place.container}/{place.task_id}"
    log_events = [
        {"timestamp": int((stopped - timedelta(seconds=90 - 30 * i)).timestamp() * 1000), "message": line}
        for i, line in enumerate(how.log)
    ]
    manifest = {
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.index.v1+json",
        "manifests": [
            {
                "mediaType": "application/vnd.oci.image.manifest.v1+json",
                "digest": "sha256:" + "ab" * 32,
                "size": 1734,
                "platform": {"os": "linux", "architecture": "amd64"},
            }
        ],
    }
    subnets = [
        {
            "SubnetId": subnet,
            "VpcId": place.vpc,
            "AvailabilityZone": f"{place.region}{'abc'[n % 3]}",
            "CidrBlock": f"10.0.{n}.0/24",
            "AvailableIpAddressCount": 200 - n,
        }
        for n, subnet in enumerate(place.subnets)
    ]
    nfs = _ingress(2049, place.security_group)
    app = _ingress(place.port, place.lb_security_group)
    return LiveEvidence(
        region=place.region,
        service=service(place, how),
        tasks=tasks,
        task_definitions={
            f"{place.family_arn}{r}": task_definition(place, r, how.launch_type)
            for r in (place.revision - 1, place.revision)
        },
        logs={place.task_id: TaskLog(place.log_group, stream, log_events)} if tasks else {},
        memory=[
            {
                "Id": "m0",
                "Label": "MemoryUtilized",
                "Timestamps": [stopped - timedelta(minutes=4 - i) for i in range(4)],
                "Values": [0.5 * place.memory, 0.7 * place.memory, 0.9 * place.memory, place.memory - 4.0],
            }
        ],
        target_groups=[
            {
                "TargetGroupArn": place.target_group,
                "TargetGroupName": place.service,
                "Protocol": "HTTP",
                "Port": place.port,
                "TargetType": "ip",
                "HealthCheckPath": "/health",
                "HealthCheckPort": "traffic-port",
                "HealthCheckIntervalSeconds": 30,
                "UnhealthyThresholdCount": 2,
                "VpcId": place.vpc,
            }
        ],
        load_balancer_groups=[place.lb_security_group],
        target_health=[
            {
                "Target": {"Id": "10.0.0.12", "Port": place.port},
                "TargetHealth": {"State": "unhealthy", "Reason": "Target.Timeout"},
            }
        ],
        security_groups=[_group(place.security_group, place.vpc, [app])],
        subnet_ids=list(place.subnets),
        subnets=subnets,
        route_tables=[
            {
                "RouteTableId": "rtb-0a1b",
                "VpcId": place.vpc,
                "Associations": [{"SubnetId": s} for s in place.subnets],
                "Routes": [
                    {"DestinationCidrBlock": "10.0.0.0/16", "GatewayId": "local"},
                    {"DestinationCidrBlock": "0.0.0.0/0", "NatGatewayId": place.nat},
                ],
            }
        ],
        network_read=True,
        endpoints=[],
        nacls=[],
        images={place.service: [place.tag]},
        ecr={place.service: ["3.4.0", place.tag]},
        secrets={place.secret: "exists", place.parameter: "exists"},
        secret_sources={
            place.secret: "secretsmanager:DescribeSecret",
            place.parameter: "ssm:DescribeParameters",
        },
        log_groups=[place.log_group],
        simulation={"secretsmanager:GetSecretValue": "allowed", "ssm:GetParameters": "allowed"},
        trail=[],
        container_instance_arns=[
            place.arn("ecs", f"container-instance/{place.cluster}/{place.container_instance}")
        ],
        container_instances=[container_instance(place, (1536, 4096))],
        image_manifests={f"{place.service}:{place.tag}": {"imageManifest": json.dumps(manifest)}},
        file_systems={place.efs: {"FileSystemId": place.efs, "LifeCycleState": "available"}},
        mount_targets={
            place.efs: [
                {
                    "MountTargetId": f"fsmt-0{n}",
                    "FileSystemId": place.efs,
                    "SubnetId": s["SubnetId"],
                    "AvailabilityZoneName": s["AvailabilityZone"],
                    "LifeCycleState": "available",
                }
                for n, s in enumerate(subnets)
            ]
        },
        mount_target_groups={f"fsmt-0{n}": [place.mount_target_group] for n in range(len(subnets))},
        access_points={
            place.access_point: {
                "AccessPointId": place.access_point,
                "FileSystemId": place.efs,
                "LifeCycleState": "available",
            }
        },
        vpc_security_groups=[
            _group(place.security_group, place.vpc, [app]),
            _group(place.mount_target_group, place.vpc, [nfs]),
        ],
        secret_details={place.secret: {"ARN": place.secret, "Name": f"{place.service}/db"}},
    )


def observed(evidence: LiveEvidence, place: Place = Place()) -> Observations:
    """The observations rounds 1–2 parse from this evidence (as `diagnose_live` builds them)."""
    spec = TargetSpec(cluster=place.cluster, service=place.service, region=place.region)
    return observations(
        Core(
            spec=spec,
            service=evidence.service,
            tasks=evidence.tasks,
            task_definitions=evidence.task_definitions,
        )
    )


def partial(evidence: LiveEvidence, **unread: Any) -> LiveEvidence:
    """The same evidence with some parts not read (e.g. `task_definitions={}`, `logs={}`)."""
    return replace(evidence, **unread)
