"""Classification: one primary cause per stopped task, and the causes service events and EventBridge name."""

from __future__ import annotations

import pytest

from diagnosis.classify import action_sighting, classify_task, is_stopped, service_sightings, sightings
from diagnosis.engine import diagnose
from diagnosis.models import (
    ActionEvent,
    ContainerFacts,
    DeploymentFacts,
    Observations,
    ServiceEvent,
    ServiceFacts,
    TaskFacts,
)

ACCOUNT = "123456789012"
TG = f"arn:aws:elasticloadbalancing:us-east-1:{ACCOUNT}:targetgroup/web-api-tg/0a1b2c3d4e5f6789"
C = ContainerFacts


def task(
    reason: str = "Essential container in task exited",
    *containers: ContainerFacts,
    stop_code: str = "",
    service: str = "web-api",
    n: int = 0,
) -> TaskFacts:
    return TaskFacts(
        task_arn=f"arn:aws:ecs:us-east-1:{ACCOUNT}:task/prod/{n:032x}",
        cluster="prod",
        service=service,
        group=f"service:{service}" if service else "family:job",
        task_definition_arn=f"arn:aws:ecs:us-east-1:{ACCOUNT}:task-definition/web-api:42",
        last_status="STOPPED",
        desired_status="STOPPED",
        stop_code=stop_code,
        stopped_reason=reason,
        containers=containers,
        region="us-east-1",
        account=ACCOUNT,
    )


def primary(t: TaskFacts) -> tuple[str, tuple[str, ...], dict[str, str]]:
    match = classify_task(t)[0]
    return match.category, match.alternatives, dict(match.names)


# --- primary cause: stop reason, container reason, exit code ---------------------------------------------


def test_specific_stop_reason_wins_over_exit_code() -> None:
    t = task("Task failed ELB health checks in (target-group " + TG + ")", C("app", 137), stop_code="")
    category, _, names = primary(t)
    assert category == "elb_health_check"
    assert names["target_group"] == TG


def test_container_health_stop_with_sigkill_exit() -> None:
    assert primary(task("Task failed container health checks", C("app", 137)))[0] == "container_health_check"


def test_generic_stop_reason_reads_the_container_reason() -> None:
    t = task(
        "Essential container in task exited",
        C("checkout", 137, "OutOfMemoryError: Container killed due to memory usage"),
        C("log-router", 0),
    )
    category, _, names = primary(t)
    assert category == "oom"
    assert names["container"] == "checkout"


def test_task_failed_to_start_reads_the_container_reason() -> None:
    ref = f"{ACCOUNT}.dkr.ecr.us-east-1.amazonaws.com/web-api:v2.3.1"
    t = task(
        "Task failed to start",
        C(
            "app",
            None,
            "CannotPullContainerError: pull image manifest has been retried 5 time(s): failed to resolve ref "
            f"{ref}: {ref}: not found",
        ),
        stop_code="TaskFailedToStart",
    )
    category, _, names = primary(t)
    assert category == "image_not_found"
    assert names["image"] == ref
    assert names["container"] == "app"


def test_exit_code_when_no_reason_anywhere() -> None:
    category, _, names = primary(task("Essential container in task exited", C("api", 1)))
    assert category == "app_error"
    assert names == {"container": "api", "exit_code": "1"}


def test_exit_137_without_reason_is_oom_with_stop_timeout_alternative() -> None:
    t = task("Essential container in task exited", C("api", 137))
    matches = classify_task(t)
    assert [m.category for m in matches] == ["oom"]
    assert matches[0].alternatives == ("sigkill_stop_timeout",)


@pytest.mark.parametrize(
    ("code", "category"),
    [
        (0, "clean_exit"),
        (2, "app_error"),
        (127, "command_not_found"),
        (139, "segfault"),
        (143, "graceful_sigterm"),
    ],
)
def test_exit_codes_through_classify(code: int, category: str) -> None:
    assert primary(task("Essential container in task exited", C("api", code)))[0] == category


def test_empty_reason_and_exit_code() -> None:
    assert primary(task("", C("api", 255)))[0] == "app_error"


def test_nothing_known_is_other_quoting_ecs() -> None:
    match = classify_task(task("Something odd happened to the task"))[0]
    assert match.category == "other"
    assert "Something odd happened" in match.clue
    assert classify_task(task(""))[0].category == "other"


def test_deployment_failure_text_as_reason_defers_to_the_exit_code() -> None:
    t = task("(deployment ecs-svc/1) deployment failed: tasks failed to start.", C("app", 1))
    assert primary(t)[0] == "app_error"


# --- essential / sidecar container choice ----------------------------------------------------------------


