"""Readings that were wrong when a message was read by substring luck instead of by its structure (issue 10).
Each case failed before its fix."""

from __future__ import annotations

import pytest

from diagnosis.engine import diagnose
from diagnosis.parse import parse_document
from diagnosis.rules import read_message


def category(text: str) -> str | None:
    match = read_message(text)
    return match.category if match else None


@pytest.mark.parametrize(
    "text",
    [
        # 404 inside an account ID, a digest and a tag: the registry never said "not found"
        "CannotPullContainerError: failed to resolve ref 140404123456.dkr.ecr.us-east-1.amazonaws.com/web:v1: "
        "dial tcp 10.0.12.7:443: i/o timeout",
        "CannotPullContainerError: pull image manifest has been retried 5 time(s): failed to resolve ref "
        "docker.io/library/web@sha256:4a5c404e1f: dial tcp: lookup registry-1.docker.io: i/o timeout",
        "CannotPullContainerError: ref pull has been retried 1 time(s): failed to copy: 123456789012.dkr.ecr."
        "eu-west-1.amazonaws.com/api:release-404: context deadline exceeded",
    ],
)
def test_404_inside_names_is_not_not_found(text: str) -> None:
    assert category(text) == "image_pull_network"


@pytest.mark.parametrize(
    "text",
    [
        "CannotPullContainerError: API error (404): repository web not found",
        "CannotPullContainerError: failed to resolve ref x/y:z: unexpected status code 404 Not Found",
    ],
)
def test_a_real_404_is_still_not_found(text: str) -> None:
    assert category(text) == "image_not_found"


def test_a_port_is_not_a_403() -> None:
    text = "CannotPullContainerError: dial tcp 10.0.0.5 4031: connect: connection refused"
    assert category(text) == "image_pull_network"


def test_stopped_by_the_ecs_agent_on_a_drained_instance_is_not_a_user_stop() -> None:
    assert category("Task stopped by the ECS agent: the container instance was drained") == (
        "instance_terminated_or_drained"
    )


@pytest.mark.parametrize("who", ["user", "the user", "arn:aws:iam::123456789012:user/alice", "jenkins"])
def test_stopped_by_a_person_or_tool_is_a_user_stop(who: str) -> None:
    assert category(f"Task stopped by {who}") == "user_stopped"


@pytest.mark.parametrize(
    "text",
    [
        "Task stopped because it became unhealthy (service kelby-payments)",
        "(service shelby-api) (task 0f1e2d3c4b5a69788796a5b4c3d2e1f0) is unhealthy: dependency halbert-db",
    ],
)
def test_elb_alb_nlb_inside_other_words_is_no_load_balancer(text: str) -> None:
    assert category(text) != "elb_health_check"


@pytest.mark.parametrize(
    "text",
    [
        "(service web) (port 80) is unhealthy in (target-group arn:aws:elasticloadbalancing:us-east-1:"
        "123456789012:targetgroup/web/0f1e2d3c4b5a6978) due to (reason Health checks failed).",
        "Task failed ELB health checks in (target-group arn:aws:elasticloadbalancing:us-east-1:123456789012:"
        "targetgroup/web/0f1e2d3c4b5a6978)",
        "the ALB health check returned 502: unhealthy",
    ],
)
def test_load_balancer_words_still_read(text: str) -> None:
    assert category(text) == "elb_health_check"


def test_init_and_proxy_inside_an_app_name_do_not_make_it_a_sidecar() -> None:
    task = {
        "taskArn": "arn:aws:ecs:us-east-1:123456789012:task/prod/0f1e2d3c4b5a69788796a5b4c3d2e1f0",
        "lastStatus": "STOPPED",
        "group": "service:infinity-web",
        "stoppedReason": "Essential container in task exited",
        "containers": [
            {"name": "infinity-web", "exitCode": 1},  # "init" inside "infinity"
            {"name": "worker", "exitCode": 143},
        ],
    }
    top = diagnose(parse_document(task)).findings[0]
    assert top.category == "app_error" and "infinity-web" in top.summary


