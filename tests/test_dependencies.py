"""The runtime carries only what it imports, and imports only what it carries.

The image installs requirements/runtime.txt (the closure of [project.dependencies]); the demo sandbox
(moto) is the [demo] extra; tests and tools are [dev]. A runtime module that imports moto or a dev-only
package would break `ecs-why serve` in the image, so each import is read here from the source (lazy
imports inside functions included) and traced to the distribution that provides it.
"""

from __future__ import annotations

import ast
import subprocess
import sys
import textwrap
import tomllib
from functools import cache
from importlib import metadata
from pathlib import Path

import pytest
from packaging.markers import Marker
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

REPO = Path(__file__).resolve().parents[1]
FIRST_PARTY = {"diagnosis", "bot", "handlers"}
DEMO = REPO / "bot" / "demo"

# What the image's venv holds, by name: the runtime lock for Linux and the image's Python (3.11, latest
# patch). Adding a runtime dependency changes this list on purpose: say here why the image needs it.
IMAGE_CLOSURE = {
    "ahocorasick-rs",  # redaction's trigger scan (diagnosis/redact.py)
    "annotated-doc",
    "annotated-types",
    "boto3",
    "botocore",
    "fakeredis",
    "hiredis",  # redis[hiredis]: commands packed and replies parsed in C
    "jmespath",
    "lupa",  # fakeredis runs the events' Lua script in-process (no REDIS_URL)
    "markdown-it-py",
    "mdurl",
    "prometheus-client",
    "pydantic",
    "pydantic-core",
    "pydantic-settings",
    "pygments",
    "python-dateutil",
    "python-dotenv",
    "pyyaml",  # ecs-why check reads CloudFormation templates written in YAML
    "python-json-logger",  # ECS_WHY_LOG_FORMAT=json
    "redis",
    "rich",
    "s3transfer",
    "shellingham",
    "six",
    "slack-bolt",
    "slack-sdk",
    "sortedcontainers",
    "typer",
    "typing-extensions",
    "typing-inspection",
    "urllib3",
    "waitress",
}
NEVER_IN_THE_IMAGE = {"moto", "flask", "werkzeug", "docker", "cfn-lint", "sympy", "responses", "pytest"}
IMAGE_ENV = {"sys_platform": "linux", "platform_system": "Linux", "python_version": "3.11",
             "python_full_version": "3.11.14", "implementation_name": "cpython",
             "platform_python_implementation": "CPython", "platform_machine": "x86_64", "os_name": "posix"}


def lock_pins(name: str, env: dict[str, str] | None = None) -> dict[str, str]:
    """The pins of requirements/NAME.txt whose markers hold in `env` (this interpreter when None)."""
    pins = {}
    text = (REPO / "requirements" / f"{name}.txt").read_text().replace("\\\n", " ")
    for line in text.splitlines():
        line = line.split(" --hash")[0].split("#")[0].strip()
        if not line:
            continue
        spec, _, marker = line.partition(";")
        if marker.strip() and not Marker(marker.strip()).evaluate(env):
            continue
        dist, sep, version = spec.strip().partition("==")
        assert sep, f"requirements/{name}.txt: {line!r} is not pinned with =="
        pins[canonicalize_name(dist)] = version
    return pins


@cache
def distributions_of(top_level: str) -> set[str]:
    return {canonicalize_name(d) for d in metadata.packages_distributions().get(top_level, [])}


def imports(path: Path) -> set[str]:
    """Top-level names of every absolute import in the file, inside functions too."""
    names = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            names |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module.split(".")[0])
    return names


def third_party(path: Path) -> set[str]:
    return {n for n in imports(path) if n not in FIRST_PARTY and n not in sys.stdlib_module_names}


def runtime_modules() -> list[Path]:
    return sorted(
        p for pkg in FIRST_PARTY for p in (REPO / pkg).rglob("*.py") if DEMO not in p.parents
    )


def test_the_image_closure_is_the_runtime_lock_and_nothing_of_the_demo_or_the_tests() -> None:
    closure = set(lock_pins("runtime", IMAGE_ENV))
    assert closure == IMAGE_CLOSURE
    assert not closure & NEVER_IN_THE_IMAGE


def test_every_runtime_module_imports_only_what_the_runtime_lock_installs() -> None:
    runtime = set(lock_pins("runtime"))
    wrong = {}
    for path in runtime_modules():
        for name in third_party(path):
            dists = distributions_of(name)
            assert dists, f"{path.relative_to(REPO)} imports {name}, which no installed distribution provides"
            if not dists & runtime:
                wrong[f"{path.relative_to(REPO)}: {name}"] = sorted(dists)
    assert not wrong, f"runtime modules import packages the image does not carry: {wrong}"


