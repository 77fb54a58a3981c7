"""A fix button on a service that a CloudFormation stack manages, on the running `ecs-why serve` against the
moto server: the modal names the stack, says its next update undoes the API change, and shows the
template change next to the AWS call; confirming it still changes the service once (mode warn), through
the remediation role assumed for that one change, as the clicking user."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from moto.backends import get_backend

from bot.store import Store
from bot.store.records import PendingAction
from tests.builders.served_bot import free_port
from tests.e2e.conftest import ROOT, cli_env, wait_until_serving
from tests.fakes.slack_api import FakeSlackApi
from tests.fakes.slack_requests import block_action, send, view_submission

pytestmark = pytest.mark.e2e
SECRET = "e2e-iac-secret"
OPERATOR = "U0IACOP"
STACK = "iac-stack"
ROLE = "arn:aws:iam::123456789012:role/ecs-why-remediation"
TEMPLATE = {
    "Resources": {
        "IacCluster": {"Type": "AWS::ECS::Cluster", "Properties": {"ClusterName": "iac"}},
        "ApiTask": {
            "Type": "AWS::ECS::TaskDefinition",
            "Properties": {
                "Family": "iac-api",
                "Cpu": "256",
                "Memory": "512",
                "ContainerDefinitions": [{"Name": "app", "Image": "nginx:1.27", "Memory": 512}],
            },
        },
        "ApiService": {
            "Type": "AWS::ECS::Service",
            "Properties": {
                "Cluster": {"Ref": "IacCluster"},
                "ServiceName": "api",
                "TaskDefinition": {"Ref": "ApiTask"},
                "DesiredCount": 0,
            },
        },
    }
}


def client(endpoint: str, service: str) -> Any:
    return boto3.client(
        service,
        region_name="us-east-1",
        endpoint_url=endpoint,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )


@pytest.fixture(scope="module")
def managed(endpoint: str) -> Iterator[str]:
    """The stack, and on its service the tag CloudFormation puts on what it creates (moto does not)."""
    client(endpoint, "cloudformation").create_stack(StackName=STACK, TemplateBody=json.dumps(TEMPLATE))
    ecs = client(endpoint, "ecs")
    arn = ecs.describe_services(cluster="iac", services=["api"])["services"][0]["serviceArn"]
    ecs.tag_resource(resourceArn=arn, tags=[{"key": "aws:cloudformation:stack-name", "value": STACK}])
    try:
        yield arn
    finally:  # leave the shared sandbox as it was: no cluster `iac` in later bare-name searches
        client(endpoint, "cloudformation").delete_stack(StackName=STACK)
        for service in ecs.list_services(cluster="iac").get("serviceArns", []):
            ecs.delete_service(cluster="iac", service=service, force=True)
        ecs.delete_cluster(cluster="iac")


@pytest.fixture(scope="module")
def own_redis(redis_url: str) -> str:
    """A database of its own on the shared redis-server: other modules count the audit of theirs."""
    return redis_url.rsplit("/", 1)[0] + "/7"


@pytest.fixture(scope="module")
def slack() -> Iterator[FakeSlackApi]:
    with FakeSlackApi() as api:
        yield api


@pytest.fixture(scope="module")
def bot(
    endpoint: str, own_redis: str, slack: FakeSlackApi, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    log = tmp_path_factory.mktemp("iac") / "serve.log"
    port = free_port()
    env = cli_env(endpoint) | {
        "SLACK_BOT_TOKEN": "xoxb-e2e",
        "SLACK_SIGNING_SECRET": SECRET,
        "SLACK_API_URL": slack.base_url,
        "REDIS_URL": own_redis,
        "ECS_WHY_OPERATORS": OPERATOR,
        "ECS_WHY_REMEDIATION_ROLE_ARN": ROLE,  # moto's STS hands out its credentials for the same account
    }
    with Path(log).open("w") as output:
        process = subprocess.Popen(
            [sys.executable, "-m", "bot.cli", "serve", "--host", "127.0.0.1", "--port", str(port)],
            env=env, cwd=ROOT, stdout=output, stderr=subprocess.STDOUT, text=True,
        )  # fmt: skip
        base = f"http://127.0.0.1:{port}"
        try:
            wait_until_serving(base, process, log.read_text)
            yield base
        finally:
            process.terminate()
            process.wait(timeout=10)


def grace(endpoint: str) -> int:
    found = client(endpoint, "ecs").describe_services(cluster="iac", services=["api"])["services"][0]
    return int(found.get("healthCheckGracePeriodSeconds") or 0)


def test_a_stack_managed_service_s_modal_shows_the_template_change_and_the_fix_runs_scoped(
    bot: str, slack: FakeSlackApi, managed: str, own_redis: str, endpoint: str
) -> None:
    """The button as a diagnosis would offer it (a pending action in Redis); the click and the modal are
    the running server's."""
    key = Store.from_url(own_redis).put_pending(
        PendingAction.model_validate(
            {
                "action": {
                    "kind": "raise_grace_period",
                    "params": {"cluster": "iac", "service": "api", "seconds": 120},
                },
                "target": {
                    "account": "123456789012",
                    "region": "us-east-1",
                    "cluster": "iac",
                    "service": "api",
                },
                "channel": "C1",
            }
        ),
        600,
    )
    send(bot, block_action("ecs_why_fix:0", key, user_id=OPERATOR), SECRET)
    view = slack.wait_for("views.open", timeout=30).params["view"]
    text = json.dumps(view)
    assert f"Managed by CloudFormation `{STACK}`" in text
    assert f"The next update of CloudFormation stack `{STACK}` will undo this API change" in text
    assert "ApiService:  # AWS::ECS::Service" in text and "HealthCheckGracePeriodSeconds: 120" in text
    assert (
        "aws ecs update-service --cluster iac --service api --health-check-grace-period-seconds 120" in text
    )
    assert view["submit"]["text"] == "Apply", "mode warn: the API change is still offered"

    shown = slack.views()[-1]
    send(
        bot,
        view_submission("ecs_why_confirm", shown["private_metadata"], user_id=OPERATOR, view=shown),
        SECRET,
    )
    slack.wait_for("chat.postMessage", lambda c: "applied" in c.params.get("text", ""), timeout=30)
    assert grace(endpoint) == 120

    # moto's STS kept each AssumeRole the server made, with its session name and inline policy
    assumed = [r for r in get_backend("sts")["123456789012"]["aws"].assumed_roles if r.role_arn == ROLE]
    assert assumed and {r.session_name for r in assumed} == {f"slack-{OPERATOR}"}
    policies = [json.loads(r.policy) for r in assumed]
    change = [p for p in policies if any(s["Sid"] == "TheChange" for s in p["Statement"])]
    assert change == [
        {
            "Version": "2012-10-17",
            "Statement": [
                {"Sid": "TheChange", "Effect": "Allow", "Action": ["ecs:UpdateService"], "Resource": managed}
            ],
        }
    ], "one change, one service"
    reads = [p for p in policies if p not in change]
    assert reads and all(
        p["Statement"][0]
        == {
            "Sid": "TheService",
            "Effect": "Allow",
            "Action": ["ecs:DescribeServices"],
            "Resource": managed,
        }
        for p in reads
    ), "planning and following read that service"
