from __future__ import annotations

from diagnosis.prevent.rules.exec import CHANNELS
from tests.builders.prevent import results, service, subject, taskdef


def test_ssmmessages_on_the_execution_role_instead_of_the_task_role_is_flagged() -> None:
    roles = {"task": frozenset({"s3:GetObject"}), "execution": frozenset({"ssmmessages:*"})}
    definition = taskdef(taskRoleArn="arn:aws:iam::111122223333:role/task")
    [found] = results(subject(definition, role_actions=roles), "exec_task_role")
    assert found.severity == "warning" and "execution role" in found.fact
    [on] = results(
        subject(definition, role_actions=roles, service=service(enableExecuteCommand=True)), "exec_task_role"
    )
    assert on.severity == "error"


def test_exec_without_a_task_role_is_an_error() -> None:
    [found] = results(subject(taskdef(), service=service(enableExecuteCommand=True)), "exec_task_role")
    assert found.severity == "error" and "taskRoleArn" in found.fact


def test_the_task_role_with_the_channels_passes() -> None:
    roles = {"task": frozenset(CHANNELS), "execution": frozenset()}
    definition = taskdef(taskRoleArn="arn:aws:iam::111122223333:role/task")
    assert (
        results(
            subject(definition, role_actions=roles, service=service(enableExecuteCommand=True)),
            "exec_task_role",
        )
        == []
    )
