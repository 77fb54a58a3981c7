"""The evidence a live check can ask for, and the read-only IAM actions that fetch it.

A `Need` is pure data: the collector for each one lives in `diagnosis/collect/sources.py` (keyed by the
need's name), so a check declares what it reads without knowing how it is fetched, and the collector
plans its rounds from the union of the needs of the candidates' checks.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Need:
    name: str
    what: str  # said in gaps and docs: "the failed container's log"
    iam_actions: tuple[str, ...]


# Read in rounds 1–2 for every diagnosis (no extra call): the service and the task definitions.
SERVICE = Need("service", "the service's settings, events and deployments", ("ecs:DescribeServices",))
TASK_DEFINITIONS = Need(
    "task_definitions", "the task definitions the tasks ran", ("ecs:DescribeTaskDefinition",)
)
# Read in round 3 (and 4) for the candidates that need them.
FAMILY_REVISIONS = Need(
    "family_revisions", "the task definition family's active revisions", ("ecs:ListTaskDefinitions",)
)
PREVIOUS_REVISION = Need(
    "previous_revision", "the revision that ran before the failing one", ("ecs:DescribeTaskDefinition",)
)
LOG_TAIL = Need("log_tail", "the failed container's last log lines", ("logs:GetLogEvents",))
LOG_HEAD = Need("log_head", "the failed container's first log lines (its start time)", ("logs:GetLogEvents",))
MEMORY_METRICS = Need("memory_metrics", "Container Insights memory", ("cloudwatch:GetMetricData",))
TARGET_GROUPS = Need(
    "target_groups",
    "the service's target groups and their targets' health",
    ("elasticloadbalancing:DescribeTargetGroups", "elasticloadbalancing:DescribeTargetHealth"),
)
LOAD_BALANCERS = Need(
    "load_balancers", "the load balancers' security groups", ("elasticloadbalancing:DescribeLoadBalancers",)
)
SECURITY_GROUPS = Need("security_groups", "the task's security groups", ("ec2:DescribeSecurityGroups",))
SUBNETS = Need("subnets", "the task's subnets", ("ec2:DescribeSubnets",))
ROUTES = Need(
    "routes",
    "the VPC's route tables, endpoints and network ACLs",
    ("ec2:DescribeRouteTables", "ec2:DescribeVpcEndpoints", "ec2:DescribeNetworkAcls"),
)
ECR_IMAGES = Need("ecr_images", "the image tags in ECR", ("ecr:DescribeImages",))
SECRETS = Need(
    "secrets",
    "the referenced secrets and parameters (metadata only, never values)",
    ("secretsmanager:DescribeSecret", "ssm:DescribeParameters"),
)
LOG_GROUPS = Need("log_groups", "the awslogs log group", ("logs:DescribeLogGroups",))
ROLE_SIMULATION = Need(
    "role_simulation",
    "the execution role's permissions on the task's own resources (simulated)",
    ("iam:SimulatePrincipalPolicy",),
)
KMS_KEYS = Need(
    "kms_keys",
    "the KMS keys that encrypt the task's secrets (customer-managed or AWS managed)",
    ("kms:DescribeKey",),
)
CLOUDTRAIL = Need("cloudtrail", "CloudTrail StopTask events", ("cloudtrail:LookupEvents",))
# The facts an expert states (diagnosis/collect/facts.py).
CONTAINER_INSTANCE_ARNS = Need(
    "container_instance_arns", "the cluster's container instances (list)", ("ecs:ListContainerInstances",)
)
CONTAINER_INSTANCES = Need(
    "container_instances",
    "the cluster's container instances: registered and remaining cpu/memory, agent",
    ("ecs:DescribeContainerInstances",),
)
CAPACITY_PROVIDERS = Need(
    "capacity_providers",
    "the service's EC2 capacity providers (their Auto Scaling group, managed scaling)",
    ("ecs:DescribeCapacityProviders",),
)
CAPACITY_GROUPS = Need(
    "capacity_groups",
    "the capacity providers' Auto Scaling groups: minimum, maximum and desired size, instances",
    ("autoscaling:DescribeAutoScalingGroups",),
)
IMAGE_MANIFESTS = Need("image_manifests", "the image's manifest (list)", ("ecr:BatchGetImage",))
EFS = Need(
    "efs",
    "the EFS file system, its mount targets and access point",
    (
        "elasticfilesystem:DescribeFileSystems",
        "elasticfilesystem:DescribeMountTargets",
        "elasticfilesystem:DescribeAccessPoints",
    ),
)
EFS_SECURITY = Need(
    "efs_security",
    "the mount targets' security groups and their rules",
    ("elasticfilesystem:DescribeMountTargetSecurityGroups", "ec2:DescribeSecurityGroups"),
)
# ECS Exec readiness (`exec-check`, diagnosis/checks/exec.py).
CLUSTER = Need(
    "cluster", "the cluster's ECS Exec configuration (KMS key, logging)", ("ecs:DescribeClusters",)
)
EXEC_SIMULATION = Need(
    "exec_simulation",
    "the task role's ECS Exec permissions (simulated): ssmmessages, and KMS and logging when configured",
    ("iam:SimulatePrincipalPolicy",),
)
TASK_INSTANCES = Need(
    "task_instances",
    "the container instances the running tasks are on (ECS agent version)",
    ("ecs:DescribeContainerInstances",),
)
