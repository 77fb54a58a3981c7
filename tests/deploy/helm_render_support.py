"""Helpers for the shipping tests: the repository paths, the real Helm 4 binary and the rendered manifests.

scripts/setup puts Helm in .venv/bin (taken from a PyPI wheel that ships it); nothing here talks to a
cluster: `helm template`, `helm lint` and `helm install --dry-run=client` render and check offline.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]
CHART = REPO / "helm" / "ecs-why"
CI_VALUES = CHART / "ci"
SETUP_HINT = "run scripts/setup all (it puts the real Helm 4 in .venv/bin)"

RELEASE = "ecs-why"
NAMESPACE = "ops"


class RenderError(Exception):
    """Helm refused the values (schema, `fail`, `required`) or the release, or a template broke."""


def helm_binary() -> Path:
    here = Path(sys.executable).parent / "helm"
    found = here if here.exists() else (Path(p) if (p := shutil.which("helm")) else None)
    if found is None:
        pytest.fail(f"helm is not installed: {SETUP_HINT}", pytrace=False)
    version = subprocess.run(
        [str(found), "version", "--short"], capture_output=True, text=True, timeout=30, check=False
    ).stdout
    if not version.startswith("v4."):
        pytest.fail(f"{found} is Helm {version.strip() or '?'}, the chart is tested with Helm 4: {SETUP_HINT}")
    return found


@dataclass
class Renderer:
    """The chart as the real `helm` renders it for RELEASE in NAMESPACE, with values files or dicts."""

    binary: Path
    workdir: Path
    _cache: dict[tuple[str, ...], str] = field(default_factory=dict)

    def env(self) -> dict[str, str]:
        """Helm's caches and config in the work dir, and no kubeconfig: nothing can reach a cluster."""
        return {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "HOME": str(self.workdir),
            "HELM_CACHE_HOME": str(self.workdir / "cache"),
            "HELM_CONFIG_HOME": str(self.workdir / "config"),
            "HELM_DATA_HOME": str(self.workdir / "data"),
            "KUBECONFIG": str(self.workdir / "no-kubeconfig"),
        }

    def values_file(self, values: dict[str, Any] | Path | str) -> Path:
        if isinstance(values, Path):
            return values
        if isinstance(values, str):
            return CI_VALUES / values
        text = yaml.safe_dump(values, sort_keys=True)
        path = self.workdir / f"values-{abs(hash(text)):x}.yaml"
        path.write_text(text)
        return path

    def helm(self, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [str(self.binary), *args],
            cwd=REPO,
            env=self.env(),
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )

    def _call(self, verb: str, values: tuple[dict[str, Any] | Path | str, ...], release: str) -> str:
        flags = [arg for v in values for arg in ("-f", str(self.values_file(v)))]
        key = (verb, release, *flags)
        if key not in self._cache:
            if verb == "template":
                args = ["template", release, str(CHART), "-n", NAMESPACE, *flags]
            else:  # the release as `helm install` would create it, NOTES included
                args = ["install", release, str(CHART), "-n", NAMESPACE, "--dry-run=client", "-o", "json", *flags]
            proc = self.helm(*args)
            if proc.returncode != 0:
                raise RenderError(proc.stderr.strip())
            self._cache[key] = proc.stdout
        return self._cache[key]

    def run(self, *values: dict[str, Any] | Path | str, release: str = RELEASE) -> str:
        """`helm template RELEASE helm/ecs-why -n ops -f ...`; raises RenderError."""
        return self._call("template", values, release)

    def manifests(self, *values: dict[str, Any] | Path | str) -> list[dict[str, Any]]:
        return [doc for doc in yaml.safe_load_all(self.run(*values)) if doc]

    def notes(self, *values: dict[str, Any] | Path | str, release: str = RELEASE) -> str:
        """What `helm install` prints after installing (templates/NOTES.txt, rendered)."""
        notes: str = json.loads(self._call("install", values, release))["info"].get("notes", "")
        return notes

    def lint(self, *values: dict[str, Any] | Path | str) -> subprocess.CompletedProcess[str]:
        """`helm lint --strict`: warnings fail too."""
        flags = [arg for v in values for arg in ("-f", str(self.values_file(v)))]
        return self.helm("lint", "--strict", str(CHART), "-n", NAMESPACE, *flags)


# ------------------------------------------------------------------ reading the rendered manifests


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
