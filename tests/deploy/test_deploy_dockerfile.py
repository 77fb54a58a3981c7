"""The container image: no container engine runs here, so the Dockerfile is linted (hadolint) and read.

Checked: the lint passes at every severity; the entrypoint is the console script pyproject declares and
the default command `serve`; the base image is pinned by digest; every path COPY takes exists and is
inside the build context that .dockerignore leaves; the final stage runs as a numeric non-root user and
holds the venv only; the HEALTHCHECK works against a real HTTP server; and the builder installs the
runtime lock with every hash checked (what that lock holds: tests/test_dependencies.py).
"""

from __future__ import annotations

import http.server
import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import threading
import tomllib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from helm_render_support import REPO

DOCKERFILE = REPO / "Dockerfile"
DOCKERIGNORE = REPO / ".dockerignore"


@dataclass
class Instruction:
    cmd: str
    args: str
    stage: int


def parse_dockerfile(text: str) -> list[Instruction]:
    """Instructions with their stage index (comments dropped, continuation lines joined)."""
    logical: list[str] = []
    buf = ""
    for raw in text.splitlines():
        line = raw.strip()
        if not buf and (not line or line.startswith("#")):
            continue
        if buf and line.startswith("#"):
            continue
        if line.endswith("\\"):
            buf += line[:-1] + " "
            continue
        logical.append(buf + line)
        buf = ""
    out: list[Instruction] = []
    stage = -1
    for line in logical:
        cmd, _, args = line.partition(" ")
        cmd = cmd.upper()
        if cmd == "FROM":
            stage += 1
        out.append(Instruction(cmd, args.strip(), stage))
    return out


@pytest.fixture(scope="module")
def instructions() -> list[Instruction]:
    return parse_dockerfile(DOCKERFILE.read_text())


def final_stage(instructions: list[Instruction]) -> list[Instruction]:
    last = max(i.stage for i in instructions)
    return [i for i in instructions if i.stage == last]


def exec_form(args: str) -> list[str]:
    value = json.loads(args)
    assert isinstance(value, list), f"not exec form: {args}"
    assert all(isinstance(v, str) for v in value), f"not exec form: {args}"
    return value


def tool(name: str) -> str:
    here = Path(sys.executable).parent / name
    found = str(here) if here.exists() else shutil.which(name)
    if found is None:
        pytest.fail(
            f"`{name}` is not installed: run scripts/setup (it installs the dev dependencies)", pytrace=False
        )
    return found


# ---- lint -------------------------------------------------------------------------------------------


