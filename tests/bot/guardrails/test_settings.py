"""ECS_WHY_GUARDRAILS as an operator writes it: read from the environment, refused at start with one line
that says which rule and which field is wrong."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from bot.settings import ConfigError, load_settings

ROOT = Path(__file__).resolve().parents[3]


def test_rules_are_read_from_json(monkeypatch: pytest.MonkeyPatch) -> None:
    rules = [
        {"name": "sre", "mode": "allow", "clusters": ["prod"], "groups": ["S0SRE"]},
        {"name": "prod-two", "mode": "approve", "clusters": ["prod"], "users": ["*"], "approvers": ["S0SRE"]},
    ]
    monkeypatch.setenv("ECS_WHY_GUARDRAILS", json.dumps(rules))
    monkeypatch.setenv("ECS_WHY_APPROVAL_TTL_SECONDS", "600")
    settings = load_settings()
    assert [(r.name, r.mode) for r in settings.guardrails] == [("sre", "allow"), ("prod-two", "approve")]
    assert settings.guardrails[0].services == ["*"], "an absent pattern matches everything"
    assert settings.approval_ttl_seconds == 600


@pytest.mark.parametrize(
    ("value", "line"),
    [
        ('[{"name": "a", "mode": "yes", "users": ["*"]}]', "ECS_WHY_GUARDRAILS[0].mode: Input should be"),
        ('[{"name": "a", "mode": "allow", "users": ["bob"]}]', "ECS_WHY_GUARDRAILS[0].users: Value error"),
        (
            '[{"name": "a", "mode": "allow", "users": ["*"]}, {"name": "a", "mode": "deny", "users": ["*"]}]',
            "used more than once: a",
        ),
        ('[{"name": "ECS_WHY_OPERATORS", "mode": "allow", "users": ["*"]}]', "reserved"),
        ("allow everyone", 'ECS_WHY_GUARDRAILS: not valid JSON; expected e.g. [{"name"'),
    ],
)
def test_a_bad_policy_is_one_line(monkeypatch: pytest.MonkeyPatch, value: str, line: str) -> None:
    monkeypatch.setenv("ECS_WHY_GUARDRAILS", value)
    with pytest.raises(ConfigError) as error:
        load_settings()
    assert len(error.value.lines) == 1 and line in error.value.lines[0], error.value.lines


def test_serve_refuses_to_start_on_a_bad_policy() -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ECS_WHY_", "SLACK_"))}
    env |= {
        "ECS_WHY_GUARDRAILS": '[{"name": "x", "mode": "allow"}]',
        "SLACK_BOT_TOKEN": "xoxb-x",
        "SLACK_SIGNING_SECRET": "s",
    }
    result = subprocess.run(
        [sys.executable, "-m", "bot.cli", "serve", "--port", "0"],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        'ecs-why: ECS_WHY_GUARDRAILS[0]: Value error, rule \'x\' names nobody: set "users" (IDs, or ["*"]) or "groups"'
    ]


def test_the_guide_lists_every_action_kind_a_rule_may_name() -> None:
    from bot.remediation.kinds import PLANNERS

    guide = (ROOT / "docs" / "guardrails.md").read_text(encoding="utf-8")
    missing = [kind for kind in PLANNERS if f"`{kind}`" not in guide]
    assert not missing, f"docs/guardrails.md does not list the action kinds {missing}"


def test_the_operators_list_is_read_as_a_rule_and_said_to_be_deprecated_at_start(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    from bot.app import guardrails
    from bot.authz import GroupCache

    monkeypatch.setenv("ECS_WHY_OPERATORS", "U0OPS,S0SRE")
    monkeypatch.setenv(
        "ECS_WHY_GUARDRAILS", '[{"name": "freeze", "mode": "deny", "services": ["web"], "users": ["*"]}]'
    )
    with caplog.at_level("INFO", logger="bot.app"):
        policy = guardrails(load_settings(), GroupCache(lambda g: set()))
    assert [r.name for r in policy.rules] == ["freeze", "ECS_WHY_OPERATORS"]
    warning = next(r for r in caplog.records if r.levelname == "WARNING")
    assert (
        "ECS_WHY_OPERATORS is deprecated" in warning.getMessage()
        and "ECS_WHY_GUARDRAILS" in warning.getMessage()
    )
    assert any("guardrails: freeze=deny, ECS_WHY_OPERATORS=allow" in r.getMessage() for r in caplog.records)


def test_no_deprecation_warning_without_operators(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    from bot.app import guardrails
    from bot.authz import GroupCache

    monkeypatch.delenv("ECS_WHY_OPERATORS", raising=False)
    with caplog.at_level("INFO", logger="bot.app"):
        guardrails(load_settings(), GroupCache(lambda g: set()))
    assert not [r for r in caplog.records if r.levelname == "WARNING"]
    assert any("none: every fix is refused" in r.getMessage() for r in caplog.records)
