"""The IAM documents in deploy/iam/: the remediation policy grants exactly what the buttons call, the
worker policy exactly what the event worker calls, and the trust policies let in only the bot (its
Kubernetes ServiceAccount, or its role in the hub account).

The trust policies carry ${PLACEHOLDERS} for `envsubst`; they are checked as written and filled in.
"""

from __future__ import annotations

import ast
import json
import re
from pathlib import Path
from string import Template
from typing import Any

import botocore.session
import pytest
from botocore import xform_name
from helm_render_support import REPO

IAM = REPO / "deploy" / "iam"
MINE = (
    "remediation-policy.json",
    "trust-irsa.json",
    "trust-cross-account.json",
    "worker-policy.json",
    "assume-roles-policy.json",
    "trust-remediation.json",
)

# What the remediation buttons call (bot/ remediation executor), and nothing else.
REMEDIATION_ACTIONS = {
    "ecs:UpdateService",  # grace period, force new deployment, circuit breaker, roll back / new revision
    "ecs:DescribeServices",  # follow the deployment until steady or failed
    "ecs:DescribeTaskDefinition",  # read the revision to copy (add memory)
    "ecs:RegisterTaskDefinition",  # the copy with more memory
    "iam:PassRole",  # the copy keeps the task's task role and execution role
    "cloudformation:DescribeStackResources",  # who manages the service: its stack's resources
    "cloudtrail:LookupEvents",  # who manages the service: the user agent that created or updated it
}
PLACEHOLDERS = {
    "ACCOUNT_ID": "123456789012",
    "OIDC_PROVIDER": "oidc.eks.us-east-1.amazonaws.com/id/EXAMPLED539D4633E53DE1B71EXAMPLE",
    "NAMESPACE": "ops",
    "SERVICE_ACCOUNT": "ecs-why",
    "BOT_ACCOUNT_ID": "123456789012",
    "BOT_ROLE_NAME": "ecs-why",
    "EXTERNAL_ID": "ecs-why-prod",
    "QUEUE_ARN": "arn:aws:sqs:eu-west-1:123456789012:ecs-why-events-events",
    "READ_ROLE_NAME": "ecs-why-read",
    "REMEDIATION_ROLE_NAME": "ecs-why-remediation",
}
MANAGED_TAG = {"StringEquals": {"aws:ResourceTag/ecs-why:managed": "true"}}


def load(name: str) -> dict[str, Any]:
    doc: dict[str, Any] = json.loads((IAM / name).read_text())
    return doc


def filled(name: str) -> dict[str, Any]:
    text = (IAM / name).read_text()
    used = set(re.findall(r"\$\{([A-Za-z_:][^}]*)\}", text))
    assert used <= set(PLACEHOLDERS), f"{name}: unknown placeholders {used - set(PLACEHOLDERS)}"
    doc: dict[str, Any] = json.loads(Template(text).substitute(PLACEHOLDERS))
    return doc


def as_list(value: str | list[str]) -> list[str]:
    return [value] if isinstance(value, str) else list(value)


def statements(doc: dict[str, Any]) -> list[dict[str, Any]]:
    assert doc["Version"] == "2012-10-17"
    stmts = doc["Statement"]
    assert isinstance(stmts, list)
    assert stmts
    sids = [s.get("Sid") for s in stmts]
    assert len(sids) == len(set(sids)), "Sids are unique"
    for s in stmts:
        assert s["Effect"] == "Allow"
        assert not {"NotAction", "NotResource", "NotPrincipal"} & set(s), "Not* elements widen a grant"
    return list(stmts)


@pytest.mark.parametrize("name", MINE)
def test_iam_documents_parse(name: str) -> None:
    path: Path = IAM / name
    assert path.exists()
    statements(load(name))
    assert path.read_text().endswith("\n")


def test_remediation_policy_allows_exactly_the_button_actions() -> None:
    stmts = statements(load("remediation-policy.json"))
    actions = [a for s in stmts for a in as_list(s["Action"])]
    assert not [a for a in actions if "*" in a or "?" in a], "no wildcard actions"
    assert len(actions) == len(set(actions)), "each action granted once"
    assert set(actions) == REMEDIATION_ACTIONS


