"""Input parsing: every shape a user can paste, the fields ecs-why reads from it, and clear refusals."""

from __future__ import annotations

import copy
import json
from dataclasses import FrozenInstanceError, fields, replace
from typing import Any

import pytest

from diagnosis.models import ContainerFacts, TaskFacts
from diagnosis.parse import ACCEPTED_SHAPES, InputError, parse_document, parse_text

ACCOUNT = "123456789012"
TASK_ARN = f"arn:aws:ecs:eu-west-1:{ACCOUNT}:task/payments/9a8b7c6d5e4f30211203f4e5d6c7b8a9"
SERVICE_ARN = f"arn:aws:ecs:eu-west-1:{ACCOUNT}:service/payments/checkout-api"
TG = f"arn:aws:elasticloadbalancing:eu-west-1:{ACCOUNT}:targetgroup/checkout/0a1b2c3d4e5f6789"

TASK: dict[str, Any] = {
    "taskArn": TASK_ARN,
    "clusterArn": f"arn:aws:ecs:eu-west-1:{ACCOUNT}:cluster/payments",
    "group": "service:checkout-api",
    "taskDefinitionArn": f"arn:aws:ecs:eu-west-1:{ACCOUNT}:task-definition/checkout-api:17",
    "launchType": "FARGATE",
    "capacityProviderName": "FARGATE_SPOT",
    "platformVersion": "1.4.0",
    "cpu": "512",
    "memory": "1024",
    "lastStatus": "STOPPED",
    "desiredStatus": "STOPPED",
    "stopCode": "EssentialContainerExited",
    "stoppedReason": "Essential container in task exited",
    "createdAt": 1732093200,
    "startedAt": 1732093240.5,
    "stoppingAt": "2024-11-20T09:10:00.000000+00:00",
    "stoppedAt": "2024-11-20T09:10:02Z",
    "attachments": [
        {
            "type": "ElasticNetworkInterface",
            "status": "DELETED",
            "details": [
                {"name": "subnetId", "value": "subnet-0a1b2c3d4e5f67890"},
                {"name": "networkInterfaceId", "value": "eni-0123456789abcdef0"},
                {"name": "privateIPv4Address", "value": "10.0.1.23"},
            ],
        }
    ],
    "containers": [
        {
            "name": "checkout",
            "image": f"{ACCOUNT}.dkr.ecr.eu-west-1.amazonaws.com/checkout-api:2.14.0",
            "lastStatus": "STOPPED",
            "exitCode": 137,
            "reason": "OutOfMemoryError: Container killed due to memory usage",
            "essential": True,
        },
        {"name": "log-router", "lastStatus": "STOPPED", "exitCode": "0"},
    ],
}

SERVICE: dict[str, Any] = {
    "serviceArn": SERVICE_ARN,
    "serviceName": "checkout-api",
    "clusterArn": f"arn:aws:ecs:eu-west-1:{ACCOUNT}:cluster/payments",
    "status": "ACTIVE",
    "desiredCount": 3,
    "runningCount": 1,
    "pendingCount": 2,
    "launchType": "FARGATE",
    "taskDefinition": f"arn:aws:ecs:eu-west-1:{ACCOUNT}:task-definition/checkout-api:18",
    "healthCheckGracePeriodSeconds": 30,
    "loadBalancers": [{"targetGroupArn": TG, "containerName": "checkout", "containerPort": 8080}],
    "deploymentConfiguration": {
        "deploymentCircuitBreaker": {"enable": False, "rollback": False},
        "maximumPercent": 200,
        "minimumHealthyPercent": 100,
    },
    "deployments": [
        {
            "id": "ecs-svc/1234567890123456789",
            "status": "PRIMARY",
            "taskDefinition": f"arn:aws:ecs:eu-west-1:{ACCOUNT}:task-definition/checkout-api:18",
            "desiredCount": 3,
            "runningCount": 1,
            "failedTasks": 4,
            "rolloutState": "IN_PROGRESS",
            "rolloutStateReason": "ECS deployment ecs-svc/1234567890123456789 in progress.",
            "createdAt": "2024-11-20T09:00:00+00:00",
            "updatedAt": 1732093800,
        }
    ],
    "events": [
        {
            "id": "e1",
            "createdAt": "2024-11-20T09:12:00+00:00",
            "message": f"(service checkout-api) (port 8080) is unhealthy in (target-group {TG}) due to "
            "(reason Health checks failed with these codes: [503]).",
        },
        {
            "id": "e2",
            "createdAt": 1732093000,
            "message": "(service checkout-api) has reached a steady state.",
        },
        {"id": "e3", "message": ""},
    ],
}


