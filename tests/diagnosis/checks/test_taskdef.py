"""taskdef: the task definition's numbers stated for the cause they decide, with plain data."""

from __future__ import annotations

from typing import Any

import pytest

from diagnosis.checks.command import program
from diagnosis.checks.evidence import LiveEvidence, TaskLog
from diagnosis.checks.taskdef import check_task_definition, runtime_platform

TD = "arn:aws:ecs:eu-west-1:210987654321:task-definition/ledger:7"


def evidence(container: dict[str, Any], **definition: Any) -> LiveEvidence:
    task = {
        "taskArn": "arn:aws:ecs:eu-west-1:210987654321:task/prod/0123456789abcdef0123456789abcdef",
        "taskDefinitionArn": TD,
        "lastStatus": "STOPPED",
        "launchType": definition.pop("launch_type", "FARGATE"),
        "containers": [{"name": container["name"], "exitCode": 1}],
    }
    return LiveEvidence(
        region="eu-west-1",
        tasks=[task],
        task_definitions={TD: {"taskDefinitionArn": TD, "containerDefinitions": [container], **definition}},
    )


def only(ev: LiveEvidence, category: str) -> Any:
    (result,) = check_task_definition(ev, category)
    assert result.name == "task_definition"
    assert result.category == category
    return result


def test_oom_states_task_and_container_memory_and_the_next_fargate_size() -> None:
    ev = evidence({"name": "ledger", "memory": 768, "memoryReservation": 512}, cpu="512", memory="2048")
    result = only(ev, "oom")
    assert "cpu 512 units, memory 2048 MiB" in result.detail
    assert "hard limit 768 MiB, reservation 512 MiB" in result.detail
    assert "killed at its own 768 MiB limit, before the task's 2048 MiB" in result.detail
    assert "next valid Fargate size: 3072 MiB with 512 CPU units" in result.detail
    assert result.names["next_memory"] == "3072"
    assert result.names["memory"] == "2048"
    assert all(item.source.endswith("ledger:7") for item in result.evidence)


def test_oom_on_ec2_suggests_double_and_sums_container_limits() -> None:
    ev = evidence(
        {"name": "ledger", "memory": 900},
        memory="1024",
        launch_type="EC2",
        containerDefinitions=[{"name": "ledger", "memory": 900}, {"name": "sidecar", "memory": 300}],
    )
    result = only(ev, "oom")
    assert "add up to 1200 MiB, above the task's 1024 MiB" in result.detail
    assert "twice the memory: 2048 MiB" in result.detail
    assert "Fargate" not in result.detail


@pytest.mark.parametrize(
    ("entry", "command", "expected"),
    [
        (["/app/run.sh"], [], "/app/run.sh"),
        ([], ["gunicorn", "app:app"], "gunicorn"),
        (["sh", "-c"], ["exec ./server --port 80"], "./server"),
        (["/bin/sh", "-c", "PORT=80 exec env -i /srv/api"], [], "/srv/api"),
        (["/bin/bash", "-c"], ["uvicorn main:app"], "uvicorn"),
    ],
)
def test_program_is_the_executable_started(entry: list[str], command: list[str], expected: str) -> None:
    assert program([*entry, *command]) == expected


def test_command_not_found_names_entrypoint_command_and_program() -> None:
    ev = evidence({"name": "worker", "entryPoint": ["/opt/bin/wrkr"], "command": ["--queue", "jobs"]})
    result = only(ev, "command_not_found")
    assert "entryPoint: /opt/bin/wrkr" in result.detail
    assert "command: --queue jobs" in result.detail
    assert "the program it starts: /opt/bin/wrkr" in result.detail
    assert result.outcome == "inconclusive"  # the definition cannot prove the file is missing


def exited(ev: LiveEvidence, code: int, *log: str) -> LiveEvidence:
    ev.tasks[0]["containers"][0]["exitCode"] = code
    ev.log_events = [{"timestamp": 1_700_000_000_000 + i, "message": line} for i, line in enumerate(log)]
    return ev


