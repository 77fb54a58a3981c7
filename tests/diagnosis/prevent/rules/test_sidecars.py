from __future__ import annotations

import pytest

from tests.builders.prevent import container, results, rule_ids, taskdef


@pytest.mark.parametrize(
    "image",
    [
        "public.ecr.aws/appmesh/aws-appmesh-envoy:v1.27.0.0-prod",
        "public.ecr.aws/datadog/agent:7",
        "public.ecr.aws/aws-observability/aws-for-fluent-bit:2.32.0",
        "amazon/aws-xray-daemon:3.3.7",
        "public.ecr.aws/aws-observability/aws-otel-collector:v0.35.0",
    ],
)
def test_an_essential_sidecar_is_a_warning_naming_the_app(image: str) -> None:
    definition = taskdef(container("app"), container("sidecar", image=image, portMappings=None))
    [found] = results(definition, "essential_sidecar")
    assert found.severity == "warning" and "sidecar" in found.fact and "app" in found.fact
    assert '"sidecar")).essential = false' in (found.fix.cli or "")
    assert '"app")).dependsOn +=' in (found.fix.cli or "")


def test_a_non_essential_sidecar_passes() -> None:
    sidecar = container("xray", image="amazon/aws-xray-daemon:3.3.7", essential=False, portMappings=None)
    assert "essential_sidecar" not in rule_ids(taskdef(container("app"), sidecar))


def test_a_firelens_router_is_a_sidecar_whatever_its_image() -> None:
    router = container(
        "router", image="example.com/custom-router:1", firelensConfiguration={"type": "fluentbit"}
    )
    assert "essential_sidecar" in rule_ids(taskdef(container("app"), router))


def test_a_task_that_is_only_the_agent_passes() -> None:
    assert "essential_sidecar" not in rule_ids(
        taskdef(container("agent", image="public.ecr.aws/datadog/agent:7"))
    )
