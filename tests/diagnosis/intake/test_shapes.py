"""ECS-shaped JSON that is not a whole response: fragments, projections, event details, lists, failures,
CloudTrail records, Step Functions failures, JSON Lines and log lines carrying events."""

from __future__ import annotations

import json

import pytest

from diagnosis.engine import diagnose
from diagnosis.intake import InputError, python_literal, read_input
from diagnosis.models import Diagnosis

TASK = "arn:aws:ecs:us-east-1:123456789012:task/prod/0f1e2d3c4b5a69788796a5b4c3d2e1f0"
OOM = "OutOfMemoryError: Container killed due to memory usage"
ELB = (
    "Task failed ELB health checks in (target-group "
    "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/web/0f1e2d3c4b5a6978)"
)
EVENT = {
    "version": "0",
    "detail-type": "ECS Task State Change",
    "source": "aws.ecs",
    "account": "123456789012",
    "region": "us-east-1",
    "time": "2026-04-19T10:58:44Z",
    "detail": {"taskArn": TASK, "lastStatus": "STOPPED", "stoppedReason": ELB, "containers": []},
}


def explain(value: object) -> Diagnosis:
    intake = read_input(value if isinstance(value, str) else json.dumps(value))
    return diagnose(intake.observations, gaps=intake.gaps)


def event_of_task(n: int) -> dict[str, object]:
    """EVENT, as another task's stop: its own task ARN."""
    return {**EVENT, "detail": {**EVENT["detail"], "taskArn": f"{TASK[:-8]}{n:08x}"}}


def test_task_fragment_without_task_arn() -> None:
    doc = {
        "stopCode": "EssentialContainerExited",
        "containers": [{"name": "app", "exitCode": 137, "reason": OOM}],
    }
    result = explain(doc)
    assert result.findings[0].category == "oom"
    assert result.stats.input_kind == "task fragment"


def test_tasks_of_fragments() -> None:
    result = explain({"tasks": [{"stoppedReason": ELB}, {"stoppedReason": ELB}]})
    assert result.findings[0].category == "elb_health_check" and result.findings[0].task_count == 2


def test_query_projection_list_of_lists() -> None:
    # aws ecs describe-tasks --query 'tasks[].[taskArn,lastStatus,stoppedReason,containers[].exitCode]'
    rows = [[TASK, "STOPPED", "Essential container in task exited", [139]]]
    result = explain(rows)
    assert result.findings[0].category == "segfault"
    assert result.stats.input_kind == "query projection"
    assert result.target.task == "0f1e2d3c4b5a69788796a5b4c3d2e1f0"


def test_query_projection_with_renamed_keys() -> None:
    # --query 'tasks[].{id:taskArn,why:stoppedReason,code:stopCode,exit:containers[0].exitCode}'
    rows = [
        {
            "id": TASK,
            "why": "Essential container in task exited",
            "code": "EssentialContainerExited",
            "exit": 1,
        }
    ]
    result = explain(rows)
    assert result.findings[0].category == "app_error"
    assert "stop code: EssentialContainerExited" in result.findings[0].evidence[0].fact


def test_projection_of_reasons_only() -> None:
    assert explain([[ELB], [OOM]]).stats.tasks_stopped == 2


def test_service_action_detail_alone() -> None:
    detail = {
        "eventType": "ERROR",
        "eventName": "SERVICE_TASK_PLACEMENT_FAILURE",
        "clusterArn": "arn:aws:ecs:us-west-2:111122223333:cluster/default",
        "capacityProviderArns": ["arn:aws:ecs:us-west-2:111122223333:capacity-provider/FARGATE_SPOT"],
        "reason": "RESOURCE:FARGATE",
        "createdAt": "2020-06-09T02:24:09.071Z",
    }
    result = explain(detail)
    assert result.findings[0].category == "fargate_capacity_or_quota"
    assert result.stats.input_kind == "ECS Service Action event detail"
    assert result.target.cluster == "default"


def test_task_state_change_detail_alone() -> None:
    assert explain(EVENT["detail"]).findings[0].category == "elb_health_check"


def test_list_of_events() -> None:
    result = explain([EVENT, event_of_task(1)])
    assert result.stats.input_kind == "2 × ECS Task State Change event"
    assert result.stats.tasks_stopped == 2


def test_one_tasks_events_are_one_task() -> None:
    """Its DEPROVISIONING then STOPPED change, and EventBridge's second delivery of the last (at least once)."""
    deprovisioning = {**EVENT, "detail": {**EVENT["detail"], "lastStatus": "DEPROVISIONING"}}
    result = explain([deprovisioning, EVENT, EVENT])
    assert result.stats.input_kind == "3 × ECS Task State Change event"
    assert (result.stats.tasks_seen, result.stats.tasks_stopped) == (1, 1)
    assert result.findings[0].task_count == 1


def sns(message: object) -> dict[str, object]:
    """An SNS notification as an HTTP/email subscriber or SQS receives it: the payload is a JSON string."""
    return {
        "Type": "Notification",
        "MessageId": "95df01b4-ee98-5cb9-9903-4c221d41eb5e",
        "TopicArn": "arn:aws:sns:us-east-1:123456789012:ecs-stops",
        "Subject": None,
        "Message": json.dumps(message),
        "Timestamp": "2026-04-19T10:58:45.000Z",
    }


