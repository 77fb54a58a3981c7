"""The Helm chart, rendered for every supported values set and checked against Kubernetes' schemas.

Every file in helm/ecs-why/ci/ is a supported values set (the chart-testing convention); each is
rendered with the Go renderer from conftest.py, validated with kubernetes-validate (strict: unknown
fields are errors) and checked for the properties the chart promises.
"""

from __future__ import annotations

import base64
import json
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml
from helm_render_support import CHART, CI_VALUES, NAMESPACE, RELEASE, RENDERER_SRC, Renderer, RenderError
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
}
FULLNAME = f"{RELEASE}"  # the release name contains the chart name, so it is the full name
SECRETS = (
    "xoxb-0000-test-bot-token",
    "test-signing-secret-0000",
    "xapp-0000-test-app-token",
)
DNS_1123_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
DNS_1123_SUBDOMAIN = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")


def by_kind(docs: list[dict[str, Any]], kind: str) -> list[dict[str, Any]]:
    return [d for d in docs if d["kind"] == kind]


def one(docs: list[dict[str, Any]], kind: str, name: str | None = None) -> dict[str, Any]:
    found = [d for d in by_kind(docs, kind) if name is None or d["metadata"]["name"] == name]
    assert len(found) == 1, f"expected one {kind} {name or ''}, got {[d['metadata']['name'] for d in found]}"
    return found[0]


def deployments(docs: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {d["metadata"]["labels"]["app.kubernetes.io/component"]: d for d in by_kind(docs, "Deployment")}


def container(deploy: dict[str, Any]) -> dict[str, Any]:
    containers = deploy["spec"]["template"]["spec"]["containers"]
    assert len(containers) == 1
    result: dict[str, Any] = containers[0]
    return result


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
def test_values_set_matches_values_schema(helm: Renderer, schema: dict[str, Any], values: str) -> None:
    jsonschema.Draft7Validator.check_schema(schema)
    jsonschema.Draft7Validator(schema).validate(helm.values(values))


def test_chart_defaults_match_values_schema(helm: Renderer, schema: dict[str, Any]) -> None:
    jsonschema.Draft7Validator(schema).validate(helm.values({}))


@pytest.mark.parametrize(
    ("bad", "where"),
    [
        ({"web": {"replicaCount": "three"}}, "replicaCount"),
        ({"replicaCount": 3}, "replicaCount"),  # a misplaced key is refused, not silently ignored
        ({"web": {"mode": "websocket"}}, "mode"),
        ({"image": {"pullPolicy": "Sometimes"}}, "pullPolicy"),
        ({"slack": {"botToken": "xoxp-user-token"}}, "botToken"),
        ({"config": {"operators": ["alice"]}}, "operators"),
        ({"config": {"historyRetentionDays": 1000}}, "historyRetentionDays"),
        ({"worker": {"enabled": "yes"}}, "enabled"),
        ({"web": {"port": 80}}, "port"),
        ({"ingress": {"pathType": "Regex"}}, "pathType"),
    ],
)
def test_values_schema_rejects_bad_values(
    helm: Renderer, schema: dict[str, Any], bad: dict[str, Any], where: str
) -> None:
    with pytest.raises(jsonschema.ValidationError) as info:
        jsonschema.Draft7Validator(schema).validate(helm.values("defaults-values.yaml", bad))
    assert where in f"{list(info.value.absolute_path)} {info.value.message}"


def test_chart_metadata() -> None:
    chart = yaml.safe_load((CHART / "Chart.yaml").read_text())
    assert chart["apiVersion"] == "v2"
    assert chart["name"] == "ecs-why"
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
    assert one(docs, "ConfigMap")["data"] == {}
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
        "ECS_WHY_ACCOUNTS": data["ECS_WHY_ACCOUNTS"],
        "ECS_WHY_SQS_QUEUE_URL": "https://sqs.us-east-1.amazonaws.com/123456789012/ecs-why-events",
        "ECS_WHY_REMEDIATION_ROLE_ARN": "arn:aws:iam::123456789012:role/ecs-why-remediation",
        "ECS_WHY_HISTORY_RETENTION_DAYS": "90",
        "ECS_WHY_LOG_LEVEL": "DEBUG",
        "ECS_WHY_GROUP_WINDOW_MINUTES": "30",
    }
    assert json.loads(data["ECS_WHY_ACCOUNTS"]) == [
        {
            "alias": "prod",
            "role_arn": "arn:aws:iam::210987654321:role/ecs-why-read",
            "regions": ["us-east-1", "eu-west-1"],
            "external_id": "ecs-why-prod",
        }
    ]
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