def test_app_exit_beats_sidecar_sigkill() -> None:
    category, _, names = primary(task("Essential container in task exited", C("app", 1), C("envoy", 137)))
    assert (category, names["container"]) == ("app_error", "app")


def test_non_essential_container_is_not_the_cause() -> None:
    t = task(
        "Essential container in task exited",
        C("app", 1, essential=True),
        C("xray-daemon", 137, essential=False),
    )
    assert primary(t)[:1] == ("app_error",)


def test_sidecar_with_an_oom_reason_is_the_cause() -> None:
    t = task(
        "Essential container in task exited",
        C("app", 1),
        C("log_router", 137, "OutOfMemoryError: Container killed due to memory usage"),
    )
    category, _, names = primary(t)
    assert (category, names["container"]) == ("oom", "log_router")


@pytest.mark.parametrize("sidecar", [C("envoy", 143), C("datadog-agent", 137)])
def test_app_exit_0_then_sidecar_signal_is_clean_exit(sidecar: ContainerFacts) -> None:
    category, _, names = primary(task("Essential container in task exited", C("app", 0), sidecar))
    assert (category, names["container"]) == ("clean_exit", "app")


def test_other_containers_reason_does_not_override_the_failed_containers_exit() -> None:
    t = task(
        "Essential container in task exited",
        C("app", 2),
        C("envoy", None, "DockerTimeoutError: Could not transition to stopped; timed out after waiting 30s"),
    )
    category, _, names = primary(t)
    assert (category, names["container"]) == ("app_error", "app")


# --- lifecycle stops, with and without a stop-timeout kill ------------------------------------------------


@pytest.mark.parametrize(
    ("reason", "stop_code", "category"),
    [
        (
            "Scaling activity initiated by (deployment ecs-svc/5174393434283347516)",
            "ServiceSchedulerInitiated",
            "scaling_or_deployment",
        ),
        ("Task stopped by user", "UserInitiated", "user_stopped"),
        ("Your Spot Task was interrupted.", "SpotInterruption", "spot_interruption"),
        (
            "ECS is performing maintenance on the underlying infrastructure hosting the task.",
            "",
            "infra_maintenance",
        ),
        ("Host EC2 (instance i-0abc123def4567890) stopped/terminated.", "", "instance_terminated_or_drained"),
    ],
)
def test_lifecycle_stop_with_exit_137_adds_stop_timeout(reason: str, stop_code: str, category: str) -> None:
    matches = classify_task(task(reason, C("app", 137), C("envoy", 0), stop_code=stop_code))
    assert [m.category for m in matches] == [category, "sigkill_stop_timeout"]
    assert not matches[0].secondary
    assert matches[1].secondary
    assert matches[1].names["container"] == "app"


@pytest.mark.parametrize("code", [143, 0])
def test_lifecycle_stop_with_graceful_exit_has_no_side_finding(code: int) -> None:
    matches = classify_task(task("Task stopped by user", C("app", code), stop_code="UserInitiated"))
    assert [m.category for m in matches] == ["user_stopped"]


def test_stop_code_alone_names_the_lifecycle_cause() -> None:
    matches = classify_task(task("", C("app", None), stop_code="SpotInterruption"))
    assert matches[0].category == "spot_interruption"
    assert "SpotInterruption" in matches[0].clue


@pytest.mark.parametrize(
    ("stop_code", "code", "category"),
    [
        ("UserInitiated", 137, "user_stopped"),
        ("ServiceSchedulerInitiated", 137, "scaling_or_deployment"),
        ("SpotInterruption", 143, "spot_interruption"),
    ],
)
def test_stop_code_beats_a_signal_exit(stop_code: str, code: int, category: str) -> None:
    matches = classify_task(task("", C("app", code), stop_code=stop_code))
    assert matches[0].category == category
    if code == 137:
        assert [m.category for m in matches[1:]] == ["sigkill_stop_timeout"]


def test_oom_reason_is_not_reported_as_stop_timeout() -> None:
    t = task(
        "Scaling activity initiated by (deployment ecs-svc/1)",
        C("app", 137, "OutOfMemoryError: Container killed due to memory usage"),
        stop_code="ServiceSchedulerInitiated",
    )
    assert "sigkill_stop_timeout" not in [m.category for m in classify_task(t)]


def test_is_stopped() -> None:
    assert is_stopped(TaskFacts(last_status="STOPPED"))
    assert is_stopped(TaskFacts(last_status="RUNNING", desired_status="STOPPED"))
    assert is_stopped(TaskFacts(stopped_reason="Task stopped by user"))
    assert not is_stopped(TaskFacts(last_status="RUNNING", desired_status="RUNNING"))