@pytest.mark.parametrize(
    "wrapped",
    [
        sns(EVENT),
        {"Records": [{"EventSource": "aws:sns", "Sns": sns(EVENT)}]},  # a Lambda subscribed to the topic
        {"Records": [{"messageId": "1", "body": json.dumps(sns(EVENT)), "eventSource": "aws:sqs"}]},
        {"Messages": [{"MessageId": "1", "Body": json.dumps(EVENT)}]},  # aws sqs receive-message
    ],
    ids=["sns", "lambda-sns", "sqs-of-sns", "sqs-receive-message"],
)
def test_an_event_inside_an_envelope_is_read_as_the_event(wrapped: object) -> None:
    bare, result = explain(EVENT), explain(wrapped)
    assert result.stats.input_kind == "ECS Task State Change event"
    assert result.findings == bare.findings
    assert result.target == bare.target
    assert not any(e.fact.count("detail-type") for f in result.findings for e in f.evidence)


def test_describe_services_failures_become_gaps() -> None:
    doc = {
        "services": [],
        "failures": [{"arn": "arn:aws:ecs:us-east-1:123456789012:service/prod/web", "reason": "MISSING"}],
    }
    result = explain(doc)
    assert result.findings == []
    assert "MISSING" in result.gaps[0].reason and result.gaps[0].what.endswith("service/prod/web")


def test_run_task_failures_are_placement_failures() -> None:
    doc = {
        "tasks": [],
        "failures": [
            {
                "arn": "arn:aws:ecs:us-east-1:123456789012:container-instance/prod/ab12",
                "reason": "RESOURCE:MEMORY",
            }
        ],
    }
    assert explain(doc).findings[0].category == "placement_insufficient_resources"


def test_cloudtrail_submit_task_state_change() -> None:
    record = {
        "eventSource": "ecs.amazonaws.com",
        "eventName": "SubmitTaskStateChange",
        "awsRegion": "us-east-1",
        "recipientAccountId": "123456789012",
        "requestParameters": {
            "cluster": "prod",
            "task": TASK,
            "status": "STOPPED",
            "reason": "Essential container in task exited",
            "containers": [{"containerName": "app", "exitCode": 137, "status": "STOPPED", "reason": OOM}],
        },
    }
    result = explain({"Records": [record]})
    assert result.findings[0].category == "oom"
    assert result.stats.input_kind == "CloudTrail SubmitTaskStateChange record"


def test_cloudtrail_stop_task_names_who() -> None:
    record = {
        "eventSource": "ecs.amazonaws.com",
        "eventName": "StopTask",
        "userIdentity": {"arn": "arn:aws:iam::123456789012:user/alice"},
        "requestParameters": {"cluster": "prod", "task": TASK, "reason": "manual cleanup"},
    }
    result = explain(record)
    assert result.findings[0].category == "user_stopped"
    assert "user/alice" in result.findings[0].evidence[0].fact


def test_step_functions_failure_with_the_task_as_a_json_string() -> None:
    cause = {
        "TaskArn": TASK,
        "LastStatus": "STOPPED",
        "StopCode": "EssentialContainerExited",
        "StoppedReason": "Essential container in task exited",
        "Containers": [{"Name": "job", "ExitCode": 1, "LastStatus": "STOPPED"}],
    }
    result = explain({"Error": "States.TaskFailed", "Cause": json.dumps(cause)})
    assert result.findings[0].category == "app_error"
    assert "job" in result.findings[0].summary
    assert result.stats.input_kind == "Step Functions task failure"


def test_json_lines() -> None:
    result = explain(json.dumps(EVENT) + "\n" + json.dumps(event_of_task(1)["detail"]) + "\n")
    assert result.stats.tasks_stopped == 2
    assert result.stats.input_kind.startswith("JSON Lines")


def test_cloudwatch_logs_archive_lines_with_timestamps() -> None:
    lines = [f"2026-04-19T10:58:4{i}.000Z\t{json.dumps(event_of_task(i))}" for i in range(3)]
    result = explain("\n".join(lines))
    assert result.stats.tasks_stopped == 3 and result.gaps == []
    assert result.findings[0].category == "elb_health_check"


def test_part_of_json_lines_unread_becomes_a_gap() -> None:
    result = explain(json.dumps(EVENT) + "\n" + json.dumps({"hello": "world"}) + "\nnot json either\n")
    assert result.findings[0].category == "elb_health_check"
    assert sorted(g.reason for g in result.gaps) == [
        "1 JSON document held no ECS task, service or event",
        "1 line held no ECS message",
    ]


@pytest.mark.parametrize(
    "doc", [{"hello": "world"}, [1, 2], {"tasks": []}, {"Records": [{"eventSource": "s3.amazonaws.com"}]}]
)
def test_json_with_nothing_of_ecs_is_refused(doc: object) -> None:
    with pytest.raises(InputError, match="holds no ECS"):
        read_input(json.dumps(doc))


