"""The Helm chart, rendered for every supported values set and checked against Kubernetes' schemas.

Every file in helm/ecs-why/ci/ is a supported values set (the chart-testing convention); each is linted
(`helm lint --strict`) and rendered (`helm template`) by the real Helm 4, validated with
kubernetes-validate (strict: unknown fields are errors) and checked for the properties the chart
promises. Values Helm must refuse (wrong types, unknown keys, a too-long release name) are refused.
"""

from __future__ import annotations

import base64
import json
import re
from typing import Any

import jsonschema
import pytest
import yaml
from helm_render_support import (
    CHART,
    CI_VALUES,
    NAMESPACE,
    RELEASE,
    REPO,
    Renderer,
    RenderError,
    by_kind,
    container,
    deployments,
    one,
)
from kubernetes_validate import utils as kv

# The oldest Kubernetes the chart supports (Chart.yaml kubeVersion) and a current one; both are among
# the schema sets kubernetes-validate ships in its wheel, so validation never goes online.
KUBE_VERSIONS = ("1.25.0", "1.33.0")
VALUE_SETS = sorted(p.name for p in CI_VALUES.glob("*-values.yaml"))
EXPECTED_SETS = {
    "defaults-values.yaml",
    "existing-secret-values.yaml",
    "irsa-values.yaml",
    "ingress-values.yaml",
    "worker-off-values.yaml",
    "hpa-values.yaml",
    "servicemonitor-values.yaml",
    "socket-mode-values.yaml",
    "monitoring-values.yaml",
}
FULLNAME = f"{RELEASE}"  # the release name contains the chart name, so it is the full name
SECRETS = (
    "xoxb-0000-test-bot-token",
    "test-signing-secret-0000",
    "xapp-0000-test-app-token",
)
DNS_1123_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
DNS_1123_SUBDOMAIN = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")


