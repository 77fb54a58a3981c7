"""The inline policy that grants what a role was refused."""

from __future__ import annotations

import json

from diagnosis.policy import allow_policy

SECRET = "arn:aws:secretsmanager:us-east-1:123456789012:secret:prod/db-Ab12Cd"
KEY = "arn:aws:kms:us-east-1:123456789012:key/1a2b3c4d-0000-1111-2222-333344445555"


def test_one_statement_per_resource_with_its_actions() -> None:
    policy = json.loads(
        allow_policy(
            [
                ("secretsmanager:GetSecretValue", SECRET),
                ("kms:Decrypt", KEY),
                ("kms:Decrypt", KEY),
                ("x:Y", SECRET),
            ]
        )
    )
    assert policy == {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Action": ["secretsmanager:GetSecretValue", "x:Y"], "Resource": SECRET},
            {"Effect": "Allow", "Action": "kms:Decrypt", "Resource": KEY},
        ],
    }


def test_nothing_refused_is_no_policy() -> None:
    assert allow_policy([]) == ""
