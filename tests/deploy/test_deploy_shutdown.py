"""The chart's shutdown timing and the diagnosis workers, rendered with the real Helm: the app's drain
(ECS_WHY_SHUTDOWN_GRACE_SECONDS) fits in the pod's terminationGracePeriodSeconds after the preStop sleep,
and diagnosis workers run as their own Deployment while the web pods then only accept."""

from __future__ import annotations

from typing import Any

import pytest
from helm_render_support import Renderer, RenderError, container, deployments, one


def config(docs: list[dict[str, Any]]) -> dict[str, str]:
    return dict(one(docs, "ConfigMap").get("data") or {})


@pytest.mark.parametrize(("grace", "sleep"), [(60, 5), (30, 0), (120, 10)])
def test_the_drain_fits_in_the_pods_grace_after_the_prestop_sleep(
    helm: Renderer, grace: int, sleep: int
) -> None:
    docs = helm.manifests(
        "defaults-values.yaml",
        {"web": {"terminationGracePeriodSeconds": grace, "preStopSleepSeconds": sleep}},
    )
    web = deployments(docs)["web"]
    assert web["spec"]["template"]["spec"]["terminationGracePeriodSeconds"] == grace
    drain = int(config(docs)["ECS_WHY_SHUTDOWN_GRACE_SECONDS"])
    assert drain > 0 and sleep + drain < grace, "preStop + drain + closing within the grace period"
    lifecycle = container(web).get("lifecycle")
    if sleep:
        assert lifecycle == {"preStop": {"exec": {"command": ["sleep", str(sleep)]}}}
    else:
        assert lifecycle is None


def test_diagnosis_workers_run_apart_and_the_web_pods_only_accept(helm: Renderer) -> None:
    plain = helm.manifests("defaults-values.yaml")
    assert "diagnosis-worker" not in deployments(plain)
    assert "ECS_WHY_JOB_THREADS" not in config(plain), "by default the web pods run the requests"

    docs = helm.manifests("defaults-values.yaml", {"diagnosisWorker": {"enabled": True, "replicaCount": 3}})
    workers = deployments(docs)["diagnosis-worker"]
    assert workers["spec"]["replicas"] == 3
    assert container(workers)["args"] == ["diagnosis-worker", "--port", "9091", "--threads", "4"]
    assert container(workers)["readinessProbe"]["httpGet"]["path"] == "/readyz"
    assert workers["spec"]["template"]["spec"]["terminationGracePeriodSeconds"] == 60
    assert config(docs)["ECS_WHY_JOB_THREADS"] == "0"


def test_diagnosis_workers_need_redis(helm: Renderer) -> None:
    values = {
        "redis": {"url": ""},
        "worker": {"enabled": False},
        "web": {"replicaCount": 1},
        "diagnosisWorker": {"enabled": True},
    }
    with pytest.raises(RenderError, match="diagnosis workers"):
        helm.manifests("defaults-values.yaml", values)