def event(detail_type: str, detail: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {
        "version": "0",
        "id": "6a7e8feb-b491-4cf7-a9f1-bf3703467718",
        "detail-type": detail_type,
        "source": "aws.ecs",
        "account": ACCOUNT,
        "time": "2024-11-20T09:10:03Z",
        "region": "eu-west-1",
        "resources": [extra.pop("resource", TASK_ARN)],
        "detail": detail,
        **extra,
    }


# --- accepted shapes -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("doc", "kind"),
    [
        (TASK, "task"),
        ({"tasks": [TASK, TASK], "failures": []}, "describe-tasks response"),
        ([TASK], "task list"),
        (event("ECS Task State Change", TASK), "ECS Task State Change event"),
        ({"services": [SERVICE], "failures": []}, "describe-services response"),
        (SERVICE, "service"),
        ([SERVICE], "service list"),
    ],
)
def test_accepted_shapes(doc: object, kind: str) -> None:
    obs = parse_text(json.dumps(doc))
    assert obs.kind == kind


def test_describe_tasks_keeps_every_task() -> None:
    obs = parse_document({"tasks": [TASK, {**TASK, "taskArn": TASK_ARN[:-1] + "0"}]})
    assert [t.task_id for t in obs.tasks] == [
        TASK_ARN.rsplit("/", 1)[1],
        TASK_ARN.rsplit("/", 1)[1][:-1] + "0",
    ]


def test_task_with_only_reason_and_definition_is_a_task() -> None:
    obs = parse_document(
        {"stoppedReason": "Task failed to start", "taskDefinitionArn": TASK["taskDefinitionArn"]}
    )
    assert obs.kind == "task"


# --- field mapping ---------------------------------------------------------------------------------------


def test_task_fields() -> None:
    (task,) = parse_document(TASK).tasks
    assert task.task_arn == TASK_ARN
    assert task.task_id == "9a8b7c6d5e4f30211203f4e5d6c7b8a9"
    assert task.cluster == "payments"
    assert task.service == "checkout-api"
    assert task.group == "service:checkout-api"
    assert task.family_revision == "checkout-api:17"
    assert task.launch_type == "FARGATE"
    assert task.capacity_provider == "FARGATE_SPOT"
    assert task.platform_version == "1.4.0"
    assert (task.cpu, task.memory) == ("512", "1024")
    assert (task.last_status, task.desired_status) == ("STOPPED", "STOPPED")
    assert task.stop_code == "EssentialContainerExited"
    assert task.stopped_reason == "Essential container in task exited"
    assert (task.region, task.account) == ("eu-west-1", ACCOUNT)
    assert task.subnet_ids == ("subnet-0a1b2c3d4e5f67890",)


def test_container_fields() -> None:
    (task,) = parse_document(TASK).tasks
    app, router = task.containers
    assert app.name == "checkout"
    assert app.exit_code == 137
    assert app.reason.startswith("OutOfMemoryError")
    assert app.image.endswith("/checkout-api:2.14.0")
    assert app.essential is True
    assert router.exit_code == 0  # a string exit code is read as a number
    assert router.essential is None  # describe-tasks does not say; unknown, not False