def test_real_sidecars_are_still_read_last() -> None:
    task = {
        "lastStatus": "STOPPED",
        "stoppedReason": "Essential container in task exited",
        "containers": [{"name": "envoy-proxy", "exitCode": 137}, {"name": "app", "exitCode": 1}],
    }
    assert diagnose(parse_document(task)).findings[0].category == "app_error"


@pytest.mark.parametrize(
    "text",
    [
        "Service web: task stopped because the service scaled in",
        "Task stopped: service scaled-in by application auto scaling",
    ],
)
def test_inflections_of_scale_in(text: str) -> None:
    assert category(text) == "scaling_or_deployment"


@pytest.mark.parametrize(
    "text", ["Timeout waiting for EBS volume attachment", "Timeout waiting for EBS volume attachment."]
)
def test_ebs_volume_attachment_timeout(text: str) -> None:
    assert category(text) == "volume_mount"


@pytest.mark.parametrize(
    "text",
    [
        "CannotPullContainerError: failed to get registry auth token: no basic auth credentials",
        "ResourceInitializationError: failed to get registry auth token: rpc error: code = Unknown desc = "
        "no basic auth credentials",
    ],
)
def test_registry_auth_token_refused_is_a_pull_auth_failure(text: str) -> None:
    assert category(text) == "image_pull_auth"


@pytest.mark.parametrize(
    "text",
    [
        "$ docker inspect 3f2a1b --format '{{.State.ExitCode}} {{.State.OOMKilled}}'",
        "jq '.[0].State.OOMKilled' inspect.json printed the container's state",
        'docker inspect web: {"Status": "exited", "OOMKilled": false, "ExitCode": 1}',
        "State.OOMKilled=false ExitCode=1 Error=",
    ],
)
def test_dockers_oomkilled_field_named_or_false_is_no_oom(text: str) -> None:
    assert category(text) != "oom"


def test_dockers_oomkilled_field_stated_true_is_an_oom() -> None:
    assert category('docker inspect web: {"Status": "exited", "OOMKilled": true, "ExitCode": 137}') == "oom"


@pytest.mark.parametrize(
    "text",
    [
        # the ECS agent's log of a failed transition to PULLED: the daemon's error is a registry timeout
        'level=error msg="Error transitioning container" container="app" nextState="PULLED" '
        'error="Error response from daemon: Get \\"https://123456789012.dkr.ecr.us-east-1.amazonaws.com/v2/\\": '
        'net/http: request canceled while waiting for connection (Client.Timeout exceeded while awaiting headers)"',
        # the Docker daemon's first call of a pull, to the registry's API root
        "Error response from daemon: Get https://registry-1.docker.io/v2/: dial tcp: lookup registry-1.docker.io "
        "on 10.0.0.2:53: no such host",
    ],
)
def test_a_pull_in_the_agents_or_daemons_log_words_is_a_pull(text: str) -> None:
    assert category(text) == "image_pull_network"


def test_an_applications_own_v2_api_call_is_no_pull() -> None:
    assert category("GET https://api.internal/v2/users: 500 internal error") != "image_pull_network"


@pytest.mark.parametrize(
    "text",
    [
        "Rotated secret arn:aws:secretsmanager:us-east-1:123456789012:secret:prod/db-AbCdEf successfully at 10:00",
        "Type: AWS::SecretsManager::Secret",
        "valueFrom: arn:aws:ssm:us-east-1:123456789012:parameter/prod/db/password",
    ],
)
def test_a_secret_named_without_a_failure_is_no_secrets_failure(text: str) -> None:
    assert category(text) != "secrets_retrieval"


def test_container_definitions_is_no_containerd_failure() -> None:
    assert category("ContainerDefinitions:") is None
    assert category("containerd: failed to create shim task: OCI runtime create failed") is not None
