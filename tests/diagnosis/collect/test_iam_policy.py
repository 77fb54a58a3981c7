"""The read-only IAM policy shipped in deploy/iam/ covers every AWS action the diagnosis code calls.

Actions are read from the code itself (every `Call("service", "operation", …)` in diagnosis/collect),
mapped to IAM names with botocore's service models, so a new call without a policy line fails here.
"""

from __future__ import annotations

from tests.builders.read_policy import called_operations, iam_action, policy_actions


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