@pytest.mark.parametrize("path", ["/app/run.sh", "/usr/local/bin/relay-worker"])
def test_exit_127_says_the_program_was_not_found_and_the_log_confirms_it(path: str) -> None:
    ev = exited(evidence({"name": "jobs", "entryPoint": [path], "command": ["--once"]}), 127,
                "booting", f"/bin/sh: 1: {path}: not found")  # fmt: skip
    result = only(ev, "command_not_found")
    assert f"exit 127: {path} was not found" in result.detail
    assert result.outcome == "confirms"
    assert f"entryPoint: {path}" in result.detail and "command: --once" in result.detail


@pytest.mark.parametrize(
    "line",
    ["/usr/bin/env: 'python3': No such file or directory", "env: ‘bash\\r’: No such file or directory"],
)
def test_exit_127_of_a_script_whose_interpreter_is_missing_quotes_the_shell(line: str) -> None:
    ev = exited(evidence({"name": "jobs", "entryPoint": ["/app/run.py"]}), 127, "ready", line)
    result = only(ev, "command_not_found")
    assert result.outcome == "confirms"
    assert f"the log says: {line}" in result.detail
    assert "#! interpreter" in result.detail


def test_a_log_line_of_the_application_is_not_taken_for_the_shell() -> None:
    ev = exited(evidence({"name": "jobs", "entryPoint": ["/app/run.sh"]}), 127, "user profile not found")
    assert only(ev, "command_not_found").outcome == "inconclusive"


def test_exit_126_says_the_program_is_not_executable() -> None:
    ev = exited(evidence({"name": "jobs", "command": ["sh", "-c", "exec /srv/start"]}), 126,
                "sh: 1: /srv/start: Permission denied")  # fmt: skip
    result = only(ev, "command_not_found")
    assert "exit 126: /srv/start was found but cannot be executed" in result.detail
    assert result.outcome == "confirms"


def test_exit_127_without_a_log_line_only_says_what_it_means() -> None:
    ev = exited(evidence({"name": "jobs", "entryPoint": ["/app/run.sh"]}), 127)
    result = only(ev, "command_not_found")
    assert "exit 127: /app/run.sh was not found" in result.detail
    assert result.outcome == "inconclusive"


START = (
    "CannotStartContainerError: Error response from daemon: failed to create shim task: OCI runtime create "
    'failed: runc create failed: unable to start container process: exec: "{path}": {what}: unknown'
)


@pytest.mark.parametrize(
    ("path", "what", "means"),
    [
        ("/app/run.sh", "permission denied", "not executable"),
        ("/srv/bin/api", "no such file or directory", "not in the image"),
        ("gunicorn", "executable file not found in $PATH", "not on the image's PATH"),
    ],
)
def test_a_start_failure_on_the_program_the_container_starts_is_confirmed(
    path: str, what: str, means: str
) -> None:
    ev = evidence({"name": "api", "entryPoint": [path], "command": ["--bind", ":80"]})
    ev.tasks[0]["stoppedReason"] = START.format(path=path, what=what)
    result = only(ev, "container_start_failure")
    assert result.outcome == "confirms"
    assert (
        f"the runtime could not start {path}, the program the container's entryPoint/command starts"
        in result.detail
    )
    assert means in result.detail


def test_a_start_failure_on_another_file_is_only_context() -> None:
    ev = evidence({"name": "api", "entryPoint": ["/app/run.sh"]})
    ev.tasks[0]["stoppedReason"] = START.format(path="/usr/local/bin/tini", what="permission denied")
    result = only(ev, "container_start_failure")
    assert result.outcome == "inconclusive"
    assert "entryPoint: /app/run.sh" in result.detail


def test_an_exec_format_error_names_the_command_and_the_platform() -> None:
    ev = evidence({"name": "thumb", "entryPoint": ["/usr/local/bin/thumb"]},
                  runtimePlatform={"cpuArchitecture": "ARM64"})  # fmt: skip
    result = only(ev, "image_platform_mismatch")
    assert "entryPoint: /usr/local/bin/thumb" in result.detail
    assert "linux/arm64" in result.detail


def test_no_command_says_the_image_decides() -> None:
    result = only(evidence({"name": "worker"}), "command_not_found")
    assert "no entryPoint or command" in result.detail


