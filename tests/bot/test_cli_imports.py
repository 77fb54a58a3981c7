"""What each command loads: `explain` and `--help` start fast because they never import AWS, Slack or Redis.

A real process runs the command and reports, on exit, the top-level packages it imported. Timings are
never asserted here (bench/ measures them); the import graph is what keeps startup short, and it is
what a careless top-level import would break.
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

from tests.builders.cli_process import ROOT, python_c

EXAMPLE = ROOT / "diagnosis" / "examples" / "stopped-tasks.json"
HEAVY = {"boto3", "botocore", "slack_bolt", "slack_sdk", "redis", "fakeredis", "moto", "waitress"}
HEAVY |= {"pydantic_settings", "prometheus_client", "s3transfer", "urllib3"}
MARK = "IMPORTED "
PROBE = f"""
import atexit, json, sys
atexit.register(lambda: sys.stderr.write({MARK!r} + json.dumps(sorted(sys.modules))))
sys.argv = ["ecs-why", *sys.argv[1:]]
from bot.cli_start import main
main()
"""


def imported_by(
    *args: str, env: dict[str, str] | None = None
) -> tuple[set[str], subprocess.CompletedProcess[str]]:
    result = python_c(PROBE, *args, env=env)
    assert MARK in result.stderr, result.stderr
    return set(json.loads(result.stderr.rsplit(MARK, 1)[1])), result


def packages(modules: set[str]) -> set[str]:
    return {m.split(".")[0] for m in modules}


def loaded(modules: set[str], prefixes: set[str]) -> list[str]:
    """The modules loaded of those packages or modules (a prefix covers its submodules)."""
    return sorted(m for m in modules if any(m == p or m.startswith(p + ".") for p in prefixes))


@pytest.mark.parametrize(
    "args",
    [
        ("explain", str(EXAMPLE)),
        ("explain", str(EXAMPLE), "--format", "json"),
        ("--help",),
        ("explain", "--help"),
        ("diagnose", "--help"),
        ("audit", "--help"),
    ],
    ids=" ".join,
)
def test_offline_commands_and_help_load_no_aws_slack_or_redis(args: tuple[str, ...]) -> None:
    modules, result = imported_by(*args)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip()  # it did its job (a diagnosis, or the help text)
    assert not packages(modules) & HEAVY, (
        f"`ecs-why {' '.join(args)}` imported {sorted(packages(modules) & HEAVY)}"
    )


# What a diagnosis of pasted text never runs: the prevention rules and their file readers (the rule a
# finding names comes from diagnosis/prevent/index.py), the live checks (a finding lists its cause's checks
# from the registry, diagnosis/checks/__init__.py, and their needs), the collectors, the live entry point, YAML.
CHECKS_REGISTRY = {"diagnosis.checks", "diagnosis.checks.needs"}
NOT_FOR_EXPLAIN = {
    "diagnosis.prevent.rules",
    "diagnosis.prevent.inputs",
    "diagnosis.prevent.model",
    "diagnosis.prevent.run",
    "diagnosis.collect",
    "diagnosis.live",
    "yaml",
    "bot.check_config",
    "bot.settings",
}


@pytest.mark.parametrize("output_format", ["text", "json", "markdown"])
def test_explain_loads_only_the_offline_engine(output_format: str) -> None:
    modules, result = imported_by("explain", str(EXAMPLE), "--format", output_format)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip()
    # typer's app is for the other lines (bot/cli_start.py): it would build pydantic adapters for the arguments
    assert not packages(modules) & {"typer", "click"}, "explain went through typer"
    assert not loaded(modules, {"bot.cli", "bot.cli_aws", "bot.cli_check", "bot.cli_exec", "bot.cli_audit"})
    assert {"diagnosis.engine", "diagnosis.intake", "diagnosis.prevent.catch"} <= modules  # it did diagnose
    assert not loaded(modules, NOT_FOR_EXPLAIN), f"explain imported {loaded(modules, NOT_FOR_EXPLAIN)}"
    checks = set(loaded(modules, {"diagnosis.checks"})) - CHECKS_REGISTRY
    assert not checks, f"explain imported the live checks {sorted(checks)}"


# pydantic writes and reads the output's JSON (diagnosis/contract.py); the output types themselves are plain
# dataclasses, so text and Markdown never load it (nor its plugin loader's importlib.metadata).
PYDANTIC = {"pydantic", "pydantic_core", "annotated_types", "typing_extensions", "importlib.metadata"}


@pytest.mark.parametrize("output_format", ["text", "markdown", "json"])
def test_explain_loads_pydantic_only_to_write_json(output_format: str) -> None:
    modules, result = imported_by("explain", str(EXAMPLE), "--format", output_format)
    assert result.returncode == 0 and result.stdout.strip(), result.stderr
    if output_format == "json":
        assert {"pydantic", "diagnosis.contract"} <= modules  # the probe sees an import where there is one
    else:
        assert not loaded(modules, PYDANTIC | {"diagnosis.contract"}), f"explain imported {loaded(modules, PYDANTIC)}"


@pytest.mark.parametrize("args", [("--help",), ("explain", "--help"), ("check", "--help")], ids=" ".join)
def test_help_is_plain_text_that_loads_no_rich_and_no_engine(args: tuple[str, ...]) -> None:
    modules, result = imported_by(*args)
    assert result.returncode == 0, result.stderr
    assert "Usage: ecs-why" in result.stdout
    assert not packages(modules) & {"rich", "diagnosis"}, sorted(packages(modules) & {"rich", "diagnosis"})
    if args == ("--help",):  # typer builds pydantic adapters only for a command's own parameters
        assert "pydantic" not in packages(modules)


def test_explain_in_a_pipe_needs_no_rich() -> None:
    modules, result = imported_by("explain", str(EXAMPLE), "--format", "markdown")
    assert result.returncode == 0, result.stderr
    assert "rich" not in packages(modules)  # colour is for terminals; pipes and CI logs get plain text


def test_diagnose_loads_aws_but_no_slack_or_redis(tmp_path: Path) -> None:
    env = {
        "PATH": os.environ.get("PATH", ""),
        "HOME": str(tmp_path),
        "AWS_CONFIG_FILE": str(tmp_path / "none"),
        "AWS_SHARED_CREDENTIALS_FILE": str(tmp_path / "none"),
        "AWS_EC2_METADATA_DISABLED": "true",
    }
    modules, result = imported_by("diagnose", "web-api", env=env)
    assert result.returncode == 2 and "region" in result.stderr  # stopped early, before any AWS call
    assert {"boto3", "botocore"} <= packages(modules)
    unwanted = {"slack_bolt", "slack_sdk", "redis", "fakeredis", "moto", "waitress", "prometheus_client"}
    unwanted |= {"handlers", "rich", "yaml"}  # no Slack rendering; colour only on a terminal; no check config
    assert not packages(modules) & unwanted, (
        f"`ecs-why diagnose` imported {sorted(packages(modules) & unwanted)}"
    )
    # nor what only other commands run: the prevention rules (check), the store (no REDIS_URL), the fixes
    others = {"diagnosis.prevent.rules", "diagnosis.prevent.run", "bot.store", "bot.remediation", "bot.app"}
    assert not loaded(modules, others), f"`ecs-why diagnose` imported {loaded(modules, others)}"


# The regexes of a module are compiled at their first use (diagnosis/lazy_regex.py): a pasted JSON document
# never reaches the prose reader, so it pays for none of its patterns; pasted prose does.
LAZY_PROBE = f"""
import atexit, json, sys
def patterns():
    values = vars(sys.modules["diagnosis.intake.text"]).items()
    declared = [name for name, value in values if type(value).__module__ == "diagnosis.lazy_regex"]
    still_lazy = [name for name, value in values if type(value).__name__ == "_LazyPattern"]
    return declared, still_lazy
atexit.register(lambda: sys.stderr.write({MARK!r} + json.dumps(patterns())))
sys.argv = ["ecs-why", *sys.argv[1:]]
from bot.cli_start import main
main()
"""


def test_explain_of_a_json_document_compiles_none_of_the_prose_readers_patterns(tmp_path: Path) -> None:
    prose = tmp_path / "pasted.txt"
    prose.write_text("Stopped reason: CannotPullContainerError: pull access denied for web-api\n")
    still_lazy: dict[str, set[str]] = {}
    for name, path in (("json", EXAMPLE), ("prose", prose)):
        result = python_c(LAZY_PROBE, "explain", str(path))
        assert result.returncode == 0 and result.stdout.strip(), result.stderr
        declared, lazy = json.loads(result.stderr.rsplit(MARK, 1)[1])
        still_lazy[name] = set(lazy)
    assert declared, "the prose reader declares no lazy pattern"
    compiled = set(declared) - still_lazy["json"]
    assert not compiled, f"explain of a JSON document compiled the prose reader's {sorted(compiled)}"
    assert still_lazy["prose"] < set(declared)  # pasted prose did compile some: the probe sees a first use