# ---- the renderer itself behaves like Helm where the chart relies on it ---------------------------------


def test_renderer_coalesces_like_helm(helm: Renderer) -> None:
    values = helm.values("defaults-values.yaml", {"web": {"affinity": None, "port": 3001}})
    assert "affinity" not in values["web"], "a null override deletes the default"
    assert values["web"]["port"] == 3001
    assert values["web"]["replicaCount"] == 2, "maps merge key by key"
    assert values["slack"]["botToken"] == "xoxb-0000-test-bot-token"


def test_renderer_source_is_gofmt_clean() -> None:
    gofmt = shutil.which("gofmt") or "/usr/lib/go/bin/gofmt"
    proc = subprocess.run(
        [gofmt, "-l", str(RENDERER_SRC)], capture_output=True, text=True, timeout=60, check=False
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == "", f"run gofmt -w on {proc.stdout}"


def test_renderer_implements_helm_functions(helm: Renderer, tmp_path: Path) -> None:
    """A throwaway chart exercising what the renderer adds to text/template + sprig."""
    chart = tmp_path / "demo"
    (chart / "templates").mkdir(parents=True)
    (chart / "files").mkdir()
    (chart / "Chart.yaml").write_text("apiVersion: v2\nname: demo\nversion: 1.2.3\nappVersion: '4.5'\n")
    (chart / "values.yaml").write_text("greeting: hello {{ .Release.Name }}\nmap: {b: 2, a: 1}\nn: 3000\n")
    (chart / "files" / "x.txt").write_text("from a file\n")
    (chart / "templates" / "_helpers.tpl").write_text('{{- define "demo.name" -}}{{ .Chart.Name }}{{- end }}')
    (chart / "templates" / "NOTES.txt").write_text("notes for {{ .Release.Name }}\n")
    (chart / "templates" / "cm.yaml").write_text(
        'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{ include "demo.name" . }}\ndata:\n'
        "  tpl: {{ tpl .Values.greeting . | quote }}\n"
        "  yaml: {{ toYaml .Values.map | quote }}\n"
        "  back: {{ (fromYaml (toYaml .Values.map)).b | quote }}\n"
        "  n: {{ .Values.n | quote }}\n"
        '  file: {{ .Files.Get "files/x.txt" | trim | quote }}\n'
        '  lookup: {{ lookup "v1" "Secret" "ns" "x" | len | quote }}\n'
        "  kube: {{ .Capabilities.KubeVersion.Version | quote }}\n"
        '  has: {{ .Capabilities.APIVersions.Has "policy/v1" | quote }}\n'
        '  chart: {{ printf "%s-%s-%s" .Chart.Name .Chart.Version .Chart.AppVersion | quote }}\n'
        "  ns: {{ .Release.Namespace }}\n"
        '  missing: "{{ .Values.nothing }}"\n'
        '  required: {{ required "need n" .Values.n | quote }}\n'
        '{{- if .Values.boom }}{{ fail "boom!" }}{{ end }}\n'
    )

    def render(*args: str) -> subprocess.CompletedProcess[str]:
        cmd = [str(helm.binary), "-chart", str(chart), "-name", "r1", "-namespace", "n1", *args]
        return subprocess.run(cmd, capture_output=True, text=True, timeout=30, check=False)

    out = render()
    assert out.returncode == 0, out.stderr
    assert "# Source: demo/templates/cm.yaml" in out.stdout
    assert "_helpers" not in out.stdout
    assert "notes for" not in out.stdout
    [doc] = [d for d in yaml.safe_load_all(out.stdout) if d]
    assert doc["metadata"]["name"] == "demo"
    assert doc["data"] == {
        "tpl": "hello r1",
        "yaml": "a: 1\nb: 2",
        "back": "2",
        "n": "3000",
        "file": "from a file",
        "lookup": "0",
        "kube": "v1.30.0",
        "has": "true",
        "chart": "demo-1.2.3-4.5",
        "ns": "n1",
        "missing": "",
        "required": "3000",
    }
    assert render("-notes").stdout == "notes for r1\n"
    boom = tmp_path / "boom.yaml"
    boom.write_text("boom: true\n")
    failed = render("-f", str(boom))
    assert failed.returncode == 1
    assert "boom!" in failed.stderr
    nulled = tmp_path / "null.yaml"
    nulled.write_text("n: null\n")
    failed = render("-f", str(nulled))
    assert failed.returncode == 1
    assert "need n" in failed.stderr
