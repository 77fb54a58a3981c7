from __future__ import annotations

from tests.builders.prevent import container, results, rule_ids, subject, taskdef


def test_an_essential_container_without_logs_is_a_warning_with_an_awslogs_fix() -> None:
    [found] = results(taskdef(container(logConfiguration=None)), "log_configuration")
    assert found.severity == "warning"
    assert '"awslogs-group": "/ecs/web"' in (found.fix.cli or "")


def test_a_non_essential_container_without_logs_passes() -> None:
    quiet = container("helper", logConfiguration=None, essential=False, portMappings=None)
    assert "log_configuration" not in rule_ids(taskdef(container(), quiet))


def test_awslogs_without_a_group_is_an_error() -> None:
    config = {"logDriver": "awslogs", "options": {"awslogs-region": "eu-west-1"}}
    [found] = results(taskdef(container(logConfiguration=config)), "log_group")
    assert found.severity == "error" and "awslogs-group" in found.fact


def test_a_bare_task_definition_leaves_the_group_to_the_live_check() -> None:
    assert "log_group" not in rule_ids(taskdef())


def test_a_template_that_does_not_create_the_group_warns() -> None:
    found = results(subject(taskdef(), declared_log_groups=frozenset({"/ecs/other"})), "log_group")
    assert [r.severity for r in found] == ["warning"]
    assert "/ecs/app" in found[0].fact and "aws logs create-log-group --log-group-name /ecs/app" in (
        found[0].fix.cli or ""
    )


def test_a_template_that_creates_the_group_passes() -> None:
    assert results(subject(taskdef(), declared_log_groups=frozenset({"/ecs/app"})), "log_group") == []


def test_create_group_without_the_permission_is_an_error() -> None:
    config = {
        "logDriver": "awslogs",
        "options": {"awslogs-group": "/ecs/app", "awslogs-create-group": "true"},
    }
    roles = {"execution": frozenset({"logs:CreateLogStream", "logs:PutLogEvents"})}
    [found] = results(subject(taskdef(container(logConfiguration=config)), role_actions=roles), "log_group")
    assert found.severity == "error" and "logs:CreateLogGroup" in found.fact
    allowed = {"execution": frozenset({"logs:*"})}
    assert (
        results(subject(taskdef(container(logConfiguration=config)), role_actions=allowed), "log_group") == []
    )
