"""Lifecycle stops: normal operations stopped the task; explained, quiet by default."""

from __future__ import annotations

from diagnosis.knowledge.base import DEV_GUIDE, STOPPED_ERRORS, CategoryInfo, Step

CATEGORIES = (
    CategoryInfo(
        "spot_interruption",
        "lifecycle",
        False,
        "Spot capacity reclaimed",
        "AWS reclaimed the Fargate Spot (or EC2 Spot) capacity the task ran on. ECS sent SIGTERM two "
        "minutes before, then stopped the task; the service starts a replacement when capacity allows.",
        (
            Step("Handle SIGTERM to drain work within the two-minute warning."),
            Step(
                "Keep a base of on-demand FARGATE in the capacity provider strategy for critical services.",
                "aws ecs describe-services --cluster {cluster} --services {service} --query "
                "'services[0].capacityProviderStrategy'",
            ),
        ),
        (DEV_GUIDE + "fargate-capacity-providers.html",),
    ),
    CategoryInfo(
        "infra_maintenance",
        "lifecycle",
        False,
        "Task retired for infrastructure maintenance",
        "AWS retired the task to patch or maintain the infrastructure under it (Fargate task retirement, "
        "announced in AWS Health). For a service ECS starts a replacement; standalone tasks are not replaced.",
        (
            Step("Nothing to fix; keep desiredCount ≥ 2 and handle SIGTERM so retirements go unnoticed."),
            Step(
                "Check AWS Health for scheduled retirements.",
                "aws health describe-events --filter services=ECS,eventStatusCodes=upcoming",
            ),
        ),
        (DEV_GUIDE + "task-maintenance.html",),
    ),
    CategoryInfo(
        "scaling_or_deployment",
        "lifecycle",
        False,
        "Stopped by the service scheduler (deployment or scale-in)",
        "The service scheduler stopped the task on purpose: a new deployment replaced it, or the service "
        "scaled in. The container received SIGTERM; this is normal.",
        (
            Step(
                "See the deployment or scaling activity in the service events.",
                "aws ecs describe-services --cluster {cluster} --services {service} --query "
                "'services[0].[deployments,events[:10]]'",
            ),
        ),
        (STOPPED_ERRORS,),
    ),
    CategoryInfo(
        "user_stopped",
        "lifecycle",
        False,
        "Stopped by a StopTask call",
        "Someone or something called StopTask: a person in the console or CLI, a pipeline, CloudFormation "
        "or CodeDeploy, or an automation. CloudTrail records who (the StopTask event's userIdentity).",
        (
            Step(
                "Find who stopped it in CloudTrail.",
                "aws cloudtrail lookup-events --lookup-attributes AttributeKey=EventName,AttributeValue=StopTask "
                "--max-results 20",
            ),
        ),
        (STOPPED_ERRORS, DEV_GUIDE + "logging-using-cloudtrail.html"),
    ),
    CategoryInfo(
        "instance_terminated_or_drained",
        "lifecycle",
        False,
        "The EC2 container instance went away",
        "The task ran on an EC2 container instance that was terminated, stopped, drained (DRAINING, e.g. by "
        "a capacity provider scale-in or an Auto Scaling lifecycle hook) or deregistered from the cluster.",
        (
            Step(
                "Check what happened to the instance (Auto Scaling activity, Spot interruption, health).",
                "aws autoscaling describe-scaling-activities --max-items 10",
            ),
            Step("Use managed termination protection and draining so tasks move before instances go."),
        ),
        (DEV_GUIDE + "container-instance-draining.html",),
    ),
)
