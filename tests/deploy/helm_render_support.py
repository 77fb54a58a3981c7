"""Helpers for the shipping tests: the repository paths and a Helm renderer built from Go sources.

The helm binary cannot be installed on these machines, so `helmrender/` (text/template + sprig + Helm's
own functions) is compiled once per session from Debian's Go packages in GOPATH mode, offline.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]
CHART = REPO / "helm" / "ecs-why"
CI_VALUES = CHART / "ci"
RENDERER_SRC = Path(__file__).resolve().parent / "helmrender"
GOPATH = Path("/usr/share/gocode")
GO_PACKAGES = ("github.com/Masterminds/sprig", "gopkg.in/yaml.v3")
SETUP_HINT = (
    "run scripts/setup (it installs golang-go, golang-github-masterminds-sprig-dev and "
    "golang-gopkg-yaml.v3-dev)"
)

RELEASE = "ecs-why"
NAMESPACE = "ops"


class RenderError(Exception):
    """The chart refused the values (Helm's `fail`/`required`) or a template broke."""


@dataclass
class Renderer:
    binary: Path
    workdir: Path
    _cache: dict[tuple[str, ...], str] = field(default_factory=dict)

    def _values_file(self, values: dict[str, Any] | Path | str) -> Path:
        if isinstance(values, Path):
            return values
        if isinstance(values, str):
            return CI_VALUES / values
        text = yaml.safe_dump(values, sort_keys=True)
        path = self.workdir / f"values-{abs(hash(text)):x}.yaml"
        path.write_text(text)
        return path

    def run(self, *values: dict[str, Any] | Path | str, mode: str = "manifests") -> str:
        """Render like `helm template ecs-why helm/ecs-why -n ops -f ...`; raises RenderError."""
        files = [str(self._values_file(v)) for v in values]
        key = (mode, *files)
        if key in self._cache:
            return self._cache[key]
        cmd = [str(self.binary), "-chart", str(CHART), "-name", RELEASE, "-namespace", NAMESPACE]
        for f in files:
            cmd += ["-f", f]
        if mode == "notes":
            cmd.append("-notes")
        elif mode == "values":
            cmd.append("-show-values")
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=60, check=False)
        if proc.returncode != 0:
            raise RenderError(proc.stderr.strip())
        self._cache[key] = proc.stdout
        return proc.stdout

    def manifests(self, *values: dict[str, Any] | Path | str) -> list[dict[str, Any]]:
        return [doc for doc in yaml.safe_load_all(self.run(*values)) if doc]

    def notes(self, *values: dict[str, Any] | Path | str) -> str:
        return self.run(*values, mode="notes")

    def values(self, *values: dict[str, Any] | Path | str) -> dict[str, Any]:
        """The coalesced values (chart defaults + overrides), as Helm validates them against the schema."""
        result: dict[str, Any] = json.loads(self.run(*values, mode="values"))
        return result


def build_renderer(out_dir: Path) -> Path:
    go = shutil.which("go")
    if go is None:
        pytest.fail(f"the Go toolchain (`go`) is not installed: {SETUP_HINT}", pytrace=False)
    missing = [p for p in GO_PACKAGES if not (GOPATH / "src" / p).is_dir()]
    if missing:
        pytest.fail(
            f"Go packages missing under {GOPATH}/src: {', '.join(missing)}; {SETUP_HINT}", pytrace=False
        )
    binary = out_dir / "helmrender"
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(out_dir),
        "GO111MODULE": "off",
        "GOPATH": str(GOPATH),
        "GOCACHE": str(out_dir / "gocache"),
        "GOFLAGS": "",
        "CGO_ENABLED": "0",
    }
    proc = subprocess.run(
        [go, "build", "-o", str(binary), "."],
        cwd=RENDERER_SRC,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    if proc.returncode != 0:
        pytest.fail(f"building tests/deploy/helmrender failed ({SETUP_HINT}?):\n{proc.stderr}", pytrace=False)
    return binary
