"""One realistic AWS account, seeded in moto: a cluster `demo` whose services each fail in a known way.

`seed(session)` works under in-process `moto.mock_aws()` and against a `ThreadedMotoServer` running in
the same process: everything the AWS API can create is created through boto3 clients of the given
session (pass `endpoint_url` for a server, or let boto3 read `AWS_ENDPOINT_URL`); what moto's API
cannot express (a stopped task's stopCode, timestamps and container exit codes, service events,
deployments and rolloutState, the health-check grace period) is written on the ECS backend objects,
which moto's responses then serialize.

| service    | what went wrong                                                | top category          |
|------------|----------------------------------------------------------------|-----------------------|
| checkout   | OOM kills at 512 MiB, memory climbing before each kill          | `oom`                 |
| web        | ~95 s start-up, grace period 10 s, ALB health checks fail       | `elb_health_check`    |
| api        | deployed tag v2.4.0 does not exist in ECR (v2.3.0, v2.3.1 do)   | `image_not_found`     |
| ingest     | isolated subnet: no NAT, no internet gateway, no VPC endpoints  | `image_pull_network`  |
| billing    | task definition references a secret that does not exist         | `secrets_retrieval`   |
| orders     | exits 1: the database refuses connections (logs say so)         | `app_error`           |
| search     | revision 2 (1.9.0, new command, env var removed) exits at once  | `app_error`           |
| frontend   | healthy: two running tasks, steady state                        | none                  |

moto 5.2 quirks handled here: `run_task` needs a container-level `memory` (each single container gets
the task's); it makes UUID task IDs (re-keyed to 32 hex characters) and puts the ENI's IP anywhere in
10/8 (moved into the task's subnet); `create_service` drops the grace period and the deployment
configuration; `list_tasks(serviceName=…)` is ignored (tasks carry `group` "service:NAME");
describe-tasks walks RUNNING tasks to STOPPED unless `pin_task_states()` (called by `seed`).
"""

from __future__ import annotations

import hashlib
import ipaddress
import json
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
from moto.backends import get_backend
from moto.moto_api import state_manager

CLUSTER = "demo"
DEFAULT_ACCOUNT = "123456789012"
DEFAULT_REGION = "us-east-1"

# The seeded services and the taxonomy ID a diagnosis should put first (None: healthy, no failure).
EXPECTED_CATEGORIES: dict[str, str | None] = {
    "checkout": "oom",
    "web": "elb_health_check",
    "api": "image_not_found",
    "ingest": "image_pull_network",
    "billing": "secrets_retrieval",
    "orders": "app_error",
    "search": "app_error",
    "frontend": None,
}

# Categories that describe a normal lifecycle stop, not a failure (taxonomy.md, failure = no).
NON_FAILURE_CATEGORIES = frozenset(
    {
        "graceful_sigterm",
        "spot_interruption",
        "infra_maintenance",
        "scaling_or_deployment",
        "user_stopped",
        "instance_terminated_or_drained",
    }
)


@dataclass(frozen=True)
class Expectation:
    """What a correct diagnosis of one seeded service says."""

    service: str
    category: str | None  # the taxonomy ID of findings[0]; None for a healthy service
    facts: tuple[str, ...] = ()  # what AWS shows and a diagnosis must name (compared case-insensitively)
    conclusions: tuple[str, ...] = ()  # what a diagnosis must work out and name (AWS shows no such string)
    absent: tuple[str, ...] = ()  # strings that must never appear (secrets a diagnosis must redact)
    story: str = ""

    @property
    def failing(self) -> bool:
        return self.category is not None

    @property
    def named(self) -> tuple[str, ...]:
        """Everything the diagnosis's output must contain."""
        return self.facts + self.conclusions


@dataclass
class Sandbox:
    """The seeded account: where it is, what each service should be diagnosed as, the IDs it holds."""

    cluster: str
    region: str
    account: str
    expectations: dict[str, Expectation] = field(default_factory=dict)
    ids: dict[str, str] = field(default_factory=dict)  # vpc, subnets, groups, target groups, secrets…
    stopped_tasks: dict[str, list[str]] = field(default_factory=dict)  # service -> task IDs
    running_tasks: dict[str, list[str]] = field(default_factory=dict)

    @property
    def services(self) -> list[str]:
        return list(self.expectations)

    @property
    def failing(self) -> list[str]:
        return [name for name, exp in self.expectations.items() if exp.failing]

    @property
    def healthy(self) -> list[str]:
        return [name for name, exp in self.expectations.items() if not exp.failing]

    def expected(self, service: str) -> Expectation:
        return self.expectations[service]


def pin_task_states() -> None:
    """Keep RUNNING tasks RUNNING: otherwise every describe-tasks walks them towards STOPPED."""
    state_manager.set_transition("ecs::task", {"progression": "manual", "times": 10**9})


def seed(
    session: boto3.Session,
    account_id: str = DEFAULT_ACCOUNT,
    region: str = DEFAULT_REGION,
    *,
    endpoint_url: str | None = None,
    now: datetime | None = None,
) -> Sandbox:
    """Create the demo account in moto and return what a diagnosis of each service should find."""
    pin_task_states()
    seeder = _Seeder(session, account_id, region, endpoint_url, now or datetime.now(UTC))
    return seeder.run()


# ---------------------------------------------------------------------------------------------------
# helpers


def _hex_id(*parts: object, length: int = 32) -> str:
    """A deterministic hex ID (ECS task IDs are 32 hex characters)."""
    return hashlib.sha256(":".join(str(p) for p in parts).encode()).hexdigest()[:length]


def _uuid(*parts: object) -> str:
    return str(uuid.UUID(hex=_hex_id("uuid", *parts)))


def _ms(when: datetime) -> int:
    return int(when.timestamp() * 1000)


LogLine = tuple[float, str]  # seconds after the container started, message


@dataclass
class _Launch:
    """One task to put on the backend: when it ran, how it ended, what it logged."""

    service: str
    revision_arn: str
    subnet: str
    security_group: str
    deployment_id: str
    created: datetime
    started: datetime | None  # None: the task never started (pull or init failure)
    stopped: datetime | None  # None: still running
    stop_code: str | None = None
    stopped_reason: str | None = None
    exit_code: int | None = None
    container_reason: str | None = None
    logs: Sequence[LogLine] = ()
    image_digest: str | None = None


