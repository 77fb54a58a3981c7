from __future__ import annotations

from tests.builders.prevent import container, results, taskdef

CHECK = {
    "command": ["CMD-SHELL", "curl -f http://localhost:8080/health || exit 1"],
    "interval": 10,
    "retries": 3,
}


def test_a_health_check_without_start_period_is_a_warning_naming_its_window() -> None:
    [found] = results(taskdef(container(healthCheck=CHECK)), "health_check_start_period")
    assert found.severity == "warning"
    assert "30 s" in found.fact  # 3 retries, 10 s apart
    assert "healthCheck.startPeriod = 60" in (found.fix.cli or "")


def test_a_start_period_passes() -> None:
    assert (
        results(taskdef(container(healthCheck={**CHECK, "startPeriod": 90})), "health_check_start_period")
        == []
    )


def test_values_outside_ecs_ranges_are_errors() -> None:
    found = results(
        taskdef(container(healthCheck={**CHECK, "interval": 400, "startPeriod": 30})), "health_check_values"
    )
    assert any("interval is 400" in r.fact and r.severity == "error" for r in found)


def test_a_command_without_cmd_is_an_error() -> None:
    bad = {"command": ["curl", "-f", "localhost"], "startPeriod": 30}
    [found] = results(taskdef(container(healthCheck=bad)), "health_check_values")
    assert "'curl'" in found.fact
    assert '"CMD-SHELL", "curl -f localhost"' in (found.fix.cli or "")


def test_a_timeout_not_shorter_than_the_interval_is_a_warning() -> None:
    check = {**CHECK, "interval": 5, "timeout": 10, "startPeriod": 30}
    found = results(taskdef(container(healthCheck=check)), "health_check_values")
    assert [r.severity for r in found] == ["warning"]
