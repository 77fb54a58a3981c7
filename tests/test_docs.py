"""The docs name only what exists: every Helm value, setting, repository file and module a page names is
real, every setting is documented, and what the docs promise about errors and the IRSA ServiceAccount is what happens.
(docs/configuration.md's table itself is generated: tests/bot/test_settings_doc.py.)"""

from __future__ import annotations

import importlib
import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from bot.settings_doc import all_env_names

REPO = Path(__file__).resolve().parents[1]
PAGES = sorted([*(REPO / "docs").glob("*.md"), REPO / "README.md", REPO / "helm" / "ecs-why" / "README.md"])
VALUES = yaml.safe_load((REPO / "helm" / "ecs-why" / "values.yaml").read_text())
# Variables the docs name that are not ecs-why settings: AWS's own and the SDKs'.
NOT_SETTINGS = {"ECS_WHY_HOST"}  # the placeholder in deploy/slack/manifest.yaml


def value_paths(node: Any, prefix: str = "") -> set[str]:
    paths = set()
    if isinstance(node, dict):
        for key, child in node.items():
            path = f"{prefix}{key}"
            paths.add(path)
            paths |= value_paths(child, path + ".")
    return paths


KNOWN_VALUES = value_paths(VALUES)
# A backticked dotted name that starts with a top-level value: `web.replicaCount`, `ingress.*`.
TOP = "|".join(map(re.escape, VALUES))
VALUE_REF = re.compile(rf"`((?:{TOP})(?:\.[A-Za-z0-9*…]+)+)")
SETTING_REF = re.compile(r"(?<![<\w])((?:ECS_WHY|SLACK)_[A-Z0-9_]*[A-Z0-9])\b")  # not <PLACEHOLDERS>
NOT_VALUES = {"slack.com"}  # a host name, not the `slack` values


def named_values(page: Path) -> set[str]:
    found = set()
    for match in VALUE_REF.finditer(page.read_text()):
        path = match.group(1).split("…")[0].rstrip(".")
        path = path.removesuffix(".*")
        found.add(path)
    return found


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.relative_to(REPO).as_posix())
def test_every_helm_value_a_page_names_exists(page: Path) -> None:
    unknown = sorted(
        p for p in named_values(page) - NOT_VALUES if p not in KNOWN_VALUES and not _inside_free_map(p)
    )
    assert not unknown, (
        f"{page.relative_to(REPO)} names Helm values that values.yaml does not have: {unknown}"
    )


def _inside_free_map(path: str) -> bool:
    """Keys under maps the user fills (annotations, labels, config.extra, resources …) are free."""
    parts = path.split(".")
    return any(
        ".".join(parts[:n]) in KNOWN_VALUES and _is_free(".".join(parts[:n])) for n in range(1, len(parts))
    )


def _is_free(path: str) -> bool:
    node: Any = VALUES
    for part in path.split("."):
        node = node[part]
    return (isinstance(node, dict) and not node) or path.endswith(
        ("annotations", "labels", "extra", "resources")
    )


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.relative_to(REPO).as_posix())
def test_every_setting_a_page_names_exists(page: Path) -> None:
    settings = all_env_names()
    named = set(SETTING_REF.findall(page.read_text()))
    unknown = sorted(named - settings - NOT_SETTINGS)
    assert not unknown, f"{page.relative_to(REPO)} names settings ecs-why does not read: {unknown}"


def test_every_setting_is_documented() -> None:
    text = "\n".join(p.read_text() for p in PAGES)
    missing = sorted(name for name in all_env_names() if name not in text)
    assert not missing, f"settings no page names: {missing}"


def test_no_page_promises_a_traceback_for_bad_settings() -> None:
    """Bad settings are one line on stderr (bot.cli._settings); the docs once said a traceback."""
    for page in PAGES:
        assert "SettingsError" not in page.read_text(), page.relative_to(REPO)


def test_the_irsa_service_account_named_in_the_guide_is_the_one_the_chart_creates(tmp_path: Path) -> None:
    import sys

    sys.path.insert(0, str(REPO / "tests" / "deploy"))
    from helm_render_support import Renderer, helm_binary

    guide = (REPO / "docs" / "install-helm.md").read_text()
    [exports] = re.findall(r"export ACCOUNT_ID=\S+ NAMESPACE=(\S+) SERVICE_ACCOUNT=(\S+)", guide)
    namespace, account = exports
    docs = yaml.safe_load_all(
        Renderer(helm_binary(), tmp_path).run("defaults-values.yaml", release="ecs-why")
    )
    [service_account] = [d for d in docs if d and d["kind"] == "ServiceAccount"]
    assert service_account["metadata"]["name"] == account
    assert namespace == "ops"


REPO_PATH = re.compile(
    r"(?<![\w./-])((?:diagnosis|bot|handlers|tests|bench|deploy|helm|scripts|docs|requirements)/[\w./-]*[\w/])"
)
DOTTED_NAME = re.compile(r"`((?:diagnosis|bot|handlers)(?:\.\w+)+)`")


def _resolves(dotted: str) -> bool:
    """`package.module.attribute…`: the longest importable module, then attributes on it."""
    parts = dotted.split(".")
    for split in range(len(parts), 0, -1):
        try:
            found: Any = importlib.import_module(".".join(parts[:split]))
        except ModuleNotFoundError:
            continue
        for attribute in parts[split:]:
            if not hasattr(found, attribute):
                return False
            found = getattr(found, attribute)
        return True
    return False


@pytest.mark.parametrize("page", PAGES, ids=lambda p: str(p.relative_to(REPO)))
def test_every_file_and_module_a_page_names_exists(page: Path) -> None:
    """A renamed or deleted module leaves no page pointing at it (docs/architecture.md names dozens)."""
    text = page.read_text()
    missing = [p for p in REPO_PATH.findall(text) if "*" not in p and not (REPO / p).exists()]
    unresolved = sorted(n for n in set(DOTTED_NAME.findall(text)) if not _resolves(n))
    assert not missing and not unresolved, f"stale references: {missing + unresolved}"


def test_the_architecture_page_says_how_to_add_each_kind_of_thing_in_steps() -> None:
    text = (REPO / "docs" / "architecture.md").read_text()
    for heading in ("How to add a stop cause", "How to add a fix button", "How to add a check"):
        section = text.split(f"## {heading}\n", 1)[1].split("\n## ", 1)[0]
        steps = re.findall(r"^(\d+)\. ", section, flags=re.MULTILINE)
        assert steps and steps == [str(i) for i in range(1, len(steps) + 1)], heading


def test_the_reference_checker_sees_a_stale_path_and_a_stale_module() -> None:
    assert REPO_PATH.findall("see `bot/nowhere.py` and diagnosis/gone/") == [
        "bot/nowhere.py",
        "diagnosis/gone/",
    ]
    assert not _resolves("diagnosis.engine.no_such_function")
    assert _resolves("diagnosis.engine.diagnose")