def test_running_tasks_yield_no_sighting() -> None:
    running = TaskFacts(task_arn="arn:aws:ecs:us-east-1:1:task/prod/abc", last_status="RUNNING")
    assert list(sightings(Observations(kind="task list", tasks=(running,)))) == []


# --- service events ---------------------------------------------------------------------------------------


def unhealthy(task_id: str, code: int = 502) -> ServiceEvent:
    return ServiceEvent(
        f"(service web-api) (port 8080) (task {task_id}) is unhealthy in (target-group {TG}) due to "
        f"(reason Health checks failed with these codes: [{code}])."
    )


def service(*events: ServiceEvent, **kw: object) -> ServiceFacts:
    defaults: dict[str, object] = {"name": "web-api", "cluster": "prod", "desired": 3, "running": 1}
    defaults.update(kw)
    return ServiceFacts(events=events, **defaults)  # type: ignore[arg-type]


def test_repeated_events_are_counted_once() -> None:
    svc = service(unhealthy("a1b2c3d4e5f6"), unhealthy("0f9e8d7c6b5a"), unhealthy("1234567890ab"))
    (sighting,) = list(service_sightings(svc))
    assert sighting.match.category == "elb_health_check"
    assert sighting.count == 3
    assert not sighting.stale


def test_counted_events_show_in_the_finding() -> None:
    svc = service(unhealthy("a1b2c3d4e5f6"), unhealthy("0f9e8d7c6b5a"), unhealthy("1234567890ab"))
    (finding,) = diagnose(Observations(kind="service", services=(svc,))).findings
    assert finding.category == "elb_health_check"
    assert "3 times" in finding.summary
    assert any(TG in r.command for r in finding.remediations if r.command)


def test_events_before_the_latest_steady_state_are_stale() -> None:
    svc = service(
        ServiceEvent("(service web-api) has reached a steady state."),
        unhealthy("a1b2c3d4e5f6"),
        unhealthy("0f9e8d7c6b5a"),
    )
    (sighting,) = list(service_sightings(svc))
    assert sighting.stale
    fresh = service(unhealthy("a1b2c3d4e5f6"))
    stale_finding = diagnose(Observations(kind="service", services=(svc,))).findings[0]
    fresh_finding = diagnose(Observations(kind="service", services=(fresh,))).findings[0]
    assert stale_finding.confidence < fresh_finding.confidence
    assert "may have recovered" in stale_finding.summary


def test_events_after_the_steady_state_are_fresh() -> None:
    svc = service(unhealthy("a1b2c3d4e5f6"), ServiceEvent("(service web-api) has reached a steady state."))
    (sighting,) = list(service_sightings(svc))
    assert not sighting.stale


def test_informational_events_are_ignored() -> None:
    svc = service(
        ServiceEvent("(service web-api) has started 2 tasks: (task 0a1b2c3d) (task 1b2c3d4e)."),
        ServiceEvent(f"(service web-api) registered 2 targets in (target-group {TG})"),
        ServiceEvent(f"(service web-api) deregistered 1 targets in (target-group {TG})"),
        ServiceEvent("(service web-api) has begun draining connections on 1 tasks."),
        ServiceEvent("(service web-api) has reached a steady state."),
        running=3,
    )
    assert list(service_sightings(svc)) == []
    result = diagnose(Observations(kind="service", services=(svc,)))
    assert result.findings == []
    assert "running its desired tasks" in result.summary


def test_different_causes_in_events_are_kept_apart() -> None:
    svc = service(
        unhealthy("a1b2c3d4e5f6"),
        ServiceEvent(
            "(service web-api) was unable to place a task because no container instance met all of its "
            "requirements. The closest matching (container-instance 5e7b8f0d2a3b4c5d6e7f8a9b0c1d2e3f) has "
            "insufficient memory available."
        ),
    )
    assert sorted(s.match.category for s in service_sightings(svc)) == [
        "elb_health_check",
        "placement_insufficient_resources",
    ]


def test_failed_deployment_is_context() -> None:
    svc = service(
        deployments=(
            DeploymentFacts(
                id="ecs-svc/1",
                rollout_state="FAILED",
                rollout_state_reason="ECS deployment circuit breaker: tasks failed to start.",
            ),
            DeploymentFacts(id="ecs-svc/0", rollout_state="COMPLETED"),
        )
    )
    (sighting,) = list(service_sightings(svc))
    assert sighting.match.category == "other"
    assert sighting.match.secondary


def test_task_cause_ranks_above_deployment_context() -> None:
    svc = service(deployments=(DeploymentFacts(id="ecs-svc/1", rollout_state="FAILED"),))
    t = task("Essential container in task exited", C("app", 1))
    result = diagnose(Observations(kind="mixed", tasks=(t,), services=(svc,)))
    assert result.findings[0].category == "app_error"