def test_remediation_policy_scopes_resources() -> None:
    stmts = statements(load("remediation-policy.json"))
    for s in stmts:
        actions = set(as_list(s["Action"]))
        resources = as_list(s["Resource"])
        if actions & {"ecs:UpdateService", "ecs:DescribeServices"}:
            assert resources == ["arn:aws:ecs:*:*:service/*/*"], "services only, not clusters or tasks"
        if "ecs:UpdateService" in actions:
            assert actions == {"ecs:UpdateService"}, "the one write on services has a statement of its own"
            assert s["Condition"] == MANAGED_TAG, "only services tagged ecs-why:managed=true"
        if "iam:PassRole" in actions:
            assert actions == {"iam:PassRole"}, "PassRole has a statement of its own"
            assert all(r.startswith("arn:aws:iam::") and ":role/" in r for r in resources)
            assert s["Condition"] == {"StringEquals": {"iam:PassedToService": "ecs-tasks.amazonaws.com"}}, (
                "roles may be passed to ECS tasks only"
            )
        if resources == ["*"]:
            # the task definition calls do not support resource-level permissions
            assert actions <= {
                "ecs:RegisterTaskDefinition",
                "ecs:DescribeTaskDefinition",
                "cloudtrail:LookupEvents",
            }


def test_remediation_policy_grants_nothing_of_the_read_only_policy_s_kind() -> None:
    """The two policies stay separate: remediation writes, diagnosis reads."""
    text = (IAM / "remediation-policy.json").read_text()
    for verb in ("Delete", "Create", "Stop", "Run", "Put", "Tag", "Attach", "Start"):
        assert f":{verb}" not in text


def test_trust_irsa_admits_only_the_service_account() -> None:
    raw = load("trust-irsa.json")
    [stmt] = statements(raw)
    assert stmt["Action"] == "sts:AssumeRoleWithWebIdentity"
    assert set(stmt["Principal"]) == {"Federated"}
    [s] = statements(filled("trust-irsa.json"))
    provider = PLACEHOLDERS["OIDC_PROVIDER"]
    assert s["Principal"]["Federated"] == f"arn:aws:iam::123456789012:oidc-provider/{provider}"
    assert s["Condition"] == {
        "StringEquals": {
            f"{provider}:aud": "sts.amazonaws.com",
            f"{provider}:sub": "system:serviceaccount:ops:ecs-why",
        }
    }, "StringEquals on both aud and sub: one ServiceAccount, no wildcards"


def test_trust_irsa_subject_matches_the_chart_service_account() -> None:
    """The chart names its ServiceAccount after the release; with release "ecs-why" that is "ecs-why"."""
    helpers = (REPO / "helm" / "ecs-why" / "templates" / "_helpers.tpl").read_text()
    assert 'default (include "ecs-why.fullname" .) .Values.serviceAccount.name' in helpers
    assert "${SERVICE_ACCOUNT}" in (IAM / "trust-irsa.json").read_text()


def test_trust_cross_account_admits_only_the_bot_role_with_external_id() -> None:
    [s] = statements(filled("trust-cross-account.json"))
    assert s["Action"] == ["sts:AssumeRole", "sts:SetSourceIdentity"], "a change through it names the user"
    principal = s["Principal"]
    assert set(principal) == {"AWS"}
    assert principal["AWS"] == "arn:aws:iam::123456789012:role/ecs-why", "one role, not the whole account"
    assert s["Condition"] == {"StringEquals": {"sts:ExternalId": "ecs-why-prod"}}
    assert "*" not in json.dumps(s)


# --- the event worker's policy: every SQS/ECS call in bot/events/, mapped to IAM names by botocore ---

EVENTS_CODE = REPO / "bot" / "events"
WORKER_SERVICES = ("sqs", "ecs")
# SQS authorizes a batch call with the action of its single-message form (there is no sqs:*Batch action).
SQS_BATCH = {
    "DeleteMessageBatch": "DeleteMessage",
    "ChangeMessageVisibilityBatch": "ChangeMessageVisibility",
    "SendMessageBatch": "SendMessage",
}


def _operations(services: tuple[str, ...] = WORKER_SERVICES) -> dict[str, tuple[str, str]]:
    """snake_case method name → (IAM prefix, API operation) for the services the worker uses."""
    found: dict[str, tuple[str, str]] = {}
    session = botocore.session.get_session()
    for service in services:
        model = session.get_service_model(service)
        prefix = model.metadata.get("signingName") or model.endpoint_prefix
        for op in model.operation_names:
            assert xform_name(op) not in found, f"{op} is ambiguous between the worker's services"
            found[xform_name(op)] = (prefix, op)
    return found


def worker_calls(
    paths: tuple[Path, ...] = tuple(EVENTS_CODE.glob("*.py")),
    services: tuple[str, ...] = WORKER_SERVICES,
    named: bool = False,
) -> set[str]:
    """`client.receive_message(…)`, `client.get_paginator("list_tasks")`, … anywhere in bot/events/; with
    `named`, also an operation named in a string (a plan's `"update_service"`, called by getattr)."""
    operations, names = _operations(services), set()
    for path in paths:
        for node in ast.walk(ast.parse(path.read_text())):
            if named and isinstance(node, ast.Constant) and node.value in operations:
                names.add(str(node.value))
            if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)):
                continue
            method = node.func.attr
            if method in ("get_paginator", "get_waiter") and node.args:
                arg = node.args[0]
                if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
                    method = arg.value
            if method in operations:
                names.add(method)
    return names