@pytest.mark.parametrize(
    "command",
    [
        ["sh", "-c", "python -m consumer & sleep 1"],
        ["sh", "-c", "nohup ./server > /tmp/out.log &"],
        ["/usr/sbin/php-fpm", "--daemonize"],
        ["sh", "-c", "service nginx start"],
    ],
)
def test_clean_exit_confirmed_by_a_backgrounded_command(command: list[str]) -> None:
    result = only(evidence({"name": "edge", "command": command}), "clean_exit")
    assert result.outcome == "confirms"
    assert "background" in result.detail


@pytest.mark.parametrize(
    "command", [["nginx", "-g", "daemon off;"], ["sh", "-c", "migrate && exec server 2>&1"]]
)
def test_clean_exit_with_a_foreground_command_is_not_confirmed(command: list[str]) -> None:
    result = only(evidence({"name": "edge", "command": command}), "clean_exit")
    assert result.outcome == "inconclusive"


def test_health_check_timing_against_the_observed_start() -> None:
    check = {"command": ["CMD-SHELL", "curl -f localhost:9000/ping"], "interval": 10, "retries": 4}
    ev = evidence({"name": "ledger", "healthCheck": {**check, "startPeriod": 20}})
    ev.log_events = [{"message": "Started LedgerApplication in 142.7 seconds"}]
    result = only(ev, "container_health_check")
    assert "every 10 s, timeout 5 s, 4 retries, startPeriod 20 s" in result.detail
    assert "needs 143 s to start, but the health check gives up after about 60 s" in result.detail
    assert result.outcome == "confirms"
    assert result.names["start_period"] == "285"


def test_health_check_that_leaves_time_is_only_context() -> None:
    ev = evidence({"name": "ledger", "healthCheck": {"command": ["CMD", "/bin/ok"], "startPeriod": 120}})
    ev.log_events = [{"message": "ready in 35 s"}]
    result = only(ev, "container_health_check")
    assert result.outcome == "inconclusive"
    assert "every 30 s, timeout 5 s, 3 retries, startPeriod 120 s" in result.detail


def test_stop_timeout_default_and_set() -> None:
    assert "not set (30 s, the default)" in only(evidence({"name": "a"}), "sigkill_stop_timeout").detail
    result = only(evidence({"name": "a", "stopTimeout": 90}), "sigkill_stop_timeout")
    assert "stopTimeout: 90 s" in result.detail
    assert result.names["stop_timeout"] == "90"


def test_load_balanced_port_the_container_does_not_map_is_confirmed() -> None:
    ev = evidence({"name": "web", "portMappings": [{"containerPort": 3000, "hostPort": 3000}]})
    group = "arn:aws:elasticloadbalancing:eu-west-1:210987654321:targetgroup/web/abc"
    ev.service = {"loadBalancers": [{"containerName": "web", "containerPort": 8080, "targetGroupArn": group}]}
    ev.target_groups = [
        {"TargetGroupArn": group, "TargetGroupName": "web", "Port": 8080, "HealthCheckPort": "8081"}
    ]
    result = only(ev, "elb_health_check")
    assert result.outcome == "confirms"
    assert "web:8080, a port it does not map" in result.detail
    assert "3000→3000" in result.detail
    assert "target group web port 8080, health checks on 8081" in result.detail


def test_secrets_in_commands_are_redacted() -> None:
    secret = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
    ev = evidence({"name": "a", "command": ["sh", "-c", f"AWS_SECRET_ACCESS_KEY={secret} ./run &"]})
    result = only(ev, "clean_exit")
    assert secret not in result.detail
    assert all(secret not in item.fact for item in result.evidence)


@pytest.mark.parametrize(
    ("platform", "expected"),
    [
        (None, "linux/amd64"),
        ({"cpuArchitecture": "ARM64", "operatingSystemFamily": "LINUX"}, "linux/arm64"),
        ({"cpuArchitecture": "X86_64", "operatingSystemFamily": "WINDOWS_SERVER_2022_CORE"}, "windows/amd64"),
    ],
)
def test_runtime_platform(platform: dict[str, str] | None, expected: str) -> None:
    assert runtime_platform({"runtimePlatform": platform} if platform else {}) == expected


def test_nothing_read_nothing_said() -> None:
    assert check_task_definition(LiveEvidence(), "oom") == []
    assert check_task_definition(evidence({"name": "a"}), "user_stopped") == []


