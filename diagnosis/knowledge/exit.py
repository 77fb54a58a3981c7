"""Exit failures: the container ran and its process ended."""

from __future__ import annotations

from diagnosis.knowledge.base import (
    DESCRIBE_TASK_DEF,
    DEV_GUIDE,
    STOPPED_ERRORS,
    TASKDEF_PARAMS,
    CategoryInfo,
    Step,
)

READ_LOGS = Step(
    "Read the container's last log lines: the cause is usually the last exception or error before exit.",
    "aws logs tail {log_group} --log-stream-names {log_stream} --since {since}",
)
ROLLBACK = Step(
    "If the failures began with a new revision, roll the service back while you fix it.",
    "aws ecs update-service --cluster {cluster} --service {service} --task-definition {previous_task_def}",
)

CATEGORIES = (
    CategoryInfo(
        "oom",
        "exit",
        True,
        "Out of memory: `{container}` was killed at its memory limit",
        "The container used more memory than its hard limit (container `memory`, or the task memory on "
        "Fargate), so the kernel's OOM killer ended it (exit code 137). Either the task is undersized for "
        "its load (memory climbs with traffic and plateaus) or the application leaks (memory climbs steadily "
        "until every kill). JVM, Node and Python runtimes also need their heap limits set below the container "
        "limit.",
        (
            Step(
                "See memory use against the limit before each kill (Container Insights).",
                "aws cloudwatch get-metric-statistics --namespace ECS/ContainerInsights --metric-name "
                "MemoryUtilized --dimensions Name=ClusterName,Value={cluster} Name=ServiceName,Value={service} "
                "--statistics Maximum --period 60 --start-time {since_time} --end-time {now}",
            ),
            Step(
                "Give the task more memory: register a revision with the next memory size and update the "
                "service.",
                DESCRIBE_TASK_DEF + " --query 'taskDefinition.[memory,containerDefinitions[].memory]'",
            ),
            Step(
                "Cap the runtime's heap below the limit (-XX:MaxRAMPercentage=75, --max-old-space-size) and "
                "look for a leak if memory climbs steadily."
            ),
        ),
        (
            STOPPED_ERRORS,
            DEV_GUIDE + "memory-management.html",
            "https://repost.aws/knowledge-center/ecs-resolve-outofmemory-errors",
        ),
        ("increase_memory",),
    ),
    CategoryInfo(
        "app_error",
        "exit",
        True,
        "The application exited with code {exit_code}",
        "The essential container's process ended with an error code of its own: the application failed "
        "(a missing environment variable or config, a refused database connection, an unhandled exception, "
        "a port already in use). The container's log holds the cause. Exit 1 is a generic failure, 2 a "
        "misused command line, 255 often an entrypoint script or runtime that failed before the app logged "
        "anything; if the log is empty, check the entryPoint and command.",
        (
            READ_LOGS,
            Step(
                "Compare the task definition with the last revision that ran (image, command, environment "
                "variable names, secrets).",
                DESCRIBE_TASK_DEF,
            ),
            ROLLBACK,
        ),
        (STOPPED_ERRORS,),
        ("rollback",),
    ),
    CategoryInfo(
        "command_not_found",
        "exit",
        True,
        "The container's command could not be run (exit {exit_code})",
        "The shell could not run the command: exit 127 means the command or entrypoint executable was not "
        "found (a wrong path, a binary missing from the image, a script with Windows line endings or a "
        "missing interpreter in its #! line); exit 126 means it was found but is not executable (chmod +x "
        "in the Dockerfile) or is a directory.",
        (
            Step(
                "Check the entryPoint and command against the files in the image.",
                DESCRIBE_TASK_DEF
                + " --query 'taskDefinition.containerDefinitions[].[name,entryPoint,command]'",
            ),
            Step("Reproduce locally: docker run --rm {image} and look at the first error line."),
            ROLLBACK,
        ),
        (STOPPED_ERRORS, TASKDEF_PARAMS),
        ("rollback",),
    ),
    CategoryInfo(
        "segfault",
        "exit",
        True,
        "The process crashed with a segmentation fault (exit {exit_code})",
        "The process accessed invalid memory and the kernel killed it (SIGSEGV, exit 139): a native library "
        "bug, a binary built for another CPU or libc (musl vs glibc), or a stack overflow.",
        (
            READ_LOGS,
            Step("Check the image's native dependencies and the CPU architecture (runtimePlatform) match."),
            ROLLBACK,
        ),
        (STOPPED_ERRORS,),
        ("rollback",),
    ),
    CategoryInfo(
        "sigkill_stop_timeout",
        "exit",
        True,
        "`{container}` ignored SIGTERM and was killed after the stop timeout",
        "When ECS stops a task it sends SIGTERM, waits stopTimeout (30 s by default) and then sends SIGKILL "
        "(exit 137). The process did not exit in time: it does not handle SIGTERM (a shell script as PID 1 "
        "that does not forward signals; use `exec` or an init such as tini / initProcessEnabled), or its "
        "shutdown takes longer than stopTimeout.",
        (
            Step(
                "Handle SIGTERM in the application, and run it with `exec` (or initProcessEnabled: true) so "
                "PID 1 receives the signal."
            ),
            Step(
                "Raise stopTimeout in the container definition if a clean shutdown takes longer (up to 120 s "
                "on Fargate).",
                DESCRIBE_TASK_DEF + " --query 'taskDefinition.containerDefinitions[].stopTimeout'",
            ),
        ),
        (TASKDEF_PARAMS + "#container_definition_timeout",),
    ),
    CategoryInfo(
        "graceful_sigterm",
        "exit",
        False,
        "`{container}` stopped on SIGTERM (exit 143): a normal stop",
        "Exit 143 means the process exited cleanly on SIGTERM, which ECS sends when a deployment, scale-in "
        "or StopTask stops the task. This is normal unless tasks are being stopped that should not be.",
        (
            Step(
                "Check the service events for the deployment or scaling activity that stopped it.",
                "aws ecs describe-services --cluster {cluster} --services {service} --query 'services[0].events[:10]'",
            ),
        ),
        (STOPPED_ERRORS,),
    ),
    CategoryInfo(
        "clean_exit",
        "exit",
        True,
        "`{container}` exited with code 0: its main process finished",
        "A service keeps its essential container running; this one's main process finished successfully "
        "and so the task stopped, and the service starts another in a loop. Usually the process runs in "
        "the background (a daemon, `&`, `nohup`, a service manager) instead of the foreground, or the "
        "command is a one-off (a migration or a script) that belongs in a standalone task.",
        (
            Step(
                "Run the server in the foreground (e.g. `nginx -g 'daemon off;'`, no `&` in the entrypoint)."
            ),
            Step(
                "Check the command the container runs.",
                DESCRIBE_TASK_DEF
                + " --query 'taskDefinition.containerDefinitions[].[name,entryPoint,command]'",
            ),
            Step("For one-off work, use `aws ecs run-task` instead of a service."),
        ),
        (STOPPED_ERRORS,),
        ("rollback",),
    ),
)