def iam_name(method: str) -> str:
    prefix, op = _operations()[method]
    if prefix == "sqs":
        op = SQS_BATCH.get(op, op)
    return f"{prefix}:{op}"


def test_worker_policy_has_no_wildcard_actions_and_scopes_the_queue() -> None:
    stmts = statements(filled("worker-policy.json"))
    actions = [a for s in stmts for a in as_list(s["Action"])]
    assert not [a for a in actions if "*" in a or "?" in a], "no wildcard actions"
    assert len(actions) == len(set(actions)), "each action granted once"
    for s in stmts:
        if any(a.startswith("sqs:") for a in as_list(s["Action"])):
            assert as_list(s["Resource"]) == [PLACEHOLDERS["QUEUE_ARN"]], "SQS actions on the queue only"


def test_worker_policy_covers_every_call_of_the_event_code_and_nothing_more() -> None:
    calls = worker_calls()
    assert {"receive_message", "describe_tasks", "list_tasks"} <= calls, (
        f"the scan of bot/events/ found too little ({sorted(calls)}): it is not reading the worker"
    )
    needed = {iam_name(m) for m in calls}
    granted = {a for s in statements(load("worker-policy.json")) for a in as_list(s["Action"])}
    assert not needed - granted, f"deploy/iam/worker-policy.json lacks {sorted(needed - granted)}"
    assert not granted - needed, f"the worker policy grants what bot/events/ never calls: {granted - needed}"


# --- the remediation role and the bot's STS permissions: what bot/remediation/ and bot/aws_session.py call ---

REMEDIATION_CODE = tuple((REPO / "bot" / "remediation").rglob("*.py"))  # the kinds are a package


def test_remediation_policy_covers_every_call_of_the_remediation_code_and_nothing_more() -> None:
    needed = set()
    for service in ("ecs", "cloudformation", "cloudtrail"):  # one by one: they share some method names
        operations = _operations((service,))
        needed |= {":".join(operations[m]) for m in worker_calls(REMEDIATION_CODE, (service,), named=True)}
    assert {"ecs:UpdateService", "ecs:RegisterTaskDefinition", "cloudtrail:LookupEvents"} <= needed, (
        f"the scan of bot/remediation/ found too little ({sorted(needed)})"
    )
    granted = {a for s in statements(load("remediation-policy.json")) for a in as_list(s["Action"])}
    assert needed == granted - {"iam:PassRole"}, (
        f"policy {sorted(granted)} against the code's {sorted(needed)}"
    )


def test_the_bot_may_assume_its_roles_naming_the_user_and_nothing_more() -> None:
    """AssumeRole is the one STS call; SourceIdentity in it needs sts:SetSourceIdentity; no session tags
    are sent, so no sts:TagSession."""
    code = (REPO / "bot" / "aws_session.py").read_text()
    calls = worker_calls(((REPO / "bot" / "aws_session.py"),), ("sts",))
    assert calls == {"assume_role"}
    needed = {"sts:AssumeRole"} | ({"sts:SetSourceIdentity"} if '"SourceIdentity"' in code else set())
    needed |= {"sts:TagSession"} if '"Tags"' in code or '"TransitiveTagKeys"' in code else set()
    [s] = statements(filled("assume-roles-policy.json"))
    assert set(as_list(s["Action"])) == needed == {"sts:AssumeRole", "sts:SetSourceIdentity"}
    assert as_list(s["Resource"]) == [
        "arn:aws:iam::*:role/ecs-why-read",
        "arn:aws:iam::*:role/ecs-why-remediation",
    ], "the ecs-why roles by name, in whichever account"


def test_trust_remediation_admits_the_bot_role_only_as_a_slack_user() -> None:
    [s] = statements(filled("trust-remediation.json"))
    assert s["Principal"] == {"AWS": "arn:aws:iam::123456789012:role/ecs-why"}, "one role, not the account"
    assert s["Action"] == ["sts:AssumeRole", "sts:SetSourceIdentity"]
    assert s["Condition"] == {"StringLike": {"sts:SourceIdentity": "slack-*"}}, (
        "no session without the Slack user's name (bot/aws_session.py sends slack-USER)"
    )
    assert 'f"slack-{user}"' in (REPO / "bot" / "aws_session.py").read_text()
