"""Aws: clients from one session, adaptive retries, counting, rounds, and failures turned into gaps."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator

import pytest
from botocore.stub import Stubber

from diagnosis.collect.aws import Aws, Call, Outcome, first
from tests.builders.moto_world import moto_session


@pytest.fixture
def aws() -> Iterator[Aws]:
    with moto_session() as session:
        client = Aws(session)
        yield client
        client.close()


def test_clients_are_shared_and_use_adaptive_retries(aws: Aws) -> None:
    ecs = aws.client("ecs")
    assert aws.client("ecs") is ecs
    assert ecs.meta.region_name == "us-east-1"
    assert ecs.meta.config.retries["mode"] == "adaptive"


def test_a_round_runs_calls_at_once_and_counts_one_round(aws: Aws) -> None:
    aws.client("ecs").create_cluster(clusterName="prod")
    results = aws.round(
        {
            "clusters": Call("ecs", "list_clusters", {}, "clusters"),
            "vpcs": Call("ec2", "describe_vpcs", {}, "VPCs"),
            "groups": Call("logs", "describe_log_groups", {}, "log groups"),
            "metrics": Call("cloudwatch", "list_metrics", {}, "metrics"),
        }
    )
    assert aws.rounds == 1
    assert aws.calls == 5  # create_cluster counted too
    assert set(results) == {"clusters", "vpcs", "groups", "metrics"}
    assert all(r.ok for r in results.values())
    assert results["clusters"].data is not None
    assert results["clusters"].data["clusterArns"][0].endswith("cluster/prod")
    assert sorted(aws.log) == sorted(
        [
            "ecs:CreateCluster",
            "ecs:ListClusters",
            "ec2:DescribeVpcs",
            "logs:DescribeLogGroups",
            "cloudwatch:ListMetrics",
        ]
    )
    assert aws.round({}) == {}
    assert aws.rounds == 1


def test_calls_of_a_round_overlap(aws: Aws) -> None:
    """Each call waits 0.2 s; four of them in one round must overlap (not 0.8 s in a row)."""
    active, peak = 0, 0
    lock = threading.Lock()

    def slow(**_: object) -> None:
        nonlocal active, peak
        with lock:
            active += 1
            peak = max(peak, active)
        time.sleep(0.2)
        with lock:
            active -= 1

    aws.client("ecs").meta.events.register("before-call.ecs.ListClusters", slow)
    aws.round({str(i): Call("ecs", "list_clusters", {}, "clusters") for i in range(4)})
    assert peak >= 2


def test_a_round_runs_all_its_calls_at_once_however_many(aws: Aws) -> None:
    """A crash loop's round 2 holds a dozen describe-tasks batches: none waits for a free thread (each call
    waits here until all of them are in flight; a call left waiting would break the barrier)."""
    count = 24
    together = threading.Barrier(count, timeout=30)

    def wait(**_: object) -> None:  # a hook that returns a value would stand in for the response
        together.wait()

    aws.client("ecs").meta.events.register("before-call.ecs.ListClusters", wait)
    results = aws.round({str(i): Call("ecs", "list_clusters", {}, "clusters") for i in range(count)})
    assert all(r.ok for r in results.values()), [r.error for r in results.values()]
    assert aws.rounds == 1 and not aws.gaps


def test_iam_prefixes_for_renamed_services(aws: Aws) -> None:
    aws.round(
        {
            "tg": Call("elbv2", "describe_target_groups", {}, "target groups"),
            "m": Call("cloudwatch", "list_metrics", {}, "metrics"),
        }
    )
    assert sorted(aws.log) == ["cloudwatch:ListMetrics", "elasticloadbalancing:DescribeTargetGroups"]


def test_access_denied_becomes_a_gap_naming_the_iam_action(aws: Aws) -> None:
    logs = aws.client("logs")
    with Stubber(logs) as stub:
        stub.add_client_error(
            "get_log_events", service_error_code="AccessDeniedException", http_status_code=400
        )
        results = aws.round(
            {
                "logs": Call(
                    "logs",
                    "get_log_events",
                    {"logGroupName": "/ecs/web", "logStreamName": "s"},
                    "container logs",
                ),
                "clusters": Call("ecs", "list_clusters", {}, "clusters"),
            }
        )
    assert results["logs"] == Outcome(error="AccessDeniedException")
    assert results["clusters"].ok  # the rest still works
    [gap] = aws.gaps
    assert gap.what == "container logs"
    assert gap.iam_action == "logs:GetLogEvents"
    assert "logs:GetLogEvents" in gap.reason and "AccessDenied" in gap.reason


def test_ec2_unauthorized_operation_is_access_denied(aws: Aws) -> None:
    with Stubber(aws.client("ec2")) as stub:
        stub.add_client_error(
            "describe_subnets", service_error_code="UnauthorizedOperation", http_status_code=403
        )
        outcome = aws.call(Call("ec2", "describe_subnets", {}, "subnets"))
    assert outcome.error == "UnauthorizedOperation"
    assert aws.gaps[0].iam_action == "ec2:DescribeSubnets"


def test_throttling_becomes_a_gap_without_an_iam_action(aws: Aws) -> None:
    with Stubber(aws.client("ecs")) as stub:
        stub.add_client_error("list_clusters", service_error_code="ThrottlingException", http_status_code=400)
        outcome = aws.call(Call("ecs", "list_clusters", {}, "clusters"))
    assert outcome.error == "ThrottlingException"
    [gap] = aws.gaps
    assert "throttled" in gap.reason and gap.iam_action is None


def test_expected_errors_are_answers_not_gaps(aws: Aws) -> None:
    outcome = aws.call(
        Call(
            "secretsmanager",
            "describe_secret",
            {"SecretId": "arn:aws:secretsmanager:us-east-1:123456789012:secret:nope-AbCdEf"},
            "secret",
            frozenset({"ResourceNotFoundException"}),
        )
    )
    assert outcome.error == "ResourceNotFoundException"
    assert aws.gaps == []


def test_other_errors_become_gaps_with_the_code(aws: Aws) -> None:
    outcome = aws.call(Call("ecs", "describe_services", {"cluster": "nope", "services": ["web"]}, "service"))
    assert outcome.error == "ClusterNotFoundException"
    assert aws.gaps[0].what == "service"
    assert "ecs:DescribeServices failed (ClusterNotFoundException)" in aws.gaps[0].reason


def test_an_endpoint_that_does_not_answer_is_a_gap(aws: Aws) -> None:
    from botocore.exceptions import EndpointConnectionError

    def down(**_: object) -> None:
        raise EndpointConnectionError(endpoint_url="https://ecs.us-east-1.amazonaws.com")

    aws.client("ecs").meta.events.register("before-call.ecs.ListClusters", down)
    outcome = aws.call(Call("ecs", "list_clusters", {}, "clusters"))
    assert outcome.error == "EndpointConnectionError"
    assert "did not answer" in aws.gaps[0].reason


def test_first_reads_a_list_or_nothing() -> None:
    assert first(Outcome(data={"tasks": [{"a": 1}]}), "tasks") == [{"a": 1}]
    assert first(Outcome(data={"tasks": None}), "tasks") == []
    assert first(Outcome(data={"tasks": "x"}), "tasks") == []
    assert first(Outcome(error="AccessDenied"), "tasks") == []


def test_a_call_with_max_items_follows_every_page(aws: Aws) -> None:
    arns = [f"arn:aws:ecs:us-east-1:123456789012:task/prod/{i:032x}" for i in range(250)]
    params = {"cluster": "prod", "desiredStatus": "STOPPED", "maxResults": 100}
    with Stubber(aws.client("ecs")) as stub:
        stub.add_response("list_tasks", {"taskArns": arns[:100], "nextToken": "p2"}, params)
        stub.add_response(
            "list_tasks", {"taskArns": arns[100:200], "nextToken": "p3"}, {**params, "nextToken": "p2"}
        )
        stub.add_response("list_tasks", {"taskArns": arns[200:]}, {**params, "nextToken": "p3"})
        [outcome] = aws.round(
            {"stopped": Call("ecs", "list_tasks", params, "stopped tasks", max_items=1000)}
        ).values()
        stub.assert_no_pending_responses()
    assert (outcome.data or {})["taskArns"] == arns
    assert aws.rounds == 1  # (stubbed pages are answered before Aws counts them)


def test_max_items_bounds_the_pages_read(aws: Aws) -> None:
    arns = [f"t{i}" for i in range(300)]
    params = {"cluster": "prod", "maxResults": 100}
    with Stubber(aws.client("ecs")) as stub:
        stub.add_response("list_tasks", {"taskArns": arns[:100], "nextToken": "p2"}, params)
        stub.add_response(
            "list_tasks", {"taskArns": arns[100:200], "nextToken": "p3"}, {**params, "nextToken": "p2"}
        )
        outcome = aws.call(Call("ecs", "list_tasks", params, max_items=150))
    assert len((outcome.data or {})["taskArns"]) == 150


def test_answers_read_ahead_are_reused_and_only_the_gaps_of_those_used_are_said(aws: Aws) -> None:
    from diagnosis.collect.cause_evidence import Answers

    denied = Call(
        "logs", "get_log_events", {"logGroupName": "/ecs/web", "logStreamName": "a"}, "container logs"
    )
    other = Call(
        "logs", "get_log_events", {"logGroupName": "/ecs/web", "logStreamName": "b"}, "container logs"
    )
    answers = Answers()
    with Stubber(aws.client("logs")) as stub:
        for _ in range(2):
            stub.add_client_error("get_log_events", service_error_code="AccessDeniedException")
        ahead = answers.round(aws, {"logs": denied}, ahead=True)
        assert ahead["logs"].error == "AccessDeniedException" and aws.gaps == [], "held: maybe not needed"
        assert answers.round(aws, {"logs": other})["logs"].error == "AccessDeniedException"  # planned anew
        assert [g.call for g in aws.gaps] == ["logs:GetLogEvents"]
        aws.gaps.clear()
        again = answers.round(aws, {"logs": denied})  # the same call as read ahead: its answer, and its gap
        stub.assert_no_pending_responses()
    assert again["logs"] is ahead["logs"] and aws.rounds == 2, "no third call, no third round"
    assert [g.what for g in aws.gaps] == ["container logs"]
