"""The container image: no container engine runs here, so the Dockerfile is linted (hadolint) and read.

Checked: the lint passes at every severity; the default command is `ecs-why serve` through the console
script pyproject declares; every path COPY takes exists and is inside the build context that
.dockerignore leaves; the final stage runs as a numeric non-root user and holds the venv only; the
HEALTHCHECK works against a real HTTP server; and requirements.lock pins every runtime dependency, so
`pip install -c requirements.lock .` is reproducible.
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
from importlib import metadata
from pathlib import Path

import pytest
from helm_render_support import REPO
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

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


def test_default_command_is_ecs_why_serve(instructions: list[Instruction]) -> None:
    cmds = [i for i in final_stage(instructions) if i.cmd == "CMD"]
    assert len(cmds) == 1
    assert exec_form(cmds[0].args) == ["ecs-why", "serve", "--host", "0.0.0.0", "--port", "3000"]
    assert not [i for i in instructions if i.cmd == "ENTRYPOINT"], "the worker runs by overriding CMD only"
    scripts = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["scripts"]
    assert "ecs-why" in scripts, "the command is the console script pyproject declares"


def test_stages_and_base_image(instructions: list[Instruction]) -> None:
    froms = [i for i in instructions if i.cmd == "FROM"]
    assert len(froms) == 2, "a builder and a runtime stage"
    assert re.fullmatch(r"\$\{PYTHON_IMAGE\} AS builder", froms[0].args, re.I)
    assert froms[1].args == "${PYTHON_IMAGE}", "the runtime stage uses the same base, so the venv runs there"
    [arg] = [i for i in instructions if i.cmd == "ARG" and i.args.startswith("PYTHON_IMAGE=")]
    assert re.fullmatch(r"PYTHON_IMAGE=python:3\.11-slim(-\w+)?", arg.args)


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


def test_builder_installs_from_the_lock_without_caches(instructions: list[Instruction]) -> None:
    runs = [i.args for i in instructions if i.cmd == "RUN" and "pip install" in i.args]
    assert len(runs) == 1
    argv = shlex.split(runs[0].split("&&")[0])
    assert argv[:3] == ["pip", "install", "--no-cache-dir"]
    assert "-c" in argv
    assert argv[argv.index("-c") + 1] == "requirements.lock"
    assert argv[-1] == ".", "the project itself, non-editable, without the [dev] extra"
    assert "-e" not in argv
    assert "--editable" not in argv
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
    ],
)
def test_dockerignore_keeps_out(path: str) -> None:
    assert ignored(path, dockerignore_rules())


@pytest.mark.parametrize(
    "path", ["pyproject.toml", "requirements.lock", "README.md", "bot/settings.py", "diagnosis/models.py"]
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


# ---- the lock pins what the image installs --------------------------------------------------------------


def _lock() -> dict[str, str]:
    pins = {}
    for line in (REPO / "requirements.lock").read_text().splitlines():
        line = line.split("#")[0].strip()
        if line:
            name, sep, version = line.partition("==")
            assert sep, f"requirements.lock: {line!r} is not pinned with =="
            pins[canonicalize_name(name)] = version.strip()
    return pins


def test_lock_pins_every_runtime_dependency() -> None:
    """Walks the installed runtime dependency closure of ecs-why (extras included, [dev] excluded)."""
    pins = _lock()
    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    todo = [(Requirement(r), "") for r in project["dependencies"]]
    seen: set[str] = set()
    unpinned = []
    while todo:
        req, extra = todo.pop()
        if req.marker is not None and not req.marker.evaluate({"extra": extra}):
            continue
        name = canonicalize_name(req.name)
        key = f"{name}[{','.join(sorted(req.extras))}]"
        if key in seen:
            continue
        seen.add(key)
        if name not in pins:
            unpinned.append(req.name)
            continue
        try:
            dist = metadata.distribution(req.name)
        except metadata.PackageNotFoundError:
            continue  # pinned but not installed here (another platform's dependency)
        for sub in dist.requires or []:
            sub_req = Requirement(sub)
            for ex in sorted(req.extras) or [""]:
                todo.append((sub_req, ex))
    assert not unpinned, f"not pinned in requirements.lock: {sorted(set(unpinned))}"
