"""Health failures: a health check said the task was unhealthy and ECS replaced it."""

from __future__ import annotations

from diagnosis.knowledge.base import (
    DESCRIBE_TASK_DEF,
    DEV_GUIDE,
    CategoryInfo,
    Step,
)

CATEGORIES = (
    CategoryInfo(
        "elb_health_check",
        "health",
        True,
        "Load balancer health checks failed",
        "The target group marked the task unhealthy, so ECS replaced it. The common causes: the health "
        "check grace period is shorter than the application's start time (healthCheckGracePeriodSeconds); "
        "the health check path or port does not answer 200 (the app listens on another port, or the path "
        "needs authentication or redirects); the target group's target type is `instance` for an awsvpc "
        "task (must be `ip`); the task's security group does not allow the container port from the load "
        "balancer's security group; or the app binds to 127.0.0.1 instead of 0.0.0.0.",
        (
            Step(
                "See why the targets are unhealthy (Target.ResponseCodeMismatch, Target.Timeout, …).",
                "aws elbv2 describe-target-health --target-group-arn {target_group}",
            ),
            Step(
                "Compare the health check path, port and thresholds with what the container serves.",
                "aws elbv2 describe-target-groups --target-group-arns {target_group} --query "
                "'TargetGroups[0].[TargetType,HealthCheckPath,HealthCheckPort,HealthCheckIntervalSeconds,"
                "UnhealthyThresholdCount,Matcher]'",
            ),
            Step(
                "If the app needs longer to start, raise the service's health check grace period.",
                "aws ecs update-service --cluster {cluster} --service {service} "
                "--health-check-grace-period-seconds {grace_period}",
            ),
            Step(
                "Allow the container port from the load balancer's security group on the task's security "
                "group."
            ),
        ),
        (
            DEV_GUIDE + "troubleshoot-service-load-balancers.html",
            DEV_GUIDE + "service-event-messages.html",
            "https://repost.aws/knowledge-center/ecs-task-fails-health-checks",
        ),
        ("raise_grace_period", "force_new_deployment"),
    ),
    CategoryInfo(
        "container_health_check",
        "health",
        True,
        "Container health checks failed",
        "The container definition's healthCheck command kept failing, so ECS marked the container "
        "unhealthy and replaced the task. The command runs inside the container: the tool it calls (curl, "
        "wget) may be missing from the image; the app may need longer to start than startPeriod allows "
        "(failures during startPeriod do not count); or interval × retries is too short for slow responses.",
        (
            Step(
                "Read the health check command and its timing.",
                DESCRIBE_TASK_DEF + " --query 'taskDefinition.containerDefinitions[].[name,healthCheck]'",
            ),
            Step(
                "Run the same command in the image: the tool it calls must exist there.",
                "docker run --rm --entrypoint sh {image} -c {health_command}",
            ),
            Step(
                "Raise startPeriod (up to 300 s) to cover the start time, and retries/timeout for slow "
                "responses; register a new revision."
            ),
        ),
        (
            "https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_HealthCheck.html",
            DEV_GUIDE + "healthcheck.html",
        ),
        ("force_new_deployment",),
    ),
)