def test_the_demo_imports_only_the_runtime_and_the_demo_extra() -> None:
    allowed = set(lock_pins("demo"))
    for path in sorted(DEMO.rglob("*.py")):
        for name in third_party(path):
            assert distributions_of(name) & allowed, f"{path.relative_to(REPO)} imports {name}"


def test_only_the_cli_reaches_the_demo_and_says_how_to_install_it_when_missing() -> None:
    reaching = [
        p.relative_to(REPO).as_posix()
        for p in runtime_modules()
        if any(n == "bot.demo" or n.startswith("bot.demo.") for n in _modules_imported(p))
    ]
    assert reaching == ["bot/cli.py"]
    proc = _run_without_the_demo_extra("from bot.cli import main; sys.argv = ['ecs-why', 'demo']; main()")
    assert proc.returncode == 2
    assert proc.stderr.strip().splitlines() == [
        "ecs-why: the demo needs the [demo] extra (moto is missing): pip install 'ecs-why[demo]'"
    ]


def test_every_runtime_module_imports_without_the_demo_and_dev_packages() -> None:
    """Imported for real, with moto, Flask, pytest… unimportable: catches what reaches them indirectly."""
    modules = [
        ".".join(p.relative_to(REPO).with_suffix("").parts).removesuffix(".__init__") for p in runtime_modules()
    ]
    proc = _run_without_the_demo_extra(f"import importlib\nfor m in {modules!r}: importlib.import_module(m)")
    assert proc.returncode == 0, proc.stderr


def test_every_runtime_dependency_is_imported_by_a_runtime_module() -> None:
    """The reverse: nothing in [project.dependencies] that no runtime module uses."""
    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    declared = {canonicalize_name(Requirement(r).name) for r in project["dependencies"]}
    used = set().union(*(distributions_of(n) for p in runtime_modules() for n in third_party(p)))
    assert declared - used == set()


def _modules_imported(path: Path) -> set[str]:
    found = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.add(node.module)
    return found


def _run_without_the_demo_extra(code: str) -> subprocess.CompletedProcess[str]:
    """Runs `code` in a fresh interpreter where every package outside the runtime lock fails to import."""
    runtime = set(lock_pins("runtime"))
    blocked = sorted(
        top
        for top, dists in metadata.packages_distributions().items()
        if not {canonicalize_name(d) for d in dists} & runtime and top not in FIRST_PARTY
    )
    prelude = textwrap.dedent(
        f"""
        import importlib.abc, sys
        BLOCKED = set({blocked!r})
        class Block(importlib.abc.MetaPathFinder):
            def find_spec(self, name, path=None, target=None):
                if name.split(".")[0] in BLOCKED:
                    raise ModuleNotFoundError(f"No module named {{name!r}}", name=name.split(".")[0])
                return None
        sys.meta_path.insert(0, Block())
        """
    )
    return subprocess.run(
        [sys.executable, "-c", prelude + code],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@pytest.mark.parametrize("lock", ["build", "runtime", "demo", "dev", "tools"])
def test_every_pin_carries_hashes(lock: str) -> None:
    text = (REPO / "requirements" / f"{lock}.txt").read_text().replace("\\\n", " ")
    pinned = [line for line in text.splitlines() if "==" in line.split("#")[0]]
    assert pinned
    assert all("--hash=sha256:" in line for line in pinned), f"requirements/{lock}.txt: a pin without a hash"


def test_the_runtime_lock_pins_the_whole_installed_closure_of_the_dependencies() -> None:
    """Walks the requirements of the installed distributions from [project.dependencies] down."""
    pins = lock_pins("runtime")
    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    todo = [(Requirement(r), "") for r in project["dependencies"]]
    seen: set[str] = set()
    unpinned = []
    while todo:
        req, extra = todo.pop()
        if req.marker is not None and not req.marker.evaluate({"extra": extra}):
            continue
        name = canonicalize_name(req.name)
        if f"{name}{sorted(req.extras)}" in seen:
            continue
        seen.add(f"{name}{sorted(req.extras)}")
        if name not in pins:
            unpinned.append(name)
            continue
        assert metadata.version(name) == pins[name], f"{name}: installed, but not the locked version"
        todo += [(Requirement(sub), ex) for sub in metadata.requires(name) or [] for ex in sorted(req.extras) or [""]]
    assert not unpinned, f"not in requirements/runtime.txt: {sorted(set(unpinned))}"
