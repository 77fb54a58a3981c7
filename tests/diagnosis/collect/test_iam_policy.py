"""The read-only IAM policy shipped in deploy/iam/ covers every AWS action the diagnosis code calls.

Actions are read from the code itself (every `Call("service", "operation", …)` in diagnosis/collect),
mapped to IAM names with botocore's service models, so a new call without a policy line fails here.
"""

from __future__ import annotations

import ast
import json
from pathlib import Path

import botocore.session
from botocore import xform_name

ROOT = Path(__file__).resolve().parents[3]
POLICY = ROOT / "deploy" / "iam" / "read-only-policy.json"
IAM_PREFIX = {"monitoring": "cloudwatch"}


def called_operations(pattern: str = "*.py") -> set[tuple[str, str]]:
    found = set()
    for path in (ROOT / "diagnosis" / "collect").glob(pattern):
        for node in ast.walk(ast.parse(path.read_text())):
            if (
                isinstance(node, ast.Call)
                and getattr(node.func, "id", None) == "Call"
                and len(node.args) >= 2
            ):
                service, operation = node.args[0], node.args[1]
                if isinstance(service, ast.Constant) and isinstance(operation, ast.Constant):
                    found.add((service.value, operation.value))
    return found


def iam_action(service: str, operation: str) -> str:
    model = botocore.session.get_session().get_service_model(service)
    names = {xform_name(op): op for op in model.operation_names}
    assert operation in names, f"{service} has no operation {operation}"
    prefix = model.metadata.get("signingName") or model.endpoint_prefix
    return f"{IAM_PREFIX.get(prefix, prefix)}:{names[operation]}"


def policy_actions() -> set[str]:
    document = json.loads(POLICY.read_text())
    actions: set[str] = set()
    for statement in document["Statement"]:
        assert statement["Effect"] == "Allow"
        listed = statement["Action"]
        actions.update([listed] if isinstance(listed, str) else listed)
    return actions


def test_the_code_calls_only_what_the_policy_allows() -> None:
    calls = called_operations()
    assert len(calls) >= 15, "the scan found too few calls: it is not reading the collectors"
    needed = {iam_action(s, o) for s, o in calls}
    missing = needed - policy_actions()
    assert not missing, f"deploy/iam/read-only-policy.json lacks {sorted(missing)}"


def test_the_policy_is_read_only_and_least_privilege() -> None:
    actions = policy_actions()
    assert all("*" not in a for a in actions), "no wildcard actions"
    writes = [
        a
        for a in actions
        if a.split(":", 1)[1].startswith(
            ("Create", "Update", "Delete", "Put", "Stop", "Register", "Run", "Start", "Tag")
        )
    ]
    assert not writes
    assert "secretsmanager:GetSecretValue" not in actions, "diagnosis reads secret metadata, never values"
    needed = {iam_action(s, o) for s, o in called_operations()}
    assert actions - needed == set(), f"the policy grants actions the code never calls: {actions - needed}"
