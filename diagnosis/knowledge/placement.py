"""Placement failures: the scheduler found nowhere to run the task."""

from __future__ import annotations

from diagnosis.knowledge.base import DEV_GUIDE, SERVICE_EVENTS, CategoryInfo, Step

CATEGORIES = (
    CategoryInfo(
        "placement_insufficient_resources",
        "placement",
        True,
        "No container instance has enough {resource}",
        "On the EC2 launch type a task is placed only on a container instance with enough unreserved CPU "
        "units, memory, GPUs and free host ports for it. The cluster is full (or fragmented), the task asks "
        "for more than any instance type offers, or a static hostPort is already taken by another task on "
        "each instance (use dynamic ports with hostPort 0).",
        (
            Step(
                "See the free CPU and memory of each container instance.",
                "aws ecs describe-container-instances --cluster {cluster} --container-instances "
                "$(aws ecs list-container-instances --cluster {cluster} --query containerInstanceArns "
                "--output text) --query 'containerInstances[].remainingResources'",
            ),
            Step(
                "Scale out the Auto Scaling group (or use a capacity provider with managed scaling), or "
                "lower the task's cpu/memory reservation."
            ),
            Step("For port conflicts, use dynamic host ports (hostPort 0) with an ALB."),
        ),
        (SERVICE_EVENTS, DEV_GUIDE + "capacity-cluster-auto.html"),
    ),
    CategoryInfo(
        "placement_constraint_or_no_instances",
        "placement",
        True,
        "No container instance can take the task",
        "The scheduler found no container instance for the task: the cluster has none registered (the "
        "Auto Scaling group is at zero, or instances failed to join: wrong ECS_CLUSTER in user data, no "
        "route to the ECS endpoint, instance role missing), the ECS agent on them is disconnected, or the "
        "placement constraints / required attributes exclude every instance.",
        (
            Step(
                "List the container instances registered in the cluster and their agent status.",
                "aws ecs list-container-instances --cluster {cluster} --status ACTIVE",
            ),
            Step(
                "Check the Auto Scaling group's desired capacity and that instances join the cluster "
                "(ECS_CLUSTER in /etc/ecs/ecs.config, the instance role, network access to ECS)."
            ),
            Step(
                "Review the service's placement constraints and the attributes they require.",
                "aws ecs describe-services --cluster {cluster} --services {service} --query "
                "'services[0].placementConstraints'",
            ),
        ),
        (SERVICE_EVENTS, DEV_GUIDE + "task-placement-constraints.html"),
    ),
    CategoryInfo(
        "fargate_capacity_or_quota",
        "placement",
        True,
        "Fargate capacity or account quota reached",
        "Fargate refused to start the task: the account reached its service quota for concurrent Fargate "
        "vCPUs (On-Demand or Spot) or tasks, or AWS had no Fargate capacity in that Availability Zone at "
        "that moment (mostly Fargate Spot).",
        (
            Step(
                "Compare the running vCPUs with the quota, and request an increase.",
                "aws service-quotas get-service-quota --service-code fargate --quota-code L-3032A538",
            ),
            Step(
                "Spread the service over more subnets/AZs, and mix FARGATE with FARGATE_SPOT in the capacity "
                "provider strategy."
            ),
        ),
        (DEV_GUIDE + "service-quotas.html", SERVICE_EVENTS),
    ),
)