def test_a_soft_memory_limit_only_is_said_to_be_no_cap_the_task_memory_is() -> None:
    result = only(evidence({"name": "feed", "memoryReservation": 256}, cpu="256", memory="1024"), "oom")
    assert "sets only a soft limit (memoryReservation 256 MiB) and no hard limit (memory)" in result.detail
    assert "can grow to the task's 1024 MiB and is killed there, not at 256 MiB" in result.detail


def with_log(ev: LiveEvidence, *lines: str) -> LiveEvidence:
    task = ev.tasks[0]
    ev.logs[task["taskArn"].rsplit("/", 1)[-1]] = TaskLog(
        "/ecs/chat", "ecs/chat/x", [{"message": m} for m in lines]
    )
    return ev


def test_running_out_of_file_descriptors_names_the_nofile_ulimit() -> None:
    container = {"name": "chat", "ulimits": [{"name": "nofile", "softLimit": 1024, "hardLimit": 4096}]}
    result = only(
        with_log(evidence(container), "open connections: 1011", "Error: accept EMFILE"), "app_error"
    )
    assert "container chat's ulimits cap nofile at 1024 (soft) and 4096 (hard)" in result.detail
    unset = only(with_log(evidence({"name": "chat"}), "OSError: [Errno 24] Too many open files"), "app_error")
    assert "container chat sets no nofile ulimit" in unset.detail
    other = only(with_log(evidence(container), "Error: connect ECONNREFUSED 10.0.3.7:5432"), "app_error")
    assert "nofile" not in other.detail


DENIED = (
    "botocore.exceptions.ClientError: An error occurred (AccessDenied) when calling the GetObject operation: "
    "User: arn:aws:sts::210987654321:assumed-role/exporter-task/6a1f0c9e is not authorized to perform: "
    's3:GetObject on resource: "arn:aws:s3:::acme-config/exporter.json" because no identity-based policy allows'
)


def test_an_aws_call_the_task_role_was_denied_names_both_roles() -> None:
    roles = {
        "taskRoleArn": "arn:aws:iam::210987654321:role/exporter-task",
        "executionRoleArn": "arn:aws:iam::210987654321:role/exporter-exec",
    }
    result = only(with_log(evidence({"name": "exporter"}, **roles), "loading config", DENIED), "app_error")
    assert result.outcome == "confirms"
    assert (
        "denied s3:GetObject on arn:aws:s3:::acme-config/exporter.json as its task role exporter-task"
        in result.detail
    )
    assert "the execution role exporter-exec is ECS's own" in result.detail
    assert "grant s3:GetObject to exporter-task" in result.detail
    other = {**roles, "taskRoleArn": "arn:aws:iam::210987654321:role/billing-task"}
    unrelated = only(with_log(evidence({"name": "exporter"}, **other), DENIED), "app_error")
    assert "task role" not in unrelated.detail  # another principal's denial is not this task role's


def test_a_full_disk_in_the_log_is_the_tasks_ephemeral_storage_not_the_apps_error() -> None:
    full = "OSError: [Errno 28] No space left on device: '/tmp/work/launch-4k.mov.part'"
    ev = with_log(evidence({"name": "transcode"}, cpu="2048", memory="4096"), "downloading", full)
    ev.tasks[0]["ephemeralStorage"] = {"sizeInGiB": 20}
    result = only(ev, "app_error")
    assert result.outcome == "confirms"
    assert result.recategorize == "storage_exhausted"
    assert "the task has 20 GiB of ephemeral storage (the Fargate default)" in result.detail
    assert "No space left on device: '/tmp/work/launch-4k.mov.part'" in result.detail
    [line] = [e for e in result.evidence if e.kind == "log"]  # the finding it moves keeps the line
    assert (line.source, line.fact) == ("logs:GetLogEvents /ecs/chat ecs/chat/x", full)
    bigger = with_log(evidence({"name": "transcode"}, ephemeralStorage={"sizeInGiB": 100}), full)
    assert "the task has 100 GiB of ephemeral storage: raise" in only(bigger, "app_error").detail
    crash = only(with_log(evidence({"name": "transcode"}), "KeyError: 'BUCKET'"), "app_error")
    assert crash.recategorize is None