# --- EventBridge Service Action / Deployment State Change -------------------------------------------------


def action(
    name: str, reason: str = "", event_type: str = "WARN", kind: str = "service_action"
) -> ActionEvent:
    return ActionEvent(
        kind=kind,  # type: ignore[arg-type]
        event_name=name,
        event_type=event_type,
        reason=reason,
        service="web-api",
        cluster="prod",
    )


@pytest.mark.parametrize(
    ("reason", "category"),
    [
        ("RESOURCE:FARGATE", "fargate_capacity_or_quota"),
        ("RESOURCE:MEMORY", "placement_insufficient_resources"),
        ("RESOURCE:CPU", "placement_insufficient_resources"),
        ("RESOURCE:PORTS", "placement_insufficient_resources"),
        ("RESOURCE:ENI", "eni_or_subnet"),
        ("ATTRIBUTE", "placement_constraint_or_no_instances"),
        ("", "placement_insufficient_resources"),
    ],
)
def test_placement_failure_action(reason: str, category: str) -> None:
    sighting = action_sighting(action("SERVICE_TASK_PLACEMENT_FAILURE", reason))
    assert sighting is not None
    assert sighting.match.category == category
    assert "SERVICE_TASK_PLACEMENT_FAILURE" in sighting.quote


def test_configuration_failure_action_reads_the_reason() -> None:
    role = f"arn:aws:iam::{ACCOUNT}:role/ecsTaskExecutionRole"
    sighting = action_sighting(
        action("SERVICE_TASK_CONFIGURATION_FAILURE", f"ECS was unable to assume the role '{role}'", "ERROR")
    )
    assert sighting is not None
    assert sighting.match.category == "invalid_task_definition_or_parameter"
    assert sighting.match.names["role"] == role


def test_configuration_failure_action_without_reason() -> None:
    sighting = action_sighting(action("SERVICE_TASK_CONFIGURATION_FAILURE", event_type="ERROR"))
    assert sighting is not None
    assert sighting.match.category == "invalid_task_definition_or_parameter"


@pytest.mark.parametrize("name", ["SERVICE_DEPLOYMENT_FAILED", "SERVICE_TASK_START_IMPAIRED"])
def test_deployment_failed_action_is_context(name: str) -> None:
    sighting = action_sighting(
        action(name, "ECS deployment circuit breaker: tasks failed to start.", "ERROR", kind="deployment")
    )
    assert sighting is not None
    assert sighting.match.category == "other"
    assert sighting.match.secondary
    assert sighting.source == "EventBridge deployment event"


@pytest.mark.parametrize(
    ("name", "event_type"),
    [
        ("SERVICE_STEADY_STATE", "INFO"),
        ("TASKSET_STEADY_STATE", "INFO"),
        ("CAPACITY_PROVIDER_STEADY_STATE", "INFO"),
        ("SERVICE_DEPLOYMENT_IN_PROGRESS", "INFO"),
        ("SERVICE_DEPLOYMENT_COMPLETED", "INFO"),
        ("SERVICE_DESIRED_COUNT_UPDATED", "INFO"),
        ("SOMETHING_NEW", "INFO"),
    ],
)
def test_informational_actions_are_ignored(name: str, event_type: str) -> None:
    assert action_sighting(action(name, event_type=event_type)) is None


def test_unknown_warning_action_is_quoted_as_other() -> None:
    sighting = action_sighting(action("SERVICE_DISCOVERY_INSTANCE_UNHEALTHY", event_type="WARN"))
    assert sighting is not None
    assert sighting.match.category == "other"
    assert sighting.source == "EventBridge service action event"


# --- what the user reads: ambiguity is said, not hidden ---------------------------------------------------


@pytest.mark.parametrize(
    ("t", "category", "alternative"),
    [
        (task("Essential container in task exited", C("worker", 137)), "oom", "sigkill_stop_timeout"),
        (
            task(
                "CannotPullContainerError: Error response from daemon: pull access denied for acme/billing, "
                "repository does not exist or may require 'docker login': denied: requested access to the "
                "resource is denied",
                C("app", None),
                stop_code="TaskFailedToStart",
            ),
            "image_pull_auth",
            "image_not_found",
        ),
    ],
)
def test_ambiguous_inputs_show_their_alternative(t: TaskFacts, category: str, alternative: str) -> None:
    top = diagnose(Observations(kind="task", tasks=(t,))).findings[0]
    assert top.category == category
    assert alternative in top.alternatives
    assert alternative in top.summary
