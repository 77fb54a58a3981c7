"""Platform failures: the host, the container runtime or the ECS agent failed; and the catch-all."""

from __future__ import annotations

from diagnosis.knowledge.base import DEV_GUIDE, SERVICE_EVENTS, STOPPED_ERRORS, CategoryInfo, Reading, Step
from diagnosis.rules.base import DEPLOYMENT_TROUBLE

CATEGORIES = (
    CategoryInfo(
        "storage_exhausted",
        "platform",
        True,
        "Out of disk space",
        "The host or the task's ephemeral storage ran out of space (no space left on device): on Fargate "
        "the image plus what the containers write exceeds ephemeral storage (20 GiB by default, up to 200 "
        "GiB); on EC2 the Docker volume or thin pool is full of images and stopped containers.",
        (
            Step(
                "On Fargate, raise ephemeralStorage.sizeInGiB in the task definition, or shrink the image "
                "and what the app writes to disk."
            ),
            Step(
                "On EC2, let the agent clean images sooner (ECS_IMAGE_CLEANUP_INTERVAL, "
                "ECS_ENGINE_TASK_CLEANUP_WAIT_DURATION) or give instances a larger volume."
            ),
        ),
        (DEV_GUIDE + "fargate-task-storage.html", STOPPED_ERRORS),
    ),
    CategoryInfo(
        "agent_or_docker_daemon",
        "platform",
        True,
        "The container runtime or ECS agent failed",
        "The Docker daemon, containerd or the ECS agent on the host failed, timed out or disconnected, "
        "not the application. On EC2 the instance is usually overloaded (CPU, disk I/O, too many "
        "containers) or the agent is old; on Fargate it is rare and transient.",
        (
            Step(
                "Retry with a new deployment; if it repeats on EC2, check the instance.",
                "aws ecs update-service --cluster {cluster} --service {service} --force-new-deployment",
            ),
            Step(
                "On EC2, read /var/log/ecs/ecs-agent.log and the Docker daemon logs, and update the ECS agent.",
                "aws ecs update-container-agent --cluster {cluster} --container-instance {instance}",
            ),
        ),
        (STOPPED_ERRORS, DEV_GUIDE + "troubleshooting.html"),
        ("force_new_deployment",),
    ),
    CategoryInfo(
        "other",
        "platform",
        True,
        "Stopped for a reason ecs-why does not recognise",
        "None of the known causes matched this stop. The raw reason is quoted below; the task's container "
        "logs, the service events and the task definition are the next places to look.",
        (
            Step(
                "Read why the deployment's tasks stopped: the service's newest events, then its stopped tasks "
                "(ECS keeps them about an hour; `ecs-why diagnose CLUSTER/SERVICE` reads them all).",
                "aws ecs describe-services --cluster {cluster} --services {service} "
                "--query 'services[0].events[:10].message'",
                when=(("reading", DEPLOYMENT_TROUBLE),),
            ),
            Step(
                "List the service's stopped tasks, then describe one: its stopped reason and exit codes say why.",
                "aws ecs list-tasks --cluster {cluster} --service-name {service} --desired-status STOPPED",
                when=(("reading", DEPLOYMENT_TROUBLE),),
            ),
            Step(
                "Read the service's recent events and the stopped task in full.",
                "aws ecs describe-tasks --cluster {cluster} --tasks {task_id}",
                when=(("reading", ""),),
            ),
            Step(
                "Read the container logs of the stopped task.",
                "aws logs tail {log_group} --log-stream-names {log_stream} --since {since}",
                when=(("reading", ""),),
            ),
        ),
        (STOPPED_ERRORS, SERVICE_EVENTS),
        readings=(
            Reading(
                DEPLOYMENT_TROUBLE,
                "A deployment failed: why is in its stopped tasks, not in this message",
                "ECS, or the tool that deployed (CloudFormation, CDK, Copilot, Terraform), says a deployment "
                "failed, rolled back or never became steady when its new tasks keep stopping; the deployment "
                "circuit breaker then rolls back to the last deployment that worked. That message never says "
                "why the tasks stopped: their stopped reasons, exit codes and logs do. Diagnose the service "
                "live, or paste one of its stopped tasks.",
            ),
        ),
    ),
)