def env_of(deploy: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {e["name"]: e for e in container(deploy).get("env", [])}


@pytest.fixture(scope="module")
def schema() -> dict[str, Any]:
    result: dict[str, Any] = json.loads((CHART / "values.schema.json").read_text())
    return result


# ---- the values sets ---------------------------------------------------------------------------------


def test_every_supported_values_set_is_present() -> None:
    assert set(VALUE_SETS) == EXPECTED_SETS


@pytest.mark.parametrize("values", VALUE_SETS)
def test_helm_lint_strict_passes(helm: Renderer, values: str) -> None:
    proc = helm.lint(values)
    assert proc.returncode == 0, f"helm lint --strict -f ci/{values}:\n{proc.stdout}{proc.stderr}"
    assert "1 chart(s) linted, 0 chart(s) failed" in proc.stdout


def test_values_schema_is_a_valid_draft_7_schema(schema: dict[str, Any]) -> None:
    jsonschema.Draft7Validator.check_schema(schema)


@pytest.mark.parametrize(
    ("bad", "where"),
    [
        ({"web": {"replicaCount": "three"}}, "/web/replicaCount"),
        ({"replicaCount": 3}, "'replicaCount' not allowed"),  # a misplaced key is refused, not ignored
        ({"web": {"replicas": 3}}, "'replicas' not allowed"),
        ({"image": {"pullSecret": ["regcred"]}}, "'pullSecret' not allowed"),
        ({"image": {"pullSecrets": "regcred"}}, "/image/pullSecrets"),
        ({"web": {"mode": "websocket"}}, "/web/mode"),
        ({"image": {"pullPolicy": "Sometimes"}}, "/image/pullPolicy"),
        ({"slack": {"botToken": "xoxp-user-token"}}, "/slack/botToken"),
        ({"config": {"operators": ["alice"]}}, "/config/operators"),
        ({"config": {"guardrails": [{"name": "x", "mode": "maybe"}]}}, "/config/guardrails/0/mode"),
        ({"config": {"historyRetentionDays": 1000}}, "/config/historyRetentionDays"),
        ({"worker": {"enabled": "yes"}}, "/worker/enabled"),
        ({"web": {"port": 80}}, "/web/port"),
        ({"ingress": {"pathType": "Regex"}}, "/ingress/pathType"),
    ],
)
def test_helm_refuses_values_the_schema_forbids(helm: Renderer, bad: dict[str, Any], where: str) -> None:
    with pytest.raises(RenderError, match="don't meet the specifications of the schema") as info:
        helm.run("defaults-values.yaml", bad)
    assert where in str(info.value)
    lint = helm.lint("defaults-values.yaml", bad)
    assert lint.returncode != 0, "helm lint refuses them too"


def test_helm_refuses_a_release_name_longer_than_53_characters(helm: Renderer) -> None:
    with pytest.raises(RenderError, match="must not be longer than 53"):
        helm.run("defaults-values.yaml", release="e" * 54)
    with pytest.raises(RenderError, match="must not be longer than 53"):
        helm.notes("defaults-values.yaml", release="e" * 54)


def test_the_longest_release_name_gives_valid_object_names(helm: Renderer) -> None:
    docs = [d for d in yaml.safe_load_all(helm.run("defaults-values.yaml", release="e" * 53)) if d]
    assert docs
    for doc in docs:
        assert DNS_1123_LABEL.match(doc["metadata"]["name"]), doc["metadata"]["name"]
        assert len(doc["metadata"]["name"]) <= 63


def test_chart_metadata() -> None:
    chart = yaml.safe_load((CHART / "Chart.yaml").read_text())
    assert chart["apiVersion"] == "v2"
    assert chart["name"] == "ecs-why"
    assert chart["home"].startswith("https://")
    assert chart["sources"] and all(s.startswith("https://") for s in chart["sources"])
    assert chart["icon"].startswith(("https://", "data:image/svg+xml;base64,"))
    pyproject = (CHART.parents[1] / "pyproject.toml").read_text()
    version = re.search(r'^version = "([^"]+)"', pyproject, re.M)
    assert version is not None
    assert chart["appVersion"] == version.group(1), "appVersion (the default image tag) follows pyproject"


# ---- every manifest is a valid Kubernetes object --------------------------------------------------------


@pytest.mark.parametrize("kube_version", KUBE_VERSIONS)
@pytest.mark.parametrize("values", VALUE_SETS)
def test_manifests_validate_against_kubernetes_schemas(
    helm: Renderer, values: str, kube_version: str
) -> None:
    docs = helm.manifests(values)
    assert docs, "nothing rendered"
    for doc in docs:
        name = f"{doc.get('kind')}/{doc.get('metadata', {}).get('name')}"
        if doc["apiVersion"] == "monitoring.coreos.com/v1":
            continue  # a CRD kind: checked in test_service_monitor
        try:
            kv.validate(doc, kube_version, strict=True)
        except kv.ValidationError as exc:
            pytest.fail(
                f"{values}: {name} is invalid for Kubernetes {kube_version}: {exc.message} at "
                f"{'/'.join(map(str, exc.absolute_path))}"
            )
        except kv.SchemaNotFoundError as exc:
            pytest.fail(f"{values}: {exc.message}")


@pytest.mark.parametrize("values", VALUE_SETS)
def test_names_labels_and_namespace(helm: Renderer, values: str) -> None:
    docs = helm.manifests(values)
    keys = set()
    for doc in docs:
        meta = doc["metadata"]
        name = meta["name"]
        assert len(name) <= 63, name
        assert DNS_1123_LABEL.match(name), name
        assert meta["namespace"] == NAMESPACE
        labels = meta["labels"]
        assert labels["app.kubernetes.io/name"] == "ecs-why"
        assert labels["app.kubernetes.io/instance"] == RELEASE
        assert labels["app.kubernetes.io/managed-by"] == "Helm"
        assert labels["helm.sh/chart"].startswith("ecs-why-")
        for key in list(labels) + list(meta.get("annotations", {})):
            prefix, _, _ = key.rpartition("/")
            assert not prefix or DNS_1123_SUBDOMAIN.match(prefix), key
        key = (doc["kind"], name)
        assert key not in keys, f"duplicate {key}"
        keys.add(key)


# ---- pods: security, probes, checksums, environment -----------------------------------------------------


@pytest.mark.parametrize("values", VALUE_SETS)
def test_pods_run_locked_down(helm: Renderer, values: str) -> None:
    for component, deploy in deployments(helm.manifests(values)).items():
        pod = deploy["spec"]["template"]["spec"]
        psc = pod["securityContext"]
        assert psc["runAsNonRoot"] is True, component
        assert isinstance(psc["runAsUser"], int)
        assert psc["runAsUser"] >= 10000
        assert psc["seccompProfile"] == {"type": "RuntimeDefault"}
        assert pod["enableServiceLinks"] is False, "service env vars would leak into ECS_WHY_* settings"
        csc = container(deploy)["securityContext"]
        assert csc["runAsNonRoot"] is True
        assert csc["readOnlyRootFilesystem"] is True
        assert csc["allowPrivilegeEscalation"] is False
        assert csc["privileged"] is False
        assert csc["capabilities"] == {"drop": ["ALL"]}
        # the only writable place is /tmp, an emptyDir
        mounts = {m["mountPath"]: m["name"] for m in container(deploy)["volumeMounts"]}
        volumes = {v["name"]: v for v in pod["volumes"]}
        assert "emptyDir" in volumes[mounts["/tmp"]]
        assert "hostPath" not in json.dumps(pod)
        assert not pod.get("hostNetwork")
        assert not pod.get("hostPID")
        resources = container(deploy)["resources"]
        assert resources["requests"]["memory"]
        assert resources["limits"]["memory"]


@pytest.mark.parametrize("values", VALUE_SETS)
def test_probes(helm: Renderer, values: str) -> None:
    deploys = deployments(helm.manifests(values))
    web = container(deploys["web"])
    port = web["ports"][0]
    assert port["name"] == "http"
    assert port["containerPort"] == 3000
    assert web["livenessProbe"]["httpGet"] == {"path": "/healthz", "port": "http"}
    assert web["readinessProbe"]["httpGet"] == {"path": "/readyz", "port": "http"}
    assert web["startupProbe"]["httpGet"] == {"path": "/healthz", "port": "http"}
    if "worker" in deploys:
        worker = container(deploys["worker"])
        assert worker["ports"][0]["containerPort"] == 9090
        assert worker["livenessProbe"]["httpGet"] == {"path": "/healthz", "port": "http"}


@pytest.mark.parametrize("values", VALUE_SETS)
def test_checksum_annotations_follow_config_and_secret(helm: Renderer, values: str) -> None:
    for deploy in deployments(helm.manifests(values)).values():
        annotations = deploy["spec"]["template"]["metadata"]["annotations"]
        for key in ("checksum/config", "checksum/secret"):
            assert re.fullmatch(r"[0-9a-f]{64}", annotations[key]), key
    # a changed setting rolls the pods
    base = deployments(helm.manifests(values))["web"]["spec"]["template"]["metadata"]["annotations"]
    changed_config = deployments(helm.manifests(values, {"config": {"logLevel": "ERROR"}}))["web"]
    assert (
        changed_config["spec"]["template"]["metadata"]["annotations"]["checksum/config"]
        != base["checksum/config"]
    )


def test_secret_checksum_changes_with_token(helm: Renderer) -> None:
    def checksum(extra: dict[str, Any]) -> str:
        web = deployments(helm.manifests("defaults-values.yaml", extra))["web"]
        return str(web["spec"]["template"]["metadata"]["annotations"]["checksum/secret"])

    assert checksum({}) != checksum({"slack": {"botToken": "xoxb-rotated"}})
    assert checksum({}) == checksum({"config": {"logLevel": "ERROR"}})


def test_default_install(helm: Renderer) -> None:
    docs = helm.manifests("defaults-values.yaml")
    kinds = sorted(d["kind"] for d in docs)
    assert kinds == [
        "ConfigMap",
        "Deployment",
        "Deployment",
        "PodDisruptionBudget",
        "Secret",
        "Service",
        "ServiceAccount",
    ]
    deploys = deployments(docs)
    web, worker = deploys["web"], deploys["worker"]
    assert web["metadata"]["name"] == f"{FULLNAME}-web"
    assert web["spec"]["replicas"] == 2
    assert container(web)["command"] == ["ecs-why"]
    assert container(web)["args"] == ["serve", "--host", "0.0.0.0", "--port", "3000"]
    assert container(worker)["args"] == ["worker", "--port", "9090"]
    assert container(web)["image"] == "ecs-why:0.1.0"
    for deploy in (web, worker):
        env = env_of(deploy)
        assert env["SLACK_BOT_TOKEN"]["valueFrom"]["secretKeyRef"] == {
            "name": FULLNAME,
            "key": "SLACK_BOT_TOKEN",
        }
        assert env["REDIS_URL"]["valueFrom"]["secretKeyRef"] == {"name": FULLNAME, "key": "REDIS_URL"}
        assert "SLACK_APP_TOKEN" not in env
        assert all("value" not in e for e in env.values()), "no setting is inlined in the pod spec"
        assert container(deploy)["envFrom"] == [{"configMapRef": {"name": FULLNAME}}]
        assert deploy["spec"]["template"]["spec"]["serviceAccountName"] == FULLNAME
    secret = one(docs, "Secret")
    decoded = {k: base64.b64decode(v).decode() for k, v in secret["data"].items()}
    assert decoded == {
        "SLACK_BOT_TOKEN": "xoxb-0000-test-bot-token",
        "SLACK_SIGNING_SECRET": "test-signing-secret-0000",
        "REDIS_URL": "redis://redis-master:6379/0",
    }
    assert one(docs, "ConfigMap")["data"] == {
        "ECS_WHY_LOG_FORMAT": "json",  # JSON logs in a cluster
        "ECS_WHY_SHUTDOWN_GRACE_SECONDS": "50",  # 60 - 5 preStop - 5
    }
    pdb = one(docs, "PodDisruptionBudget")
    assert pdb["spec"]["minAvailable"] == 1
    assert pdb["spec"]["selector"]["matchLabels"] == web["spec"]["selector"]["matchLabels"]
    service = one(docs, "Service")
    assert service["spec"]["ports"] == [{"name": "http", "port": 80, "targetPort": "http", "protocol": "TCP"}]
    assert service["spec"]["selector"] == web["spec"]["selector"]["matchLabels"]
    # the web replicas are spread over nodes unless the user sets an affinity
    assert "podAntiAffinity" in web["spec"]["template"]["spec"]["affinity"]
    # no secret in anything but the Secret
    for doc in docs:
        if doc["kind"] != "Secret":
            text = json.dumps(doc)
            assert not any(s in text for s in SECRETS), doc["kind"]


def test_existing_secret_puts_no_secret_value_anywhere(helm: Renderer) -> None:
    out = helm.run("existing-secret-values.yaml") + helm.notes("existing-secret-values.yaml")
    leftovers = (
        "xoxb-must-not-appear-anywhere",
        "signing-secret-must-not-appear",
        "password-must-not-appear",
    )
    for value in leftovers:
        assert value not in out
        assert base64.b64encode(value.encode()).decode()[:16] not in out
    docs = helm.manifests("existing-secret-values.yaml")
    assert by_kind(docs, "Secret") == [], "with both secrets external the chart creates none"
    for deploy in deployments(docs).values():
        env = env_of(deploy)
        refs = {k: v["valueFrom"]["secretKeyRef"] for k, v in env.items()}
        assert refs["SLACK_BOT_TOKEN"] == {"name": "ecs-why-slack", "key": "bot-token"}
        assert refs["SLACK_SIGNING_SECRET"] == {
            "name": "ecs-why-slack",
            "key": "signing-secret",
            "optional": False,
        }
        assert refs["REDIS_URL"] == {"name": "ecs-why-redis", "key": "url"}


def test_existing_slack_secret_with_redis_url_in_values(helm: Renderer) -> None:
    docs = helm.manifests(
        {"slack": {"existingSecret": "mine", "botToken": "xoxb-stale"}, "redis": {"url": "redis://r:6379/0"}}
    )
    secret = one(docs, "Secret")
    assert sorted(secret["data"]) == ["REDIS_URL"], "only the Redis URL, never the Slack tokens"
    assert "xoxb-stale" not in json.dumps(docs)
    env = env_of(deployments(docs)["web"])
    assert env["SLACK_BOT_TOKEN"]["valueFrom"]["secretKeyRef"]["name"] == "mine"
    assert env["REDIS_URL"]["valueFrom"]["secretKeyRef"]["name"] == FULLNAME


def test_irsa_and_settings(helm: Renderer) -> None:
    docs = helm.manifests("irsa-values.yaml")
    sa = one(docs, "ServiceAccount")
    assert sa["metadata"]["name"] == "ecs-why-bot"
    assert (
        sa["metadata"]["annotations"]["eks.amazonaws.com/role-arn"]
        == "arn:aws:iam::123456789012:role/ecs-why"
    )
    for deploy in deployments(docs).values():
        pod = deploy["spec"]["template"]["spec"]
        assert pod["serviceAccountName"] == "ecs-why-bot"
        assert pod["automountServiceAccountToken"] is True  # IRSA's projected token
    data = one(docs, "ConfigMap")["data"]
    assert data == {
        "AWS_REGION": "us-east-1",
        "ECS_WHY_CLUSTERS": "prod,staging",
        "ECS_WHY_OPERATORS": "U012AB3CD,S0614TZR7",
        "ECS_WHY_GUARDRAILS": data["ECS_WHY_GUARDRAILS"],
        "ECS_WHY_ACCOUNTS": data["ECS_WHY_ACCOUNTS"],
        "ECS_WHY_SQS_QUEUE_URL": "https://sqs.us-east-1.amazonaws.com/123456789012/ecs-why-events",
        "ECS_WHY_REMEDIATION_ROLE_ARN": "arn:aws:iam::123456789012:role/ecs-why-remediation",
        "ECS_WHY_HISTORY_RETENTION_DAYS": "90",
        "ECS_WHY_LOG_LEVEL": "DEBUG",
        "ECS_WHY_LOG_FORMAT": "json",
        "ECS_WHY_GROUP_WINDOW_MINUTES": "30",
        "ECS_WHY_SHUTDOWN_GRACE_SECONDS": "50",
    }
    assert json.loads(data["ECS_WHY_ACCOUNTS"]) == [
        {
            "alias": "prod",
            "role_arn": "arn:aws:iam::210987654321:role/ecs-why-read",
            "regions": ["us-east-1", "eu-west-1"],
            "external_id": "ecs-why-prod",
        }
    ]
    guardrails = json.loads(data["ECS_WHY_GUARDRAILS"])
    assert [(r["name"], r["mode"]) for r in guardrails] == [("prod-two-person", "approve"), ("frozen", "deny")]
    from bot.guardrails.rules import Rule

    assert [Rule(**r).name for r in guardrails] == ["prod-two-person", "frozen"], "the app reads what the chart sets"
    # the Redis URL of an ElastiCache cluster is a secret too (it may carry a password)
    assert "cache.amazonaws.com" not in json.dumps(one(docs, "ConfigMap"))
    assert "REDIS_URL" in one(docs, "Secret")["data"]


def test_every_variable_the_chart_sets_is_a_setting(helm: Renderer) -> None:
    """Each environment variable the chart sets is read by bot.settings.Settings, so none is a typo."""
    from pydantic import AliasChoices

    from bot.settings import Settings

    known = set()
    for name, info in Settings.model_fields.items():
        alias = info.validation_alias
        known |= (
            set(map(str, alias.choices)) if isinstance(alias, AliasChoices) else {f"ECS_WHY_{name.upper()}"}
        )
    socket = {"web": {"mode": "socket", "replicaCount": 1}}
    for extra in ({"config": {"slackApiUrl": "http://fake-slack/api/"}}, socket):
        docs = helm.manifests("irsa-values.yaml", extra)
        names = set(one(docs, "ConfigMap")["data"])
        for deploy in deployments(docs).values():
            names |= {e["name"] for e in container(deploy)["env"]}
        assert names - known == set()


def test_ingress_exposes_only_slack_events(helm: Renderer) -> None:
    docs = helm.manifests("ingress-values.yaml")
    ingress = one(docs, "Ingress")
    spec = ingress["spec"]
    assert spec["ingressClassName"] == "nginx"
    assert spec["tls"] == [{"hosts": ["ecs-why.example.com"], "secretName": "ecs-why.example.com-tls"}]
    [rule] = spec["rules"]
    assert rule["host"] == "ecs-why.example.com"
    [path] = rule["http"]["paths"]
    assert path["path"] == "/slack/events"
    assert path["backend"]["service"] == {"name": FULLNAME, "port": {"name": "http"}}
    assert ingress["metadata"]["annotations"] == {"cert-manager.io/cluster-issuer": "letsencrypt"}
    notes = helm.notes("ingress-values.yaml")
    assert "https://ecs-why.example.com/slack/events" in notes
    assert "deploy/slack/manifest.yaml" in notes
    assert "api.slack.com/apps" in notes


def test_worker_off(helm: Renderer) -> None:
    docs = helm.manifests("worker-off-values.yaml")
    deploys = deployments(docs)
    assert sorted(deploys) == ["web"]
    assert deploys["web"]["spec"]["replicas"] == 1
    assert by_kind(docs, "PodDisruptionBudget") == [], "a PDB on a single replica would block node drains"
    assert "REDIS_URL" not in env_of(deploys["web"])
    assert "REDIS_URL" not in one(docs, "Secret")["data"]
    assert "event worker off" in helm.notes("worker-off-values.yaml")


def test_hpa(helm: Renderer) -> None:
    docs = helm.manifests("hpa-values.yaml")
    hpa = one(docs, "HorizontalPodAutoscaler")
    web = deployments(docs)["web"]
    assert "replicas" not in web["spec"], "the HPA owns the replica count"
    assert hpa["spec"]["scaleTargetRef"] == {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "name": web["metadata"]["name"],
    }
    assert (hpa["spec"]["minReplicas"], hpa["spec"]["maxReplicas"]) == (3, 10)
    targets = {
        m["resource"]["name"]: m["resource"]["target"]["averageUtilization"] for m in hpa["spec"]["metrics"]
    }
    assert targets == {"cpu": 60, "memory": 80}
    assert one(docs, "PodDisruptionBudget", f"{FULLNAME}-web")


def test_service_monitor(helm: Renderer) -> None:
    docs = helm.manifests("servicemonitor-values.yaml")
    sm = one(docs, "ServiceMonitor")
    assert sm["apiVersion"] == "monitoring.coreos.com/v1"
    assert sm["metadata"]["labels"]["release"] == "kube-prometheus-stack"
    assert sm["spec"]["endpoints"] == [
        {"port": "http", "path": "/metrics", "interval": "15s", "scrapeTimeout": "10s"}
    ]
    selector = sm["spec"]["selector"]["matchLabels"]
    assert sm["spec"]["namespaceSelector"] == {"matchNames": [NAMESPACE]}
    # it finds the web pods (their Service) and the worker pods (a headless Service), on a port named http
    selected = [s for s in by_kind(docs, "Service") if selector.items() <= s["metadata"]["labels"].items()]
    components = sorted(s["metadata"]["labels"]["app.kubernetes.io/component"] for s in selected)
    assert components == ["web", "worker"]
    for service in selected:
        assert any(p["name"] == "http" for p in service["spec"]["ports"])
    worker_svc = one(docs, "Service", f"{FULLNAME}-worker-metrics")
    assert worker_svc["spec"]["clusterIP"] == "None"
    assert worker_svc["spec"]["ports"][0]["port"] == 9090
    assert by_kind(helm.manifests("defaults-values.yaml"), "ServiceMonitor") == []


def pod_specs(docs: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {c: d["spec"]["template"]["spec"] for c, d in deployments(docs).items()}


def test_image_pull_secrets_and_their_alias_image_pull_secrets(helm: Renderer) -> None:
    docs = helm.manifests(
        "defaults-values.yaml",
        {"imagePullSecrets": [{"name": "regcred"}], "image": {"pullSecrets": ["regcred", {"name": "mirror"}]}},
    )
    for component, spec in pod_specs(docs).items():
        assert spec["imagePullSecrets"] == [{"name": "regcred"}, {"name": "mirror"}], component
    for component, spec in pod_specs(helm.manifests("monitoring-values.yaml")).items():
        assert spec["imagePullSecrets"] == [{"name": "regcred"}], component
    for spec in pod_specs(helm.manifests("defaults-values.yaml")).values():
        assert "imagePullSecrets" not in spec


def test_network_policy_admits_the_ports_and_lets_out_dns_https_and_redis(helm: Renderer) -> None:
    docs = helm.manifests("monitoring-values.yaml")
    policy = one(docs, "NetworkPolicy")
    spec = policy["spec"]
    # it selects every pod of the release
    selector = spec["podSelector"]["matchLabels"]
    for component, deploy in deployments(docs).items():
        assert selector.items() <= deploy["spec"]["template"]["metadata"]["labels"].items(), component
    assert spec["policyTypes"] == ["Ingress", "Egress"]
    [ingress] = spec["ingress"]
    assert sorted(p["port"] for p in ingress["ports"]) == [3000, 9090]
    assert [peer["namespaceSelector"]["matchLabels"]["kubernetes.io/metadata.name"] for peer in ingress["from"]] == [
        "ingress-nginx",
        "monitoring",
    ]
    egress_ports = sorted({(p["port"], p["protocol"]) for rule in spec["egress"] for p in rule["ports"]})
    assert egress_ports == [(53, "TCP"), (53, "UDP"), (443, "TCP"), (6379, "TCP")]
    assert all("to" not in rule for rule in spec["egress"]), "AWS and Slack addresses change: ports only"
    assert by_kind(helm.manifests("defaults-values.yaml"), "NetworkPolicy") == []


def test_network_policy_without_a_worker_or_redis(helm: Renderer) -> None:
    docs = helm.manifests(
        {
            "slack": {"botToken": "xoxb-1", "signingSecret": "s"},
            "web": {"replicaCount": 1},
            "worker": {"enabled": False},
            "networkPolicy": {"enabled": True, "extraEgress": [{"ports": [{"port": 3128, "protocol": "TCP"}]}]},
        }
    )
    spec = one(docs, "NetworkPolicy")["spec"]
    assert [p["port"] for p in spec["ingress"][0]["ports"]] == [3000]
    assert "from" not in spec["ingress"][0], "no ingressFrom: any source"
    assert sorted({p["port"] for rule in spec["egress"] for p in rule["ports"]}) == [53, 443, 3128]


def alerts(docs: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    rule = one(docs, "PrometheusRule")
    [group] = rule["spec"]["groups"]
    return {r["alert"]: r for r in group["rules"]}


def test_prometheus_rule_has_the_documented_alerts_for_this_release(helm: Renderer) -> None:
    docs = helm.manifests("monitoring-values.yaml")
    rule = one(docs, "PrometheusRule")
    assert rule["apiVersion"] == "monitoring.coreos.com/v1"
    assert rule["metadata"]["labels"]["release"] == "kube-prometheus-stack"
    found = alerts(docs)
    documented = re.findall(r"^\| `(EcsWhy\w+)` \|", (REPO / "docs" / "metrics-and-alerts.md").read_text(), re.M)
    assert sorted(found) == sorted(documented), "docs/metrics-and-alerts.md lists the alerts the chart renders"
    for name, alert in found.items():
        assert alert["labels"]["severity"] in {"critical", "warning", "info"}, name
        assert alert["annotations"]["summary"], name
        assert f'namespace="{NAMESPACE}"' in alert["expr"], name
    assert 'pod=~"ecs-why-web-.*"' in found["EcsWhyNotReady"]["expr"]
    # another release gets its own pod names and job: nothing hard-coded
    other = helm.manifests("monitoring-values.yaml", {"fullnameOverride": "chatops"})
    assert 'pod=~"chatops-web-.*"' in alerts(other)["EcsWhyNotReady"]["expr"]
    assert 'pod=~"chatops-worker-.*"' in alerts(other)["EcsWhyWorkerStuck"]["expr"]


def test_prometheus_rule_alerts_on_metrics_the_app_exports(helm: Renderer) -> None:
    from bot.events import telemetry  # noqa: F401 - registers the event metrics
    from bot.metrics import REGISTRY

    exported = {m.name for m in REGISTRY.collect()}
    exported |= {f"{m.name}_bucket" for m in REGISTRY.collect() if m.type == "histogram"}
    exported |= {f"{m.name}_total" for m in REGISTRY.collect() if m.type == "counter"}
    kube = {"kube_pod_status_ready", "kube_pod_container_status_restarts_total"}  # kube-state-metrics
    for name, alert in alerts(helm.manifests("monitoring-values.yaml")).items():
        used = set(re.findall(r"\b(ecs_why_\w+|kube_\w+)\{", alert["expr"]))
        assert used, name
        assert used <= exported | kube, f"{name} uses {used - exported - kube}, which nothing exports"


def test_access_denied_alert_matches_every_code_a_diagnosis_reads_as_denied(helm: Renderer) -> None:
    from diagnosis.collect.aws import DENIED, THROTTLED

    expr = alerts(helm.manifests("monitoring-values.yaml"))["EcsWhyAccessDenied"]["expr"]
    [pattern] = re.findall(r'code=~"([^"]+)"', expr)
    assert all(re.fullmatch(pattern, code) for code in DENIED)
    assert not any(re.fullmatch(pattern, code) for code in THROTTLED)
    assert "by (action)" in expr, "the alert names the missing permission"


def test_prometheus_rule_off_by_default_and_extra_rules(helm: Renderer) -> None:
    assert by_kind(helm.manifests("defaults-values.yaml"), "PrometheusRule") == []
    extra = {"alert": "MyOwn", "expr": "vector(1)"}
    docs = helm.manifests("monitoring-values.yaml", {"prometheusRule": {"extraRules": [extra]}})
    assert alerts(docs)["MyOwn"] == extra


def test_socket_mode(helm: Renderer) -> None:
    docs = helm.manifests("socket-mode-values.yaml")
    web = deployments(docs)["web"]
    assert web["spec"]["replicas"] == 1
    assert web["spec"]["strategy"] == {"type": "Recreate"}, "two socket-mode pods would both answer"
    assert container(web)["args"][-1] == "--socket-mode"
    env = env_of(web)
    assert env["SLACK_APP_TOKEN"]["valueFrom"]["secretKeyRef"]["key"] == "SLACK_APP_TOKEN"
    assert env["SLACK_SIGNING_SECRET"]["valueFrom"]["secretKeyRef"]["optional"] is True
    assert by_kind(docs, "Ingress") == []
    assert [s["metadata"]["name"] for s in by_kind(docs, "Service")] == [
        f"{FULLNAME}-web-metrics",
        f"{FULLNAME}-worker-metrics",
    ]
    notes = helm.notes("socket-mode-values.yaml")
    assert "Socket Mode" in notes
    assert "/slack/events" not in notes


@pytest.mark.parametrize("values", VALUE_SETS)
def test_notes_tell_the_next_step(helm: Renderer, values: str) -> None:
    notes = helm.notes(values)
    assert "<no value>" not in notes
    assert "deploy/slack/manifest.yaml" in notes
    assert "api.slack.com/apps" in notes
    assert f"rollout status deployment/{FULLNAME}-web" in notes
    if "socket" not in values:
        assert "/slack/events" in notes
    assert not any(s in notes for s in SECRETS)


# ---- values the chart refuses --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({}, "slack.botToken is required"),
        ({}, "slack.signingSecret is required"),
        ({"slack": {"botToken": "xoxb-1", "signingSecret": "s"}}, "required by the worker"),
        (
            {"slack": {"botToken": "xoxb-1", "signingSecret": "s"}, "worker": {"enabled": False}},
            "more than one web replica",
        ),
        (
            {
                "slack": {"botToken": "xoxb-1"},
                "web": {"mode": "socket", "replicaCount": 1},
                "worker": {"enabled": False},
            },
            "slack.appToken",
        ),
        (
            {"slack": {"existingSecret": "s"}, "redis": {"url": "redis://r"}, "web": {"mode": "socket"}},
            "runs a single replica",
        ),
        (
            {"slack": {"existingSecret": "s"}, "redis": {"url": "redis://r"}, "ingress": {"enabled": True}},
            "ingress.hostname is required",
        ),
    ],
)
def test_chart_refuses_incomplete_values(helm: Renderer, values: dict[str, Any], message: str) -> None:
    with pytest.raises(RenderError, match=re.escape(message)):
        helm.run(values)


def test_existing_secret_alone_renders(helm: Renderer) -> None:
    docs = helm.manifests(
        {"slack": {"existingSecret": "s"}, "web": {"replicaCount": 1}, "worker": {"enabled": False}}
    )
    assert by_kind(docs, "Secret") == []
