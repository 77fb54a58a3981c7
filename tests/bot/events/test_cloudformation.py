"""deploy/events/cloudformation.yaml: valid for cfn-lint, and wired the way the worker expects (rules →
queue, queue policy scoped to those rules, redrive to the dead-letter queue, cross-account bus access)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from cfnlint.decode import decode

from tests.bot.events.conftest import TASK_PATTERN

TEMPLATE = Path(__file__).resolve().parents[3] / "deploy" / "events" / "cloudformation.yaml"


@pytest.fixture(scope="module")
def template() -> dict[str, Any]:
    doc, errors = decode(str(TEMPLATE))
    assert not errors, errors
    assert doc is not None
    return doc


def test_cfn_lint_finds_nothing() -> None:
    result = subprocess.run(
        [str(Path(sys.executable).parent / "cfn-lint"), str(TEMPLATE)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_rules_cover_the_three_ecs_event_types_and_target_the_queue(template: dict[str, Any]) -> None:
    resources = template["Resources"]
    rules = {name: r for name, r in resources.items() if r["Type"] == "AWS::Events::Rule"}
    patterns = {name: r["Properties"]["EventPattern"] for name, r in rules.items()}
    assert patterns["TaskStoppedRule"] == TASK_PATTERN, "the tests publish through this very pattern"
    assert patterns["ServiceActionRule"]["detail"]["eventType"] == ["WARN", "ERROR"]
    assert "SERVICE_DEPLOYMENT_FAILED" in patterns["DeploymentRule"]["detail"]["eventName"]
    for rule in rules.values():
        (target,) = rule["Properties"]["Targets"]
        assert target["Arn"] == {"Fn::GetAtt": ["EventsQueue", "Arn"]}


def test_queue_policy_dead_letter_queue_and_cross_account_bus(template: dict[str, Any]) -> None:
    resources = template["Resources"]
    queue = resources["EventsQueue"]["Properties"]
    assert queue["RedrivePolicy"]["deadLetterTargetArn"] == {"Fn::GetAtt": ["DeadLetterQueue", "Arn"]}
    assert queue["ReceiveMessageWaitTimeSeconds"] == 20
    (statement,) = resources["EventsQueuePolicy"]["Properties"]["PolicyDocument"]["Statement"]
    assert statement["Principal"] == {"Service": "events.amazonaws.com"}
    assert statement["Action"] == "sqs:SendMessage"
    sources = statement["Condition"]["ArnEquals"]["aws:SourceArn"]
    assert sorted(s["Fn::GetAtt"][0] for s in sources) == [
        "DeploymentRule",
        "ServiceActionRule",
        "TaskStoppedRule",
    ]
    bus = resources["CrossAccountPutEvents"]
    assert bus["Type"] == "AWS::Events::EventBusPolicy" and bus["Condition"] == "HasSourceAccounts"
    assert bus["Properties"]["Statement"]["Principal"] == {"AWS": {"Ref": "SourceAccountIds"}}
    assert template["Outputs"]["QueueUrl"]["Value"] == {"Ref": "EventsQueue"}