def test_parsed_facts_are_what_their_own_constructor_builds() -> None:
    """The parser fills drafts and freezes them (diagnosis/models.py `finished`): each is a true TaskFacts or
    ContainerFacts, every field set, equal and hashed as the one built from the same values, and frozen."""
    (task,) = parse_document(TASK).tasks
    built = TaskFacts(
        **{f.name: getattr(task, f.name) for f in fields(TaskFacts) if f.name != "containers"},
        containers=tuple(
            ContainerFacts(**{f.name: getattr(c, f.name) for f in fields(c)}) for c in task.containers
        ),
    )
    assert type(task) is TaskFacts and all(type(c) is ContainerFacts for c in task.containers)
    assert task == built and hash(task) == hash(built) and repr(task) == repr(built)
    assert replace(task, stop_code="UserInitiated").containers == built.containers
    with pytest.raises(FrozenInstanceError):
        task.stop_code = "UserInitiated"  # type: ignore[misc]
    with pytest.raises(FrozenInstanceError):
        task.containers[0].exit_code = 0  # type: ignore[misc]


def test_times_from_epoch_seconds_and_iso() -> None:
    (task,) = parse_document(TASK).tasks
    assert task.created_at == "2024-11-20T09:00:00Z"
    assert task.started_at == "2024-11-20T09:00:40.500000Z"
    assert task.stopping_at == "2024-11-20T09:10:00.000000+00:00"
    assert task.stopped_at == "2024-11-20T09:10:02Z"


def test_cluster_from_task_arn_when_cluster_arn_is_missing() -> None:
    doc = {k: v for k, v in TASK.items() if k != "clusterArn"}
    (task,) = parse_document(doc).tasks
    assert task.cluster == "payments"


def test_old_task_arn_format_has_no_cluster() -> None:
    doc = {k: v for k, v in TASK.items() if k != "clusterArn"}
    doc["taskArn"] = f"arn:aws:ecs:us-east-1:{ACCOUNT}:task/0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0"
    (task,) = parse_document(doc).tasks
    assert task.cluster == ""
    assert task.task_id == "0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0"
    assert task.region == "us-east-1"


def test_standalone_task_has_no_service() -> None:
    (task,) = parse_document({**TASK, "group": "family:checkout-api"}).tasks
    assert task.service == ""
    assert task.group == "family:checkout-api"


def test_china_partition_arn() -> None:
    arn = f"arn:aws-cn:ecs:cn-north-1:{ACCOUNT}:task/batch/0123456789abcdef0123456789abcdef"
    (task,) = parse_document({"taskArn": arn, "lastStatus": "STOPPED", "containers": []}).tasks
    assert (task.region, task.account, task.cluster) == ("cn-north-1", ACCOUNT, "batch")


def test_event_region_and_account_fill_a_task_without_arn() -> None:
    detail = {"containers": [], "lastStatus": "STOPPED", "stoppedReason": "Task stopped by user"}
    (task,) = parse_document(event("ECS Task State Change", detail)).tasks
    assert (task.region, task.account) == ("eu-west-1", ACCOUNT)


def test_service_fields() -> None:
    (svc,) = parse_document(SERVICE).services
    assert svc.name == "checkout-api"
    assert svc.arn == SERVICE_ARN
    assert svc.cluster == "payments"
    assert (svc.status, svc.desired, svc.running, svc.pending) == ("ACTIVE", 3, 1, 2)
    assert svc.task_definition_arn.endswith("task-definition/checkout-api:18")
    assert svc.health_check_grace_period == 30
    assert svc.target_group_arns == (TG,)
    assert svc.circuit_breaker_enabled is False
    assert svc.circuit_breaker_rollback is False
    assert (svc.region, svc.account) == ("eu-west-1", ACCOUNT)


