"""Fixtures of the remediation tests: a clean AWS environment and one ECS service in moto."""

from __future__ import annotations

from collections.abc import Iterator

import boto3
import pytest
from moto import mock_aws
from moto.backends import get_backend

from tests.builders.ecs_service import ACCOUNT, CLUSTER, REGION, SERVICE, TD, Ecs, register


@pytest.fixture
def aws_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("AWS_PROFILE", "AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_ECS"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)


@pytest.fixture
def ecs(aws_env: None) -> Iterator[Ecs]:
    """A cluster, a Fargate task definition (cpu 256 / memory 512, revision 1 and 2) and a service on :2."""
    with mock_aws():
        client = boto3.Session(region_name=REGION).client("ecs")
        client.create_cluster(clusterName=CLUSTER)
        register(client)
        register(client)
        client.create_service(
            cluster=CLUSTER,
            serviceName=SERVICE,
            taskDefinition=f"{TD}:2",
            desiredCount=2,
            launchType="FARGATE",
        )
        backend = get_backend("ecs")[ACCOUNT][REGION]
        service = backend.services[f"{CLUSTER}:{SERVICE}"]
        service.health_check_grace_period_seconds = 10
        service.deployment_configuration = {
            "deploymentCircuitBreaker": {"enable": False, "rollback": False},
            "maximumPercent": 200,
            "minimumHealthyPercent": 100,
        }
        yield Ecs(client, backend)
