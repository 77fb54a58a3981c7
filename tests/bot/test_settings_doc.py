"""The configuration reference in docs/configuration.md is generated from the settings model, and the Helm
chart sets only environment variables the model reads: neither can drift from the code."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from bot import settings_doc
from bot.settings import Settings, env_name

REPO = Path(__file__).resolve().parents[2]
TEMPLATES = REPO / "helm" / "ecs-why" / "templates"
CI_VALUES = REPO / "helm" / "ecs-why" / "ci"
# Read by other programs in the container, not by the settings model.
NOT_SETTINGS = {"HEALTHCHECK_PORT"}


def test_the_docs_table_is_the_generated_one() -> None:
    text = settings_doc.DOC.read_text(encoding="utf-8")
    assert settings_doc.section(text) == settings_doc.table(), (
        "docs/configuration.md is out of date: run python -m bot.settings_doc --write"
    )


def test_every_setting_has_a_row_and_a_description() -> None:
    table = settings_doc.table()
    for field, info in Settings.model_fields.items():
        assert info.description, f"{field} has no description (it feeds docs/configuration.md)"
        assert f"| `{env_name(field)}`" in table


def test_the_table_names_defaults_and_bounds() -> None:
    table = settings_doc.table()
    assert "| `ECS_WHY_POLL_INTERVAL_SECONDS` | `60` |" in table
    assert "Allowed: 10 to 3600." in table
    assert "| `ECS_WHY_OPERATORS` | empty |" in table
    assert "| `AWS_REGION` (or `AWS_DEFAULT_REGION`) | unset |" in table


def test_rewrite_is_idempotent_and_keeps_the_prose() -> None:
    text = "# Title\n\nprose before\n\n<!-- settings:begin -->\nSTALE-ROW\n<!-- settings:end -->\n\nprose after\n"
    once = settings_doc.rewrite(text)
    assert settings_doc.rewrite(once) == once
    assert once.startswith("# Title\n\nprose before\n\n<!-- settings:begin -->\n| Environment variable")
    assert once.endswith("<!-- settings:end -->\n\nprose after\n")
    assert "STALE-ROW" not in once


def test_missing_markers_are_an_error() -> None:
    with pytest.raises(ValueError, match="markers"):
        settings_doc.rewrite("# no markers here\n")


def test_the_command_prints_writes_and_checks(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert settings_doc.main([]) == 0
    assert capsys.readouterr().out == settings_doc.table()
    doc = tmp_path / "configuration.md"
    doc.write_text("intro\n<!-- settings:begin -->\n<!-- settings:end -->\n", encoding="utf-8")
    assert settings_doc.main(["--check", "--doc", str(doc)]) == 1
    assert settings_doc.main(["--write", "--doc", str(doc)]) == 0
    assert settings_doc.main(["--check", "--doc", str(doc)]) == 0
    assert settings_doc.table() in doc.read_text(encoding="utf-8")


def chart_env_names() -> dict[str, str]:
    """Environment variables the chart's templates set → the template that sets them."""
    found: dict[str, str] = {}
    patterns = (
        r"^\s*-\s*name:\s*([A-Z][A-Z0-9_]*)\s*$",  # env: entries
        r"set \$data \"([A-Z][A-Z0-9_]*)\"",  # ConfigMap keys (envFrom)
    )
    for path in sorted(TEMPLATES.glob("*")):
        text = path.read_text(encoding="utf-8")
        for pattern in patterns:
            for name in re.findall(pattern, text, flags=re.MULTILINE):
                found.setdefault(name, path.name)
    return found


def test_the_scan_finds_the_charts_variables() -> None:
    found = chart_env_names()
    assert {"SLACK_BOT_TOKEN", "REDIS_URL", "ECS_WHY_OPERATORS", "AWS_REGION"} <= set(found)


def test_every_variable_the_chart_sets_is_a_setting() -> None:
    known = settings_doc.all_env_names() | NOT_SETTINGS
    unknown = {name: where for name, where in chart_env_names().items() if name not in known}
    assert not unknown, f"the chart sets variables the settings model does not read: {unknown}"


def test_the_secret_keys_the_chart_uses_by_default_are_settings() -> None:
    values = yaml.safe_load((REPO / "helm" / "ecs-why" / "values.yaml").read_text(encoding="utf-8"))
    names = set(values["slack"]["existingSecretKeys"].values()) | {values["redis"]["existingSecretKey"]}
    assert names <= settings_doc.all_env_names()


@pytest.mark.parametrize("values_file", sorted(CI_VALUES.glob("*-values.yaml")), ids=lambda p: p.name)
def test_the_tested_values_sets_only_name_settings(values_file: Path) -> None:
    values = yaml.safe_load(values_file.read_text(encoding="utf-8")) or {}
    names = set((values.get("config") or {}).get("extra") or {})
    names |= {e["name"] for e in values.get("extraEnv") or []}
    unknown = names - settings_doc.all_env_names() - NOT_SETTINGS
    assert not unknown, f"{values_file.name}: not settings: {sorted(unknown)}"


RUNTIME = [REPO / "bot", REPO / "handlers"]
SETTINGS_MODULES = {"settings.py", "settings_doc.py"}


def unread_settings(sources: dict[str, str]) -> list[str]:
    """Settings no runtime module reads as an attribute (`settings.NAME`, `.NAME`)."""
    return [
        name
        for name in Settings.model_fields
        if not any(re.search(rf"\.{name}\b", text) for text in sources.values())
    ]


def runtime_sources() -> dict[str, str]:
    return {
        str(path): path.read_text(encoding="utf-8")
        for root in RUNTIME
        for path in root.rglob("*.py")
        if path.name not in SETTINGS_MODULES
    }


def test_every_setting_is_read_by_the_code() -> None:
    """A documented setting nobody reads would be a setting with no effect."""
    assert unread_settings(runtime_sources()) == []


def test_the_unread_setting_check_sees_one() -> None:
    sources = runtime_sources()
    name = next(iter(Settings.model_fields))
    stripped = {path: re.sub(rf"\.{name}\b", ".elsewhere", text) for path, text in sources.items()}
    assert unread_settings(stripped) == [name]
