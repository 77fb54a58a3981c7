"""The AWS calls the collectors make (read from their source) and the actions the read-only IAM policy
allows, each named as IAM names it."""

from __future__ import annotations

import ast
import json
from pathlib import Path

import botocore.session
from botocore import xform_name

ROOT = Path(__file__).resolve().parents[2]
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