def test_hadolint_passes() -> None:
    proc = subprocess.run(
        [tool("hadolint"), "--no-color", "--failure-threshold", "style", str(DOCKERFILE)],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert proc.returncode == 0, f"hadolint:\n{proc.stdout}{proc.stderr}"


# ---- what the image runs --------------------------------------------------------------------------------


def test_entrypoint_is_ecs_why_and_the_default_command_serve(instructions: list[Instruction]) -> None:
    """`docker run IMAGE worker` (or `diagnose …`, `--version`) runs that ecs-why command."""
    [entrypoint] = [i for i in final_stage(instructions) if i.cmd == "ENTRYPOINT"]
    assert exec_form(entrypoint.args) == ["ecs-why"]
    cmds = [i for i in final_stage(instructions) if i.cmd == "CMD"]
    assert len(cmds) == 1
    assert exec_form(cmds[0].args) == ["serve", "--host", "0.0.0.0", "--port", "3000"]
    scripts = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["scripts"]
    assert "ecs-why" in scripts, "the command is the console script pyproject declares"


def test_stages_and_base_image(instructions: list[Instruction]) -> None:
    froms = [i for i in instructions if i.cmd == "FROM"]
    assert len(froms) == 2, "a builder and a runtime stage"
    assert re.fullmatch(r"\$\{PYTHON_IMAGE\} AS builder", froms[0].args, re.I)
    assert froms[1].args == "${PYTHON_IMAGE}", "the runtime stage uses the same base, so the venv runs there"
    [arg] = [i for i in instructions if i.cmd == "ARG" and i.args.startswith("PYTHON_IMAGE=")]
    assert re.fullmatch(r"PYTHON_IMAGE=python:3\.11-slim(-\w+)?@sha256:[0-9a-f]{64}", arg.args), "pinned by digest"


def test_oci_labels_say_version_source_and_revision(instructions: list[Instruction]) -> None:
    final = final_stage(instructions)
    labels = " ".join(i.args for i in final if i.cmd == "LABEL")
    args = {i.args.partition("=")[0] for i in final if i.cmd == "ARG"}
    for key, arg in (("version", "VERSION"), ("revision", "REVISION"), ("source", "SOURCE")):
        assert f'org.opencontainers.image.{key}="${{{arg}}}"' in labels
        assert arg in args, f"build argument {arg} sets the {key} label"
    version = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["version"]
    assert f"ARG VERSION={version}" in [f"ARG {i.args}" for i in final if i.cmd == "ARG"]


def test_final_stage_is_venv_only_and_non_root(instructions: list[Instruction]) -> None:
    final = final_stage(instructions)
    copies = [i for i in final if i.cmd == "COPY"]
    assert [c.args for c in copies] == ["--from=builder /opt/venv /opt/venv"]
    runs = " ".join(i.args for i in final if i.cmd == "RUN")
    for forbidden in ("apt-get", "apk ", "pip ", "gcc", "build-essential", "curl", "wget"):
        assert forbidden not in runs, f"{forbidden!r} in the runtime stage"
    users = [i for i in final if i.cmd == "USER"]
    assert users, "the runtime stage sets a USER"
    uid, _, gid = users[-1].args.partition(":")
    assert uid.isdigit(), "numeric UID, so Kubernetes can check runAsNonRoot"
    assert int(uid) >= 10000, "a UID outside the range of the host's users"
    assert not gid or (gid.isdigit() and int(gid) > 0)
    # the chart's default securityContext runs as the same user
    values = (REPO / "helm" / "ecs-why" / "values.yaml").read_text()
    assert f"runAsUser: {uid}" in values
    env = " ".join(i.args for i in final if i.cmd == "ENV")
    assert "PYTHONDONTWRITEBYTECODE=1" in env, "no .pyc writes on a read-only root filesystem"
    assert "HOME=/tmp" in env
    assert "PATH=/opt/venv/bin:$PATH" in env


def test_builder_installs_the_runtime_lock_with_hashes_and_nothing_unhashed(
    instructions: list[Instruction],
) -> None:
    runs = [i.args for i in instructions if i.cmd == "RUN" and "pip install" in i.args]
    assert len(runs) == 1
    steps = [shlex.split(step) for step in runs[0].split("&&")]
    installs = [argv for argv in steps if argv[:2] == ["pip", "install"]]
    assert [argv[argv.index("-r") + 1] for argv in installs if "-r" in argv] == [
        "requirements/build.txt",
        "requirements/runtime.txt",
    ], "pip and setuptools pinned first, then the runtime lock (no demo, no dev)"
    for argv in installs:
        assert "--no-cache-dir" in argv
        assert "-e" not in argv
        assert "--editable" not in argv
        assert "-r" in argv or {"--no-deps", "--no-build-isolation"} <= set(argv), (
            f"{shlex.join(argv)}: installs what no hash checks"
        )
        if "-r" in argv:
            assert "--require-hashes" in argv
    assert installs[-1][-1] == ".", "the project itself, non-editable, last"
    assert ["ecs-why", "--version"] in steps, "the build fails when the installed command does not run"
    env = " ".join(i.args for i in instructions if i.cmd == "ENV" and i.stage == 0)
    assert "PIP_NO_CACHE_DIR=1" in env


def test_every_copied_path_exists_and_is_in_the_build_context(instructions: list[Instruction]) -> None:
    rules = dockerignore_rules()
    copies = [i for i in instructions if i.cmd in {"COPY", "ADD"} and "--from=" not in i.args]
    assert copies
    for copy in copies:
        assert copy.cmd == "COPY", "ADD fetches and unpacks; COPY is enough"
        parts = [p for p in copy.args.split() if not p.startswith("--")]
        for src in parts[:-1]:
            path = REPO / src
            assert path.exists(), f"COPY {src}: no such path in the repository"
            files = [path] if path.is_file() else [p for p in path.rglob("*.py")] or [path / "x.py"]
            for f in files[:20]:
                rel = f.relative_to(REPO).as_posix()
                assert not ignored(rel, rules), f"COPY {src}: {rel} is excluded by .dockerignore"


# ---- .dockerignore ------------------------------------------------------------------------------------


def dockerignore_rules() -> list[tuple[bool, re.Pattern[str]]]:
    rules = []
    for raw in DOCKERIGNORE.read_text().splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        negate = line.startswith("!")
        pattern = line.lstrip("!").strip().strip("/")
        regex = ""
        i = 0
        while i < len(pattern):
            if pattern.startswith("**/", i):
                regex += "(?:.*/)?"
                i += 3
            elif pattern.startswith("**", i):
                regex += ".*"
                i += 2
            elif pattern[i] == "*":
                regex += "[^/]*"
                i += 1
            elif pattern[i] == "?":
                regex += "[^/]"
                i += 1
            elif pattern[i] == "[":
                end = pattern.index("]", i)
                regex += pattern[i : end + 1]
                i = end + 1
            else:
                regex += re.escape(pattern[i])
                i += 1
        rules.append((negate, re.compile(regex)))
    return rules


def ignored(path: str, rules: list[tuple[bool, re.Pattern[str]]]) -> bool:
    """Docker's rule: the last pattern matching the path or one of its parent directories wins."""
    parts = path.split("/")
    prefixes = ["/".join(parts[:n]) for n in range(1, len(parts) + 1)]
    result = False
    for negate, regex in rules:
        if any(regex.fullmatch(p) for p in prefixes):
            result = not negate
    return result


@pytest.mark.parametrize(
    "path",
    [
        ".venv/bin/python",
        ".git/HEAD",
        "tests/deploy/conftest.py",
        ".pytest_cache/v/cache",
        ".mypy_cache/3.11/x.json",
        ".ruff_cache/CACHEDIR.TAG",
        ".hypothesis/examples/x",
        "bot/__pycache__/settings.cpython-311.pyc",
        "diagnosis/rules/__pycache__/x.pyc",
        "ecs_why.egg-info/PKG-INFO",
        ".env",
        "helm/ecs-why/values.yaml",
        "bench/results/x.json",
        "requirements/dev.txt",
        "requirements/demo.txt",
    ],
)
def test_dockerignore_keeps_out(path: str) -> None:
    assert ignored(path, dockerignore_rules())


@pytest.mark.parametrize(
    "path",
    [
        "pyproject.toml",
        "requirements/runtime.txt",
        "requirements/build.txt",
        "README.md",
        "bot/settings.py",
        "diagnosis/models.py",
    ],
)
def test_dockerignore_lets_in(path: str) -> None:
    assert not ignored(path, dockerignore_rules())


# ---- HEALTHCHECK ----------------------------------------------------------------------------------------


class _Health(http.server.BaseHTTPRequestHandler):
    status = 200

    def do_GET(self) -> None:
        self.send_response(self.status if self.path == "/healthz" else 404)
        self.end_headers()
        self.wfile.write(b"ok")

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def health_server() -> Iterator[http.server.HTTPServer]:
    server = http.server.HTTPServer(("127.0.0.1", 0), _Health)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


def test_healthcheck_probes_healthz_with_python(
    instructions: list[Instruction], health_server: http.server.HTTPServer
) -> None:
    [check] = [i for i in final_stage(instructions) if i.cmd == "HEALTHCHECK"]
    options, _, command = check.args.partition("CMD ")
    assert "--interval=" in options
    assert "--timeout=" in options
    argv = exec_form(command)
    assert argv[0] == "python"
    assert "/healthz" in " ".join(argv)
    env = {**os.environ, "HEALTHCHECK_PORT": str(health_server.server_address[1])}
    run = [sys.executable, *argv[1:]]
    _Health.status = 200
    assert subprocess.run(run, env=env, capture_output=True, timeout=30, check=False).returncode == 0
    _Health.status = 503
    assert subprocess.run(run, env=env, capture_output=True, timeout=30, check=False).returncode != 0