class _Seeder:
    def __init__(
        self, session: boto3.Session, account: str, region: str, endpoint_url: str | None, now: datetime
    ) -> None:
        self.session = session
        self.account = account
        self.region = region
        self.endpoint_url = endpoint_url
        self.now = now.replace(microsecond=0)
        self.sandbox = Sandbox(cluster=CLUSTER, region=region, account=account)
        self.ids = self.sandbox.ids
        self.registry = f"{account}.dkr.ecr.{region}.amazonaws.com"
        self.digests: dict[str, str] = {}  # "repo:tag" -> digest
        self._task_counter = 0

        self.ec2: Any = self._client("ec2")
        self.elbv2: Any = self._client("elbv2")
        self.ecr: Any = self._client("ecr")
        self.logs: Any = self._client("logs")
        self.secrets: Any = self._client("secretsmanager")
        self.cloudwatch: Any = self._client("cloudwatch")
        self.iam: Any = self._client("iam")
        self.ecs: Any = self._client("ecs")

    def _client(self, name: str) -> Any:
        # endpoint_url=None lets boto3 use AWS_ENDPOINT_URL when it is set.
        client: Any = self.session.client(  # type: ignore[call-overload]
            name, region_name=self.region, endpoint_url=self.endpoint_url
        )
        return client

    @property
    def backend(self) -> Any:
        return get_backend("ecs")[self.account][self.region]

    def ago(self, **delta: float) -> datetime:
        return self.now - timedelta(**delta)

    # -- the whole account ---------------------------------------------------------------------------

    def run(self) -> Sandbox:
        self.network()
        self.load_balancer()
        self.repositories()
        self.roles_and_secrets()
        self.ecs.create_cluster(
            clusterName=CLUSTER, settings=[{"name": "containerInsights", "value": "enabled"}]
        )
        self.ids["cluster_arn"] = f"arn:aws:ecs:{self.region}:{self.account}:cluster/{CLUSTER}"
        for build in (
            self.checkout,
            self.web,
            self.api,
            self.ingest,
            self.billing,
            self.orders,
            self.search,
            self.frontend,
        ):
            build()
        return self.sandbox

    # -- network -------------------------------------------------------------------------------------

    def _name(self, resource_id: str, name: str) -> None:
        self.ec2.create_tags(Resources=[resource_id], Tags=[{"Key": "Name", "Value": name}])

    def network(self) -> None:
        ec2 = self.ec2
        vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
        self._name(vpc, "demo-vpc")
        ec2.modify_vpc_attribute(VpcId=vpc, EnableDnsSupport={"Value": True})
        ec2.modify_vpc_attribute(VpcId=vpc, EnableDnsHostnames={"Value": True})
        self.ids["vpc"] = vpc

        def subnet(key: str, cidr: str, az: str) -> str:
            sid: str = ec2.create_subnet(VpcId=vpc, CidrBlock=cidr, AvailabilityZone=f"{self.region}{az}")[
                "Subnet"
            ]["SubnetId"]
            self._name(sid, f"demo-{key.replace('_', '-')}")
            self.ids[f"subnet_{key}"] = sid
            return sid

        public_a = subnet("public_a", "10.0.0.0/24", "a")
        public_b = subnet("public_b", "10.0.1.0/24", "b")
        private_a = subnet("private_a", "10.0.10.0/24", "a")
        private_b = subnet("private_b", "10.0.11.0/24", "b")
        isolated = subnet("isolated_a", "10.0.20.0/24", "a")
        ec2.modify_subnet_attribute(SubnetId=public_a, MapPublicIpOnLaunch={"Value": True})
        ec2.modify_subnet_attribute(SubnetId=public_b, MapPublicIpOnLaunch={"Value": True})

        igw = ec2.create_internet_gateway()["InternetGateway"]["InternetGatewayId"]
        ec2.attach_internet_gateway(InternetGatewayId=igw, VpcId=vpc)
        self._name(igw, "demo-igw")
        self.ids["internet_gateway"] = igw

        public_rt = ec2.create_route_table(VpcId=vpc)["RouteTable"]["RouteTableId"]
        self._name(public_rt, "demo-public")
        ec2.create_route(RouteTableId=public_rt, DestinationCidrBlock="0.0.0.0/0", GatewayId=igw)
        for sid in (public_a, public_b):
            ec2.associate_route_table(RouteTableId=public_rt, SubnetId=sid)
        self.ids["route_table_public"] = public_rt

        eip = ec2.allocate_address(Domain="vpc")["AllocationId"]
        nat = ec2.create_nat_gateway(SubnetId=public_a, AllocationId=eip)["NatGateway"]["NatGatewayId"]
        self._name(nat, "demo-nat-a")
        self.ids["nat_gateway"] = nat

        private_rt = ec2.create_route_table(VpcId=vpc)["RouteTable"]["RouteTableId"]
        self._name(private_rt, "demo-private")
        ec2.create_route(RouteTableId=private_rt, DestinationCidrBlock="0.0.0.0/0", NatGatewayId=nat)
        for sid in (private_a, private_b):
            ec2.associate_route_table(RouteTableId=private_rt, SubnetId=sid)
        self.ids["route_table_private"] = private_rt

        # The isolated subnet: its own route table holds only the local route. No VPC endpoints anywhere.
        isolated_rt = ec2.create_route_table(VpcId=vpc)["RouteTable"]["RouteTableId"]
        self._name(isolated_rt, "demo-isolated")
        ec2.associate_route_table(RouteTableId=isolated_rt, SubnetId=isolated)
        self.ids["route_table_isolated"] = isolated_rt

        def group(key: str, description: str) -> str:
            gid: str = ec2.create_security_group(GroupName=f"demo-{key}", Description=description, VpcId=vpc)[
                "GroupId"
            ]
            self.ids[f"sg_{key}"] = gid
            return gid

        alb_sg = group("alb", "demo ALB: HTTP from anywhere")
        ec2.authorize_security_group_ingress(
            GroupId=alb_sg,
            IpPermissions=[
                {"IpProtocol": "tcp", "FromPort": 80, "ToPort": 80, "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}
            ],
        )
        web_sg = group("web", "web tasks: 8080 from the ALB")
        ec2.authorize_security_group_ingress(
            GroupId=web_sg,
            IpPermissions=[
                {
                    "IpProtocol": "tcp",
                    "FromPort": 8080,
                    "ToPort": 8080,
                    "UserIdGroupPairs": [{"GroupId": alb_sg}],
                }
            ],
        )
        frontend_sg = group("frontend", "frontend tasks: 80 from the ALB")
        ec2.authorize_security_group_ingress(
            GroupId=frontend_sg,
            IpPermissions=[
                {"IpProtocol": "tcp", "FromPort": 80, "ToPort": 80, "UserIdGroupPairs": [{"GroupId": alb_sg}]}
            ],
        )
        group("app", "internal services: no ingress, all egress")

    # -- load balancer -------------------------------------------------------------------------------

    def load_balancer(self) -> None:
        elbv2 = self.elbv2
        alb = elbv2.create_load_balancer(
            Name="demo-alb",
            Subnets=[self.ids["subnet_public_a"], self.ids["subnet_public_b"]],
            SecurityGroups=[self.ids["sg_alb"]],
            Scheme="internet-facing",
            Type="application",
        )["LoadBalancers"][0]
        self.ids["alb_arn"] = alb["LoadBalancerArn"]
        self.ids["alb_dns"] = alb["DNSName"]

        def target_group(name: str, port: int, path: str) -> str:
            arn: str = elbv2.create_target_group(
                Name=name,
                Protocol="HTTP",
                Port=port,
                VpcId=self.ids["vpc"],
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

        self.ids["tg_web"] = target_group("web-tg", 8080, "/healthz")
        self.ids["tg_frontend"] = target_group("frontend-tg", 80, "/")
        listener = elbv2.create_listener(
            LoadBalancerArn=self.ids["alb_arn"],
            Protocol="HTTP",
            Port=80,
            DefaultActions=[{"Type": "forward", "TargetGroupArn": self.ids["tg_frontend"]}],
        )["Listeners"][0]["ListenerArn"]
        elbv2.create_rule(
            ListenerArn=listener,
            Priority=10,
            Conditions=[{"Field": "path-pattern", "Values": ["/app/*"]}],
            Actions=[{"Type": "forward", "TargetGroupArn": self.ids["tg_web"]}],
        )
        self.ids["listener_http"] = listener

    # -- images, roles, secrets ----------------------------------------------------------------------

    def repositories(self) -> None:
        tags = {
            "checkout": ["v1.12.2", "v1.12.3"],
            "web": ["3.2.0", "3.2.1"],
            "api": ["v2.3.0", "v2.3.1"],  # v2.4.0 was never pushed
            "ingest": ["v0.9.1", "v0.9.2"],
            "billing": ["2024.06.1", "2024.06.2"],
            "orders": ["4.1.9", "4.2.0"],
            "search": ["1.8.0", "1.9.0"],
            "frontend": ["1.4.0", "1.4.1"],
        }
        for repo, repo_tags in tags.items():
            uri = self.ecr.create_repository(repositoryName=repo)["repository"]["repositoryUri"]
            self.ids[f"ecr_{repo}"] = uri
            for tag in repo_tags:
                manifest = {
                    "schemaVersion": 2,
                    "mediaType": "application/vnd.docker.distribution.manifest.v2+json",
                    "config": {
                        "mediaType": "application/vnd.docker.container.image.v1+json",
                        "size": 7023,
                        "digest": "sha256:" + hashlib.sha256(f"config {repo}:{tag}".encode()).hexdigest(),
                    },
                    "layers": [
                        {
                            "mediaType": "application/vnd.docker.image.rootfs.diff.tar.gzip",
                            "size": 31_357_624 + len(repo) * 1000,
                            "digest": "sha256:" + hashlib.sha256(f"layer {repo}:{tag}".encode()).hexdigest(),
                        }
                    ],
                }
                image = self.ecr.put_image(
                    repositoryName=repo, imageManifest=json.dumps(manifest), imageTag=tag
                )["image"]
                self.digests[f"{repo}:{tag}"] = image["imageId"]["imageDigest"]

    def roles_and_secrets(self) -> None:
        secret_prefix = f"arn:aws:secretsmanager:{self.region}:{self.account}:secret:"
        trust = {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Principal": {"Service": "ecs-tasks.amazonaws.com"},
                    "Action": "sts:AssumeRole",
                }
            ],
        }
        role = self.iam.create_role(
            RoleName="ecsTaskExecutionRole", AssumeRolePolicyDocument=json.dumps(trust)
        )
        self.ids["execution_role"] = role["Role"]["Arn"]
        self.iam.put_role_policy(
            RoleName="ecsTaskExecutionRole",
            PolicyName="ecs-task-execution",
            PolicyDocument=json.dumps(
                {
                    "Version": "2012-10-17",
                    "Statement": [
                        {
                            "Effect": "Allow",
                            "Action": [
                                "ecr:GetAuthorizationToken",
                                "ecr:BatchCheckLayerAvailability",
                                "ecr:GetDownloadUrlForLayer",
                                "ecr:BatchGetImage",
                                "logs:CreateLogStream",
                                "logs:PutLogEvents",
                            ],
                            "Resource": "*",
                        },
                        {
                            "Effect": "Allow",
                            "Action": ["secretsmanager:GetSecretValue"],
                            "Resource": f"{secret_prefix}billing/*",
                        },
                    ],
                }
            ),
        )
        for service in ("checkout", "web", "api", "ingest", "billing", "orders", "search", "frontend"):
            task_role = self.iam.create_role(
                RoleName=f"{service}-task", AssumeRolePolicyDocument=json.dumps(trust)
            )
            self.ids[f"task_role_{service}"] = task_role["Role"]["Arn"]

        # billing/db-password exists; billing/stripe-key (referenced by the task definition) does not.
        existing = self.secrets.create_secret(
            Name="billing/db-password", SecretString="not-a-real-password-0000", Description="billing DB"
        )
        self.ids["secret_existing"] = existing["ARN"]
        self.ids["secret_missing"] = (
            f"arn:aws:secretsmanager:{self.region}:{self.account}:secret:billing/stripe-key-AbCdEf"
        )

    # -- ECS building blocks -------------------------------------------------------------------------

    def register(
        self,
        service: str,
        tag: str,
        *,
        cpu: str = "256",
        memory: str = "512",
        port: int | None = None,
        command: list[str] | None = None,
        environment: dict[str, str] | None = None,
        secrets: dict[str, str] | None = None,
    ) -> str:
        container: dict[str, Any] = {
            "name": service,
            "image": f"{self.registry}/{service}:{tag}",
            "essential": True,
            # moto's run_task needs a container-level memory; a single container gets all of the task's.
            "memory": int(memory),
            "logConfiguration": {
                "logDriver": "awslogs",
                "options": {
                    "awslogs-group": f"/ecs/{service}",
                    "awslogs-region": self.region,
                    "awslogs-stream-prefix": "ecs",
                },
            },
            "environment": [{"name": k, "value": v} for k, v in (environment or {}).items()],
        }
        if port is not None:
            container["portMappings"] = [{"containerPort": port, "hostPort": port, "protocol": "tcp"}]
        if command is not None:
            container["command"] = command
        if secrets:
            container["secrets"] = [{"name": k, "valueFrom": v} for k, v in secrets.items()]
        arn: str = self.ecs.register_task_definition(
            family=service,
            taskRoleArn=self.ids[f"task_role_{service}"],
            executionRoleArn=self.ids["execution_role"],
            networkMode="awsvpc",
            requiresCompatibilities=["FARGATE"],
            cpu=cpu,
            memory=memory,
            containerDefinitions=[container],
            runtimePlatform={"cpuArchitecture": "X86_64", "operatingSystemFamily": "LINUX"},
        )["taskDefinition"]["taskDefinitionArn"]
        return arn

    def create_service(
        self,
        service: str,
        revision_arn: str,
        *,
        subnets: list[str],
        security_group: str,
        desired: int,
        target_group: tuple[str, int] | None = None,
        assign_public_ip: str = "DISABLED",
    ) -> Any:
        self.logs.create_log_group(logGroupName=f"/ecs/{service}")
        self.logs.put_retention_policy(logGroupName=f"/ecs/{service}", retentionInDays=30)
        kwargs: dict[str, Any] = {}
        if target_group is not None:
            kwargs["loadBalancers"] = [
                {
                    "targetGroupArn": target_group[0],
                    "containerName": service,
                    "containerPort": target_group[1],
                }
            ]
        self.ecs.create_service(
            cluster=CLUSTER,
            serviceName=service,
            taskDefinition=revision_arn,
            desiredCount=desired,
            launchType="FARGATE",
            platformVersion="LATEST",
            networkConfiguration={
                "awsvpcConfiguration": {
                    "subnets": subnets,
                    "securityGroups": [security_group],
                    "assignPublicIp": assign_public_ip,
                }
            },
            **kwargs,
        )
        obj = self.backend._get_service(CLUSTER, service)
        # create_service drops these: set them on the backend object.
        obj.health_check_grace_period_seconds = None
        obj.deployment_configuration = {
            "deploymentCircuitBreaker": {"enable": False, "rollback": False},
            "maximumPercent": 200,
            "minimumHealthyPercent": 100,
        }
        obj.created_at = self.ago(days=42)
        obj.created_by = f"arn:aws:iam::{self.account}:role/deploy-pipeline"
        obj.platform_family = "Linux"
        obj.enable_execute_command = False
        obj.events = []
        return obj

    def deployment_id(self, service: str, revision: int) -> str:
        return "ecs-svc/" + str(int(_hex_id("deployment", service, revision), 16))[:19]

    def deployment(
        self,
        service_obj: Any,
        revision_arn: str,
        *,
        status: str,
        rollout: str,
        created: datetime,
        desired: int,
        running: int,
        failed: int = 0,
        updated: datetime | None = None,
    ) -> dict[str, Any]:
        revision = int(revision_arn.rsplit(":", 1)[1])
        dep_id = self.deployment_id(service_obj.name, revision)
        reasons = {
            "COMPLETED": f"ECS deployment {dep_id} completed.",
            "IN_PROGRESS": f"ECS deployment {dep_id} in progress.",
            "FAILED": f"ECS deployment circuit breaker: tasks failed to start. "
            f"ECS deployment {dep_id} failed.",
        }
        return {
            "id": dep_id,
            "status": status,
            "taskDefinition": revision_arn,
            "desiredCount": desired,
            "pendingCount": 0,
            "runningCount": running,
            "failedTasks": failed,
            "createdAt": created,
            "updatedAt": updated or created,
            "launchType": "FARGATE",
            "platformVersion": "1.4.0",
            "platformFamily": "Linux",
            "networkConfiguration": service_obj.network_configuration,
            "rolloutState": rollout,
            "rolloutStateReason": reasons[rollout],
        }

    def finish_service(
        self,
        service_obj: Any,
        *,
        deployments: list[dict[str, Any]],
        events: list[tuple[datetime, str]],
        desired: int,
        running: int,
        revision_arn: str,
    ) -> None:
        service_obj.deployments = deployments
        service_obj.task_definition = revision_arn
        service_obj.desired_count = desired
        service_obj.running_count = running
        service_obj.pending_count = 0
        ordered = sorted(events, key=lambda e: e[0], reverse=True)  # ECS lists the newest event first
        service_obj.events = [
            {"id": _uuid(service_obj.name, "event", i, message), "createdAt": when, "message": message}
            for i, (when, message) in enumerate(ordered)
        ]

    def launch(self, spec: _Launch) -> str:
        """Run one task through the API, then write on the backend how it ran and ended. Returns its ID."""
        response = self.ecs.run_task(
            cluster=CLUSTER,
            taskDefinition=spec.revision_arn,
            launchType="FARGATE",
            platformVersion="LATEST",
            group=f"service:{spec.service}",
            startedBy=spec.deployment_id,
            networkConfiguration={
                "awsvpcConfiguration": {
                    "subnets": [spec.subnet],
                    "securityGroups": [spec.security_group],
                    "assignPublicIp": "DISABLED",
                }
            },
        )
        old_arn = response["tasks"][0]["taskArn"]
        tasks = self.backend.tasks[CLUSTER]
        task = tasks.pop(old_arn)
        # Real task IDs are 32 hex characters; moto makes UUIDs. Re-key the task under a realistic ID.
        self._task_counter += 1
        task.id = _hex_id("task", spec.service, self._task_counter)
        tasks[task.task_arn] = task

        definition = self.backend.describe_task_definition(spec.revision_arn)
        container_def = definition.container_definitions[0]
        subnet = self.ec2.describe_subnets(SubnetIds=[spec.subnet])["Subnets"][0]
        eni_details = self.place_eni(task, subnet["CidrBlock"])
        subnet_az = subnet["AvailabilityZone"]
        stopped = spec.stopped is not None

        task.created_at = spec.created
        task.availability_zone = subnet_az
        task.cpu = definition.cpu
        task.memory = definition.memory
        task.platform_version = "1.4.0"
        task.platform_family = "Linux"
        task.connectivity = "CONNECTED"
        task.connectivity_at = spec.created + timedelta(seconds=4)
        task.health_status = "UNKNOWN"
        task.version = 4 if stopped else 2
        task.enable_execute_command = False
        task.ephemeral_storage = {"sizeInGiB": 20}
        task.pull_started_at = spec.created + timedelta(seconds=6)
        if spec.started is not None:
            task.pull_stopped_at = spec.started - timedelta(seconds=2)
            task.started_at = spec.started
        elif spec.stop_code == "TaskFailedToStart" and spec.stopped is not None:
            task.pull_stopped_at = spec.stopped - timedelta(seconds=3)
        if spec.stopped is not None:
            task.last_status = "STOPPED"
            task.desired_status = "STOPPED"
            task.stop_code = spec.stop_code
            task.stopped_reason = spec.stopped_reason
            task.stopping_at = spec.stopped - timedelta(seconds=5)
            task.execution_stopped_at = spec.stopped - timedelta(seconds=2)
            task.stopped_at = spec.stopped
            for attachment in task.attachments:
                attachment["status"] = "DELETED"
        else:
            task.last_status = "RUNNING"
            task.desired_status = "RUNNING"

        container: dict[str, Any] = {
            "containerArn": f"arn:aws:ecs:{self.region}:{self.account}:container/{CLUSTER}/{task.id}/"
            + _uuid("container", task.id),
            "taskArn": task.task_arn,
            "name": container_def["name"],
            "image": container_def["image"],
            "lastStatus": "STOPPED" if stopped else "RUNNING",
            "healthStatus": "UNKNOWN",
            "cpu": "0",
            "networkInterfaces": [
                {
                    "attachmentId": task.attachments[0]["id"],
                    "privateIpv4Address": eni_details["privateIPv4Address"],
                }
            ],
        }
        if spec.image_digest:
            container["imageDigest"] = spec.image_digest
        if spec.started is not None:
            container["runtimeId"] = f"{task.id}-{_hex_id('runtime', task.id, length=10)}"
        if spec.exit_code is not None:
            container["exitCode"] = spec.exit_code
        if spec.container_reason:
            container["reason"] = spec.container_reason
        task.containers = [container]
        task.overrides = {
            "containerOverrides": [{"name": container_def["name"]}],
            "inferenceAcceleratorOverrides": [],
        }

        if spec.logs and spec.started is not None:
            self.write_logs(spec.service, container_def["name"], task.id, spec.started, spec.logs)
        return str(task.id)

    def place_eni(self, task: Any, cidr: str) -> dict[str, str]:
        """moto picks the task ENI's IP anywhere in 10/8: move it into the task's subnet."""
        network = ipaddress.ip_network(cidr)
        ip = str(network.network_address + 10 + self._task_counter)
        dns = f"ip-{ip.replace('.', '-')}.ec2.internal"
        details = {d["name"]: d for d in task.attachments[0]["details"]}
        details["privateIPv4Address"]["value"] = ip
        details["privateDnsName"]["value"] = dns
        eni = get_backend("ec2")[self.account][self.region].get_network_interface(
            details["networkInterfaceId"]["value"]
        )
        eni.private_ip_address = ip
        eni.private_ip_addresses = [{"Primary": True, "PrivateIpAddress": ip, "PrivateDnsName": dns}]
        eni.private_dns_name = dns
        eni.description = f"arn:aws:ecs:{self.region}:{self.account}:attachment/{task.attachments[0]['id']}"
        return {name: d["value"] for name, d in details.items()}

    def write_logs(
        self, service: str, container: str, task_id: str, started: datetime, lines: Sequence[LogLine]
    ) -> None:
        group, stream = f"/ecs/{service}", f"ecs/{container}/{task_id}"
        self.logs.create_log_stream(logGroupName=group, logStreamName=stream)
        events = [
            {"timestamp": _ms(started + timedelta(seconds=offset)), "message": message}
            for offset, message in lines
        ]
        self.logs.put_log_events(logGroupName=group, logStreamName=stream, logEvents=events)

    def record(self, service: str, task_id: str, stopped: bool) -> None:
        target = self.sandbox.stopped_tasks if stopped else self.sandbox.running_tasks
        target.setdefault(service, []).append(task_id)

    # -- the services --------------------------------------------------------------------------------

    def checkout(self) -> None:
        name, tag = "checkout", "v1.12.3"
        rev = self.register(
            name,
            tag,
            cpu="256",
            memory="512",
            port=3000,
            environment={"NODE_ENV": "production", "CART_CACHE_TTL": "0", "PORT": "3000"},
        )
        subnets = [self.ids["subnet_private_a"], self.ids["subnet_private_b"]]
        svc = self.create_service(name, rev, subnets=subnets, security_group=self.ids["sg_app"], desired=2)
        dep = self.deployment_id(name, 1)
        events: list[tuple[datetime, str]] = [
            (self.ago(days=3), f"(service {name}) has reached a steady state.")
        ]
        reason = "OutOfMemoryError: Container killed due to memory usage"
        metrics: list[dict[str, Any]] = []
        lifetime = 270.0  # seconds from start to the kill
        for i in range(10):
            started = self.ago(minutes=58) + timedelta(minutes=5 * i, seconds=17 * (i % 3))
            stopped_at = started + timedelta(seconds=lifetime)
            lines: list[LogLine] = [
                (0.4, f"checkout-service {tag} starting (node v20.12.2, pid 1)"),
                (1.9, "connected to redis at checkout-cache.internal:6379"),
                (2.3, "listening on :3000"),
            ]
            for minute in range(1, 5):
                entries = 12_000 + 9_000 * minute
                lines.append(
                    (60.0 * minute, f"processed {180 * minute} orders; cart cache holds {entries} entries")
                )
            lines.append(
                (lifetime - 8, f"warn: cart cache holds 48210 entries (~{402 + i} MB), eviction disabled")
            )
            task_id = self.launch(
                _Launch(
                    service=name,
                    revision_arn=rev,
                    subnet=subnets[i % 2],
                    security_group=self.ids["sg_app"],
                    deployment_id=dep,
                    created=started - timedelta(seconds=42),
                    started=started,
                    stopped=stopped_at,
                    stop_code="EssentialContainerExited",
                    stopped_reason=reason,
                    exit_code=137,
                    container_reason=reason,
                    logs=lines,
                    image_digest=self.digests[f"{name}:{tag}"],
                )
            )
            self.record(name, task_id, stopped=True)
            events.append(
                (started - timedelta(seconds=44), f"(service {name}) has started 1 tasks: (task {task_id}).")
            )
            # Container Insights: memory climbing to the 512 MiB hard limit before each kill.
            for minute in range(1, 6):
                at = min(started + timedelta(seconds=60 * minute), stopped_at - timedelta(seconds=5))
                used = 512.0 if minute == 5 else round(150 + (512 - 150) * (60 * minute / lifetime), 1)
                metrics.extend(self.memory_datums(name, task_id, at, min(used, 512.0)))
        for i in range(2):
            started = self.ago(minutes=6 - 3 * i)
            task_id = self.launch(
                _Launch(
                    service=name,
                    revision_arn=rev,
                    subnet=subnets[i % 2],
                    security_group=self.ids["sg_app"],
                    deployment_id=dep,
                    created=started - timedelta(seconds=40),
                    started=started,
                    stopped=None,
                    logs=[
                        (0.4, f"checkout-service {tag} starting (node v20.12.2, pid 1)"),
                        (2.3, "listening on :3000"),
                    ],
                    image_digest=self.digests[f"{name}:{tag}"],
                )
            )
            self.record(name, task_id, stopped=False)
            events.append(
                (started - timedelta(seconds=44), f"(service {name}) has started 1 tasks: (task {task_id}).")
            )
            for minute in range(1, 6 - 3 * i):
                used = round(150 + (512 - 150) * (60 * minute / lifetime), 1)
                metrics.extend(self.memory_datums(name, task_id, started + timedelta(minutes=minute), used))
        for start in range(0, len(metrics), 500):
            self.cloudwatch.put_metric_data(
                Namespace="ECS/ContainerInsights", MetricData=metrics[start : start + 500]
            )
        self.finish_service(
            svc,
            deployments=[
                self.deployment(
                    svc,
                    rev,
                    status="PRIMARY",
                    rollout="COMPLETED",
                    created=self.ago(days=3, hours=1),
                    updated=self.ago(minutes=3),
                    desired=2,
                    running=2,
                    failed=10,
                )
            ],
            events=events,
            desired=2,
            running=2,
            revision_arn=rev,
        )
        self.sandbox.expectations[name] = Expectation(
            service=name,
            category="oom",
            facts=("OutOfMemoryError", "512"),
            conclusions=("1024",),  # the next valid Fargate memory size
            story="10 tasks killed at the 512 MiB hard limit; Container Insights shows memory climbing to it",
        )

    def memory_datums(self, service: str, task_id: str, at: datetime, used: float) -> list[dict[str, Any]]:
        service_dims = [{"Name": "ClusterName", "Value": CLUSTER}, {"Name": "ServiceName", "Value": service}]
        task_dims = [*service_dims, {"Name": "TaskId", "Value": task_id}]
        datums: list[dict[str, Any]] = []
        for dims in (service_dims, task_dims):
            datums.append(
                {
                    "MetricName": "MemoryUtilized",
                    "Dimensions": dims,
                    "Timestamp": at,
                    "Value": used,
                    "Unit": "Megabytes",
                }
            )
            datums.append(
                {
                    "MetricName": "MemoryReserved",
                    "Dimensions": dims,
                    "Timestamp": at,
                    "Value": 512.0,
                    "Unit": "Megabytes",
                }
            )
        return datums

    def web(self) -> None:
        name, tag = "web", "3.2.1"
        rev = self.register(
            name,
            tag,
            cpu="512",
            memory="1024",
            port=8080,
            environment={"SPRING_PROFILES_ACTIVE": "prod", "SERVER_PORT": "8080", "JAVA_OPTS": "-Xmx768m"},
        )
        subnets = [self.ids["subnet_private_a"], self.ids["subnet_private_b"]]
        tg = self.ids["tg_web"]
        svc = self.create_service(
            name, rev, subnets=subnets, security_group=self.ids["sg_web"], desired=2, target_group=(tg, 8080)
        )
        svc.health_check_grace_period_seconds = 10
        dep = self.deployment_id(name, 1)
        events: list[tuple[datetime, str]] = []
        reason = f"Task failed ELB health checks in (target-group {tg})"
        for i in range(6):
            started = self.ago(minutes=40) + timedelta(minutes=6 * i, seconds=11 * i)
            stopped_at = started + timedelta(seconds=101)
            task_id = self.launch(
                _Launch(
                    service=name,
                    revision_arn=rev,
                    subnet=subnets[i % 2],
                    security_group=self.ids["sg_web"],
                    deployment_id=dep,
                    created=started - timedelta(seconds=48),
                    started=started,
                    stopped=stopped_at,
                    stop_code="ServiceSchedulerInitiated",
                    stopped_reason=reason,
                    exit_code=143,
                    logs=[
                        (1.2, f"Starting WebApplication v{tag} using Java 17.0.10 with PID 1"),
                        (1.3, 'The following 1 profile is active: "prod"'),
                        (12.6, "Bootstrapping Spring Data JPA repositories in DEFAULT mode."),
                        (31.4, "Tomcat initialized with port 8080 (http)"),
                        (58.2, "HikariPool-1 - Starting..."),
                        (61.9, "HikariPool-1 - Start completed."),
                        (71.5, "Initialized JPA EntityManagerFactory for persistence unit 'default'"),
                        (93.1, "Tomcat started on port 8080 (http) with context path ''"),
                        (94.8, "Started WebApplication in 94.8 seconds (process running for 96.3)"),
                        (97.2, "Commencing graceful shutdown. Waiting for active requests to complete"),
                        (97.6, "Graceful shutdown complete"),
                    ],
                    image_digest=self.digests[f"{name}:{tag}"],
                )
            )
            self.record(name, task_id, stopped=True)
            events += [
                (started - timedelta(seconds=50), f"(service {name}) has started 1 tasks: (task {task_id})."),
                (
                    started + timedelta(seconds=91),
                    f"(service {name}) (task {task_id}) (port 8080) is unhealthy in (target-group {tg}) "
                    "due to (reason Request timed out).",
                ),
                (
                    started + timedelta(seconds=93),
                    f"(service {name}) has stopped 1 running tasks: (task {task_id}).",
                ),
                (
                    started + timedelta(seconds=94),
                    f"(service {name}) deregistered 1 targets in (target-group {tg})",
                ),
            ]
        self.finish_service(
            svc,
            deployments=[
                self.deployment(
                    svc,
                    rev,
                    status="PRIMARY",
                    rollout="IN_PROGRESS",
                    created=self.ago(minutes=42),
                    updated=self.ago(minutes=2),
                    desired=2,
                    running=0,
                    failed=6,
                )
            ],
            events=events,
            desired=2,
            running=0,
            revision_arn=rev,
        )
        self.sandbox.expectations[name] = Expectation(
            service=name,
            category="elb_health_check",
            facts=("8080", "/healthz", "web-tg"),
            story="the app needs ~95 s to start; grace period 10 s, health checks every 30 s, 3 to fail",
        )

    def _failing_starts(
        self,
        name: str,
        rev: str,
        *,
        subnets: list[str],
        security_group: str,
        count: int,
        first: datetime,
        every: timedelta,
        stopped_reason: str,
        container_reason: str | None,
        deployment_id: str,
        events: list[tuple[datetime, str]],
    ) -> None:
        for i in range(count):
            created = first + every * i
            task_id = self.launch(
                _Launch(
                    service=name,
                    revision_arn=rev,
                    subnet=subnets[i % len(subnets)],
                    security_group=security_group,
                    deployment_id=deployment_id,
                    created=created,
                    started=None,
                    stopped=created + timedelta(seconds=78),
                    stop_code="TaskFailedToStart",
                    stopped_reason=stopped_reason,
                    container_reason=container_reason,
                )
            )
            self.record(name, task_id, stopped=True)
            events.append(
                (created - timedelta(seconds=2), f"(service {name}) has started 1 tasks: (task {task_id}).")
            )

    def api(self) -> None:
        name = "api"
        env = {"LOG_LEVEL": "info", "PORT": "8000"}
        rev1 = self.register(name, "v2.3.1", port=8000, environment=env)
        rev2 = self.register(name, "v2.4.0", port=8000, environment=env)
        subnets = [self.ids["subnet_private_a"], self.ids["subnet_private_b"]]
        svc = self.create_service(name, rev1, subnets=subnets, security_group=self.ids["sg_app"], desired=2)
        events: list[tuple[datetime, str]] = [
            (self.ago(days=2), f"(service {name}) has reached a steady state."),
        ]
        for i in range(2):
            started = self.ago(days=2, minutes=5 - i)
            task_id = self.launch(
                _Launch(
                    service=name,
                    revision_arn=rev1,
                    subnet=subnets[i],
                    security_group=self.ids["sg_app"],
                    deployment_id=self.deployment_id(name, 1),
                    created=started - timedelta(seconds=40),
                    started=started,
                    stopped=None,
                    image_digest=self.digests["api:v2.3.1"],
                    logs=[(0.5, "api v2.3.1 listening on 0.0.0.0:8000")],
                )
            )
            self.record(name, task_id, stopped=False)
        image = f"{self.registry}/{name}:v2.4.0"
        reason = (
            "CannotPullContainerError: Error response from daemon: "
            f"manifest for {image} not found: manifest unknown: Requested image not found"
        )
        self._failing_starts(
            name,
            rev2,
            subnets=subnets,
            security_group=self.ids["sg_app"],
            count=4,
            first=self.ago(minutes=35),
            every=timedelta(minutes=8),
            stopped_reason=reason,
            container_reason=reason,
            deployment_id=self.deployment_id(name, 2),
            events=events,
        )
        self.finish_service(
            svc,
            deployments=[
                self.deployment(
                    svc,
                    rev2,
                    status="PRIMARY",
                    rollout="IN_PROGRESS",
                    created=self.ago(minutes=36),
                    updated=self.ago(minutes=10),
                    desired=2,
                    running=0,
                    failed=4,
                ),
                self.deployment(
                    svc,
                    rev1,
                    status="ACTIVE",
                    rollout="COMPLETED",
                    created=self.ago(days=2, minutes=8),
                    updated=self.ago(days=2),
                    desired=2,
                    running=2,
                ),
            ],
            events=events,
            desired=2,
            running=2,
            revision_arn=rev2,
        )
        self.sandbox.expectations[name] = Expectation(
            service=name,
            category="image_not_found",
            facts=("v2.4.0", "v2.3.1"),
            story="revision 2 points at api:v2.4.0, never pushed; the repository holds v2.3.0 and v2.3.1",
        )

    def ingest(self) -> None:
        name, tag = "ingest", "v0.9.2"
        rev = self.register(name, tag, environment={"QUEUE_NAME": "ingest-events", "BATCH_SIZE": "100"})
        isolated = self.ids["subnet_isolated_a"]
        svc = self.create_service(
            name,
            rev,
            subnets=[isolated],
            security_group=self.ids["sg_app"],
            desired=1,
            assign_public_ip="DISABLED",
        )
        events: list[tuple[datetime, str]] = []
        image = f"{self.registry}/{name}:{tag}"
        reason = (
            "CannotPullContainerError: pull image manifest has been retried 5 time(s): failed to resolve ref "
            f'{image}: failed to do request: Head "https://{self.registry}/v2/{name}/manifests/{tag}": '
            "dial tcp 52.94.224.86:443: i/o timeout"
        )
        self._failing_starts(
            name,
            rev,
            subnets=[isolated],
            security_group=self.ids["sg_app"],
            count=4,
            first=self.ago(minutes=50),
            every=timedelta(minutes=11),
            stopped_reason=reason,
            container_reason=reason,
            deployment_id=self.deployment_id(name, 1),
            events=events,
        )
        self.finish_service(
            svc,
            deployments=[
                self.deployment(
                    svc,
                    rev,
                    status="PRIMARY",
                    rollout="IN_PROGRESS",
                    created=self.ago(minutes=51),
                    updated=self.ago(minutes=6),
                    desired=1,
                    running=0,
                    failed=4,
                )
            ],
            events=events,
            desired=1,
            running=0,
            revision_arn=rev,
        )
        self.sandbox.expectations[name] = Expectation(
            service=name,
            category="image_pull_network",
            facts=(isolated,),
            conclusions=("ecr.dkr",),  # the endpoint that is missing
            story="runs in an isolated subnet (only the local route, no NAT or internet gateway, no VPC "
            "endpoints) with assignPublicIp DISABLED, so it cannot reach ECR",
        )

    def billing(self) -> None:
        name, tag = "billing", "2024.06.2"
        rev = self.register(
            name,
            tag,
            environment={"STRIPE_API_BASE": "https://api.stripe.com", "DB_HOST": "billing-db.internal"},
            secrets={
                "STRIPE_API_KEY": self.ids["secret_missing"],
                "DB_PASSWORD": self.ids["secret_existing"],
            },
        )
        subnets = [self.ids["subnet_private_a"], self.ids["subnet_private_b"]]
        svc = self.create_service(name, rev, subnets=subnets, security_group=self.ids["sg_app"], desired=1)
        events: list[tuple[datetime, str]] = []
        reason = (
            "ResourceInitializationError: unable to pull secrets or registry auth: execution resource "
            "retrieval failed: unable to retrieve secret from asm: service call has been retried 1 time(s): "
            f"failed to fetch secret {self.ids['secret_missing']} from secrets manager: "
            "ResourceNotFoundException: Secrets Manager can't find the specified secret."
        )
        self._failing_starts(
            name,
            rev,
            subnets=subnets,
            security_group=self.ids["sg_app"],
            count=3,
            first=self.ago(minutes=30),
            every=timedelta(minutes=9),
            stopped_reason=reason,
            container_reason=None,
            deployment_id=self.deployment_id(name, 1),
            events=events,
        )
        self.finish_service(
            svc,
            deployments=[
                self.deployment(
                    svc,
                    rev,
                    status="PRIMARY",
                    rollout="IN_PROGRESS",
                    created=self.ago(minutes=31),
                    updated=self.ago(minutes=12),
                    desired=1,
                    running=0,
                    failed=3,
                )
            ],
            events=events,
            desired=1,
            running=0,
            revision_arn=rev,
        )
        self.sandbox.expectations[name] = Expectation(
            service=name,
            category="secrets_retrieval",
            facts=(self.ids["secret_missing"],),
            story="the task definition's STRIPE_API_KEY references billing/stripe-key-AbCdEf, which does not "
            "exist (billing/db-password does)",
        )

    def orders(self) -> None:
        name, tag = "orders", "4.2.0"
        rev = self.register(
            name,
            tag,
            port=8000,
            environment={
                "DATABASE_URL": "postgresql://orders_app:hunter2-Zq8vR4tLm9@orders-db.internal:5432/orders",
                "WORKERS": "4",
            },
        )
        subnets = [self.ids["subnet_private_a"], self.ids["subnet_private_b"]]
        svc = self.create_service(name, rev, subnets=subnets, security_group=self.ids["sg_app"], desired=2)
        events: list[tuple[datetime, str]] = [
            (self.ago(days=1), f"(service {name}) has reached a steady state.")
        ]
        for i in range(5):
            started = self.ago(minutes=45) + timedelta(minutes=9 * i, seconds=5 * i)
            task_id = self.launch(
                _Launch(
                    service=name,
                    revision_arn=rev,
                    subnet=subnets[i % 2],
                    security_group=self.ids["sg_app"],
                    deployment_id=self.deployment_id(name, 1),
                    created=started - timedelta(seconds=39),
                    started=started,
                    stopped=started + timedelta(seconds=9),
                    stop_code="EssentialContainerExited",
                    stopped_reason="Essential container in task exited",
                    exit_code=1,
                    image_digest=self.digests[f"{name}:{tag}"],
                    logs=[
                        (0.3, f"INFO orders-service {tag} starting (pid 1, 4 workers)"),
                        (0.4, "INFO loading configuration from environment"),
                        (
                            0.6,
                            "INFO connecting to database postgresql://orders_app:hunter2-Zq8vR4tLm9"
                            "@orders-db.internal:5432/orders",
                        ),
                        (5.7, "Traceback (most recent call last):"),
                        (5.7, '  File "/app/orders/db.py", line 41, in connect'),
                        (5.7, "    return psycopg2.connect(dsn, connect_timeout=5)"),
                        (
                            5.8,
                            "psycopg2.OperationalError: could not connect to server: Connection refused. "
                            'Is the server running on host "orders-db.internal" (10.0.12.40) and accepting '
                            "TCP/IP connections on port 5432?",
                        ),
                    ],
                )
            )
            self.record(name, task_id, stopped=True)
            events.append(
                (started - timedelta(seconds=41), f"(service {name}) has started 1 tasks: (task {task_id}).")
            )
        self.finish_service(
            svc,
            deployments=[
                self.deployment(
                    svc,
                    rev,
                    status="PRIMARY",
                    rollout="COMPLETED",
                    created=self.ago(days=6),
                    updated=self.ago(minutes=7),
                    desired=2,
                    running=0,
                    failed=5,
                )
            ],
            events=events,
            desired=2,
            running=0,
            revision_arn=rev,
        )
        self.sandbox.expectations[name] = Expectation(
            service=name,
            category="app_error",
            facts=("psycopg2.OperationalError", "Connection refused", "5432"),
            absent=("hunter2-Zq8vR4tLm9",),
            story="exit 1 a few seconds after start; the log tail says the database refused the connection",
        )

    def search(self) -> None:
        name = "search"
        rev1 = self.register(
            name,
            "1.8.0",
            cpu="512",
            memory="1024",
            port=8000,
            command=["gunicorn", "search.app:app", "--bind", "0.0.0.0:8000", "--workers", "3"],
            environment={"ELASTICSEARCH_URL": "https://search-es.internal:9200", "INDEX_NAME": "products"},
        )
        rev2 = self.register(
            name,
            "1.9.0",
            cpu="512",
            memory="1024",
            port=8000,
            command=["python", "-m", "search.server", "--port", "8000"],
            environment={"INDEX_NAME": "products"},
        )
        subnets = [self.ids["subnet_private_a"], self.ids["subnet_private_b"]]
        svc = self.create_service(name, rev1, subnets=subnets, security_group=self.ids["sg_app"], desired=2)
        rollout_at = self.ago(minutes=25)
        events: list[tuple[datetime, str]] = [
            (self.ago(days=4), f"(service {name}) has reached a steady state."),
            (self.ago(hours=18), f"(service {name}) has reached a steady state."),
            (self.ago(hours=12), f"(service {name}) has reached a steady state."),
            (self.ago(hours=6), f"(service {name}) has reached a steady state."),
            (self.ago(minutes=40), f"(service {name}) has reached a steady state."),
        ]
        for i in range(2):
            started = self.ago(days=4, minutes=10 - i)
            task_id = self.launch(
                _Launch(
                    service=name,
                    revision_arn=rev1,
                    subnet=subnets[i],
                    security_group=self.ids["sg_app"],
                    deployment_id=self.deployment_id(name, 1),
                    created=started - timedelta(seconds=45),
                    started=started,
                    stopped=None,
                    image_digest=self.digests["search:1.8.0"],
                    logs=[
                        (0.5, "[INFO] Starting gunicorn 21.2.0"),
                        (0.6, "[INFO] Listening at: http://0.0.0.0:8000 (1)"),
                        (1.9, "search 1.8.0 connected to https://search-es.internal:9200, index products"),
                    ],
                )
            )
            self.record(name, task_id, stopped=False)
        for i in range(5):
            started = rollout_at + timedelta(minutes=1 + 4 * i, seconds=3 * i)
            task_id = self.launch(
                _Launch(
                    service=name,
                    revision_arn=rev2,
                    subnet=subnets[i % 2],
                    security_group=self.ids["sg_app"],
                    deployment_id=self.deployment_id(name, 2),
                    created=started - timedelta(seconds=41),
                    started=started,
                    stopped=started + timedelta(seconds=6),
                    stop_code="EssentialContainerExited",
                    stopped_reason="Essential container in task exited",
                    exit_code=1,
                    image_digest=self.digests["search:1.9.0"],
                    logs=[
                        (0.4, "search-server 1.9.0 starting on port 8000"),
                        (0.5, "loading settings from environment"),
                        (0.6, "Traceback (most recent call last):"),
                        (0.6, '  File "/app/search/settings.py", line 12, in <module>'),
                        (0.6, '    ES_URL = os.environ["ELASTICSEARCH_URL"]'),
                        (0.6, "KeyError: 'ELASTICSEARCH_URL'"),
                    ],
                )
            )
            self.record(name, task_id, stopped=True)
            events.append(
                (started - timedelta(seconds=43), f"(service {name}) has started 1 tasks: (task {task_id}).")
            )
        self.finish_service(
            svc,
            deployments=[
                self.deployment(
                    svc,
                    rev2,
                    status="PRIMARY",
                    rollout="IN_PROGRESS",
                    created=rollout_at,
                    updated=self.ago(minutes=4),
                    desired=2,
                    running=0,
                    failed=5,
                ),
                self.deployment(
                    svc,
                    rev1,
                    status="ACTIVE",
                    rollout="COMPLETED",
                    created=self.ago(days=4, minutes=12),
                    updated=self.ago(days=4),
                    desired=2,
                    running=2,
                ),
            ],
            events=events,
            desired=2,
            running=2,
            revision_arn=rev2,
        )
        self.ids["search_rev1"] = rev1
        self.ids["search_rev2"] = rev2
        self.sandbox.expectations[name] = Expectation(
            service=name,
            category="app_error",
            facts=("ELASTICSEARCH_URL", "1.9.0", "1.8.0"),
            story="revision 2 (search:1.9.0, new command, ELASTICSEARCH_URL removed) exits 1 within seconds; "
            "revision 1 (search:1.8.0) was steady",
        )

    def frontend(self) -> None:
        name, tag = "frontend", "1.4.1"
        rev = self.register(name, tag, port=80, environment={"API_BASE": "/app"})
        subnets = [self.ids["subnet_private_a"], self.ids["subnet_private_b"]]
        tg = self.ids["tg_frontend"]
        svc = self.create_service(
            name,
            rev,
            subnets=subnets,
            security_group=self.ids["sg_frontend"],
            desired=2,
            target_group=(tg, 80),
        )
        svc.health_check_grace_period_seconds = 60
        svc.deployment_configuration = {
            "deploymentCircuitBreaker": {"enable": True, "rollback": True},
            "maximumPercent": 200,
            "minimumHealthyPercent": 100,
        }
        events: list[tuple[datetime, str]] = []
        targets: list[dict[str, Any]] = []
        for i in range(2):
            started = self.ago(days=1, minutes=20 - 2 * i)
            task_id = self.launch(
                _Launch(
                    service=name,
                    revision_arn=rev,
                    subnet=subnets[i],
                    security_group=self.ids["sg_frontend"],
                    deployment_id=self.deployment_id(name, 1),
                    created=started - timedelta(seconds=35),
                    started=started,
                    stopped=None,
                    image_digest=self.digests[f"{name}:{tag}"],
                    logs=[
                        (0.2, "nginx/1.25.4 start worker processes"),
                        (30.0, '10.0.0.87 - - "GET / HTTP/1.1" 200 1532 "-" "ELB-HealthChecker/2.0"'),
                    ],
                )
            )
            self.record(name, task_id, stopped=False)
            events.append(
                (started - timedelta(seconds=37), f"(service {name}) has started 1 tasks: (task {task_id}).")
            )
            ip = self.backend.tasks[CLUSTER][self._arn(task_id)].containers[0]["networkInterfaces"][0][
                "privateIpv4Address"
            ]
            targets.append({"Id": ip, "Port": 80})
        self.elbv2.register_targets(TargetGroupArn=tg, Targets=targets)
        events += [
            (self.ago(days=1, minutes=15), f"(service {name}) registered 2 targets in (target-group {tg})"),
            (self.ago(days=1, minutes=12), f"(service {name}) has reached a steady state."),
            (self.ago(hours=18), f"(service {name}) has reached a steady state."),
            (self.ago(hours=12), f"(service {name}) has reached a steady state."),
            (self.ago(hours=6), f"(service {name}) has reached a steady state."),
            (self.ago(minutes=12), f"(service {name}) has reached a steady state."),
        ]
        self.finish_service(
            svc,
            deployments=[
                self.deployment(
                    svc,
                    rev,
                    status="PRIMARY",
                    rollout="COMPLETED",
                    created=self.ago(days=1, minutes=22),
                    updated=self.ago(days=1, minutes=12),
                    desired=2,
                    running=2,
                )
            ],
            events=events,
            desired=2,
            running=2,
            revision_arn=rev,
        )
        self.sandbox.expectations[name] = Expectation(
            service=name, category=None, story="healthy: two running tasks, steady state, no stopped tasks"
        )

    def _arn(self, task_id: str) -> str:
        return f"arn:aws:ecs:{self.region}:{self.account}:task/{CLUSTER}/{task_id}"