def test_service_events_and_deployments() -> None:
    (svc,) = parse_document(SERVICE).services
    assert [e.id for e in svc.events] == ["e1", "e2"]  # an event without a message is dropped
    assert svc.events[0].created_at == "2024-11-20T09:12:00+00:00"
    assert svc.events[1].created_at == "2024-11-20T08:56:40Z"
    (dep,) = svc.deployments
    assert dep.id == "ecs-svc/1234567890123456789"
    assert (dep.status, dep.rollout_state) == ("PRIMARY", "IN_PROGRESS")
    assert (dep.desired, dep.running, dep.failed_tasks) == (3, 1, 4)
    assert dep.updated_at == "2024-11-20T09:10:00Z"


def test_service_name_and_cluster_from_arn() -> None:
    doc = {"serviceArn": SERVICE_ARN, "status": "ACTIVE"}
    (svc,) = parse_document(doc).services
    assert (svc.name, svc.cluster) == ("checkout-api", "payments")


def test_service_without_breaker_config_is_unknown() -> None:
    doc = {k: v for k, v in SERVICE.items() if k != "deploymentConfiguration"}
    (svc,) = parse_document(doc).services
    assert svc.circuit_breaker_enabled is None


@pytest.mark.parametrize("detail_type", ["ECS Service Action", "ECS Deployment State Change"])
def test_service_action_and_deployment_events(detail_type: str) -> None:
    detail = {
        "eventType": "ERROR",
        "eventName": "SERVICE_DEPLOYMENT_FAILED",
        "deploymentId": "ecs-svc/1234567890123456789",
        "updatedAt": "2024-11-20T09:10:03.116Z",
        "reason": "ECS deployment circuit breaker: tasks failed to start.",
    }
    obs = parse_document(event(detail_type, detail, resource=SERVICE_ARN))
    (action,) = obs.actions
    assert obs.kind == f"{detail_type} event"
    assert action.kind == ("deployment" if detail_type == "ECS Deployment State Change" else "service_action")
    assert (action.event_name, action.event_type) == ("SERVICE_DEPLOYMENT_FAILED", "ERROR")
    assert (action.cluster, action.service) == ("payments", "checkout-api")
    assert action.deployment_id == "ecs-svc/1234567890123456789"
    assert action.reason.startswith("ECS deployment circuit breaker")
    assert (action.region, action.account) == ("eu-west-1", ACCOUNT)
    assert action.time == "2024-11-20T09:10:03Z"


def test_service_action_cluster_arn_wins() -> None:
    detail = {
        "eventType": "WARN",
        "eventName": "SERVICE_TASK_PLACEMENT_FAILURE",
        "clusterArn": f"arn:aws:ecs:eu-west-1:{ACCOUNT}:cluster/other",
        "reason": "RESOURCE:MEMORY",
    }
    (action,) = parse_document(event("ECS Service Action", detail, resource=SERVICE_ARN)).actions
    assert action.cluster == "other"
    assert action.service == "checkout-api"


# --- refusals ---------------------------------------------------------------------------------------------


def says_what_is_accepted(message: str) -> bool:
    return ACCEPTED_SHAPES in message or (
        "describe-tasks" in message and "ECS Task State Change" in message and "service" in message
    )


@pytest.mark.parametrize("text", ["", "   \n\t"])
def test_empty_input(text: str) -> None:
    with pytest.raises(InputError) as err:
        parse_text(text)
    assert "empty" in str(err.value)
    assert says_what_is_accepted(str(err.value))


@pytest.mark.parametrize(
    "text",
    [
        "arn:aws:ecs:us-east-1:123456789012:task/prod/abc",
        "{'taskArn': 'x'}",
        '{"taskArn": "x",',
        "tasks:\n  - taskArn: x",
        "[" * 100_000,
    ],
)
def test_not_json(text: str) -> None:
    with pytest.raises(InputError) as err:
        parse_text(text)
    assert "not JSON" in str(err.value)
    assert says_what_is_accepted(str(err.value))
    assert "\n" not in str(err.value)