def test_a_long_archive_of_event_lines_is_read_whole() -> None:
    lines = [
        f"2026-04-19T10:{i // 60 % 60:02d}:{i % 60:02d}.000Z\t{json.dumps(event_of_task(i))}"
        for i in range(2000)
    ]
    result = explain("\n".join(lines))
    assert result.stats.tasks_stopped == 2000 and result.gaps == []
    assert result.stats.input_kind == "JSON Lines (2000 × ECS Task State Change event)"


def test_lists_starting_a_line_inside_text_are_read() -> None:
    text = "here is the --query output:\n" + json.dumps([[TASK, "STOPPED", OOM]], indent=2) + "\nthanks"
    result = explain(text)
    assert result.findings[0].category == "oom"


# boto3's responses printed from Python: a Lambda's sample EventBridge event (stored index file 52569939307),
# a test's describe_tasks stub (Airflow's ECS operator tests, stored index file 342853644), and boto3's documented
# response syntax for times, `datetime(2015, 1, 1)`.
PY_EVENT = """SAMPLE_EVENT = {
    'source': 'aws.ecs',
    'detail-type': 'ECS Task State Change',
    'detail': {
        'taskArn': 'arn:aws:ecs:us-east-1:123456789012:task/prod-cluster/abc123def456',
        'clusterArn': 'arn:aws:ecs:us-east-1:123456789012:cluster/prod-cluster',
        'lastStatus': 'STOPPED',
        'desiredStatus': 'STOPPED',
        'group': 'service:my-api',
        'stopCode': 'EssentialContainerExited',
        'stoppedReason': 'Essential container in task exited',
        'stoppedAt': '2025-01-15T10:30:00Z',
        'containers': [
            {
                'name': 'app',
                'lastStatus': 'STOPPED',
                'exitCode': 137,
                'reason': 'OOMKilled',
            },
            {
                'name': 'otel-collector',
                'lastStatus': 'STOPPED',
                'exitCode': 0,
            },
        ],
    }
}"""
PY_STUB = """{
            'tasks': [
                {
                    'stopCode': 'TaskFailedToStart',
                    'stoppedReason': 'Task failed to start',
                    'containers': [{'name': 'foo', 'lastStatus': 'STOPPED'}],
                }
            ]
        }"""


def test_a_python_literal_of_an_event_is_read_as_the_event() -> None:
    intake = read_input(PY_EVENT)
    assert intake.kind == "ECS Task State Change event"
    result = diagnose(intake.observations, gaps=intake.gaps)
    assert [f.category for f in result.findings] == ["oom"]
    assert (result.target.service, result.target.task) == ("my-api", "abc123def456")


def test_a_python_literal_of_a_describe_tasks_response_is_read_as_one() -> None:
    assert read_input(PY_STUB).kind == "describe-tasks response"


# A describe_tasks task as Python prints boto3's response (dict repr: single quotes, datetime(...) with
# dateutil's tzlocal()); the values are made up, no held-out text's.
def test_boto3_s_datetime_values_are_read_as_times() -> None:
    doc = python_literal(
        "{'lastStatus': 'STOPPED', 'stoppedReason': 'Scaling activity initiated by (deployment ecs-svc/123)', "
        "'stoppingAt': datetime(2023, 2, 27, 17, 4, 9, 125000, tzinfo=tzlocal()), 'stoppedAt': datetime(2023, 2, 27)}"
    )
    assert doc == {
        "lastStatus": "STOPPED",
        "stoppedReason": "Scaling activity initiated by (deployment ecs-svc/123)",
        "stoppingAt": "2023-02-27T17:04:09.125000",
        "stoppedAt": "2023-02-27T00:00:00",
    }


@pytest.mark.parametrize(
    "text", ["{'a': 1}", "[print('x')]", "{'message': 'CannotPullContainerError: not found'"]
)
def test_a_literal_of_no_ecs_shape_is_left_to_the_text_reader(text: str) -> None:
    try:
        found = read_input(text).kind
    except InputError:
        return
    assert "response" not in found and "event" not in found


def test_a_datetime_naming_no_date_is_kept_as_written() -> None:
    assert python_literal("{'stoppedAt': datetime(2021, 13, 40)}") == {"stoppedAt": "2021, 13, 40"}


@pytest.mark.parametrize(
    "text",
    [
        json.dumps(
            {
                "family": "web",
                "containerDefinitions": [
                    {
                        "name": "web",
                        "image": "nginx",
                        "secrets": [
                            {
                                "name": "DB",
                                "valueFrom": "arn:aws:secretsmanager:us-east-1:123456789012:secret:db-AbCdEf",
                            }
                        ],
                    }
                ],
            }
        ),
        "Resources:\n  TaskDef:\n    Type: AWS::ECS::TaskDefinition\n    Properties:\n      ContainerDefinitions: []\n",
    ],
    ids=["register-task-definition JSON", "CloudFormation template"],
)
def test_a_task_definition_given_to_explain_is_refused_with_where_it_belongs(text: str) -> None:
    with pytest.raises(InputError, match="ecs-why check FILE"):
        read_input(text)