@pytest.mark.parametrize(
    "doc",
    [
        {"hello": "world"},
        {"cluster": {"clusterName": "prod"}},
        [1, 2, 3],
        [{"name": "app"}],
        [],
        42,
        "a string",
        None,
        True,
        {"containers": []},
    ],
)
def test_unknown_shapes(doc: object) -> None:
    with pytest.raises(InputError) as err:
        parse_text(json.dumps(doc))
    assert says_what_is_accepted(str(err.value))


def test_other_eventbridge_events_are_refused_with_the_accepted_types() -> None:
    doc = event("EC2 Instance State-change Notification", {"instance-id": "i-0abc", "state": "terminated"})
    with pytest.raises(InputError) as err:
        parse_document(doc)
    message = str(err.value)
    assert "EC2 Instance State-change Notification" in message
    assert "ECS Task State Change" in message
    assert "ECS Service Action" in message


def test_task_state_change_without_a_task() -> None:
    with pytest.raises(InputError, match="not a task"):
        parse_document(event("ECS Task State Change", {"foo": "bar"}))


@pytest.mark.parametrize(
    ("doc", "words"),
    [
        ({"tasks": []}, "no tasks"),
        ({"tasks": [TASK, 1]}, "not ECS task objects"),
        ({"tasks": [{"name": "x"}]}, "not ECS task objects"),
        ({"services": []}, "no service"),
        ({"services": [{"foo": 1}]}, "no service"),
    ],
)
def test_empty_or_wrong_responses(doc: object, words: str) -> None:
    with pytest.raises(InputError, match=words):
        parse_document(doc)


WRONG_TYPES = [
    ("stoppedReason", {"text": "x"}),
    ("stoppedReason", ["x"]),
    ("containers", 5),
    ("group", ["service:x"]),
    ("createdAt", {"epoch": 1}),
]


@pytest.mark.parametrize(("field", "value"), WRONG_TYPES)
def test_wrong_field_types_are_input_errors(field: str, value: object) -> None:
    doc = copy.deepcopy(TASK)
    doc[field] = value
    with pytest.raises(InputError) as err:
        parse_document(doc)
    assert "describe-tasks" in str(err.value)
    assert "\n" not in str(err.value)


@pytest.mark.parametrize(("field", "value"), WRONG_TYPES[:2])
def test_wrong_field_type_message_says_what_is_expected(field: str, value: object) -> None:
    doc = copy.deepcopy(TASK)
    doc[field] = value
    with pytest.raises(InputError) as err:
        parse_document(doc)
    assert field in str(err.value)
    assert says_what_is_accepted(str(err.value))


@pytest.mark.parametrize(
    ("field", "value"),
    [("events", 3), ("deployments", 7), ("loadBalancers", True)],
)
def test_wrong_service_field_types_are_input_errors(field: str, value: object) -> None:
    with pytest.raises(InputError):
        parse_document({**SERVICE, field: value})


@pytest.mark.parametrize(
    ("field", "value", "read"),
    [
        ("exitCode", "137", 137),
        ("exitCode", 1.0, 1),
        ("exitCode", "n/a", None),
        ("exitCode", True, None),
        ("exitCode", None, None),
    ],
)
def test_lenient_numbers(field: str, value: object, read: int | None) -> None:
    doc = copy.deepcopy(TASK)
    doc["containers"][0][field] = value
    (task,) = parse_document(doc).tasks
    assert task.containers[0].exit_code == read


def test_out_of_range_epoch_is_dropped_not_an_error() -> None:
    (task,) = parse_document({**TASK, "stoppedAt": 10**20}).tasks
    assert task.stopped_at == ""


def test_non_mapping_entries_are_skipped() -> None:
    doc = {
        **TASK,
        "containers": [TASK["containers"][0], "junk", 3],
        "attachments": ["junk", {"details": ["x"]}],
    }
    (task,) = parse_document(doc).tasks
    assert [c.name for c in task.containers] == ["checkout"]
