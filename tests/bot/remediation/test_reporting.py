"""What a change leaves behind: an AWS error as one line with nothing secret in it (it is said in Slack and
audited), the AWS request ID of an answer or an error, and the change's one log line."""

from __future__ import annotations

import logging

import pytest
from botocore.exceptions import ClientError

from bot.remediation.reporting import aws_message, change_fields, log_change, request_id
from tests.builders.remediation import TARGET, pending

KEY = "AKIAIOSFODNN7EXAMPLE"


def denied(message: str) -> ClientError:
    return ClientError(
        {
            "Error": {"Code": "AccessDeniedException", "Message": message},
            "ResponseMetadata": {"RequestId": "r-1"},
        },
        "UpdateService",
    )


def test_an_aws_error_is_its_code_and_message_with_credentials_hidden() -> None:
    said = aws_message(denied(f"User with key {KEY} is not allowed"))
    assert said.startswith("AccessDeniedException: User with key") and "not allowed" in said
    assert KEY not in said


def test_any_other_error_is_its_type_and_text_hidden_and_cut() -> None:
    said = aws_message(RuntimeError(f"password={'x' * 20} " + "y" * 1000))
    assert said.startswith("RuntimeError: ") and "x" * 20 not in said and len(said) <= 300


def test_the_request_id_of_an_answer_and_of_an_error() -> None:
    assert request_id({"ResponseMetadata": {"RequestId": "r-0"}}) == "r-0"
    assert request_id(denied("no")) == "r-1"
    assert request_id(None) is None


def test_the_audit_fields_name_the_change_and_its_service() -> None:
    assert change_fields(pending()) == {
        "kind": "raise_grace_period",
        "params": {"cluster": "prod", "service": "web", "seconds": 190},
        "target": TARGET,
    }


def test_the_change_is_one_log_line_with_who_what_where_and_the_request_id(
    caplog: pytest.LogCaptureFixture,
) -> None:
    with caplog.at_level(logging.INFO):
        log_change("U0OP", "raise_grace_period", pending().target, "failed", denied("no"), "U0AP", "prod-two")
    [line] = [r.getMessage() for r in caplog.records if r.getMessage().startswith("change ")]
    for field in ("who=U0OP", "what=raise_grace_period", "target=prod/web", "outcome=failed"):
        assert field in line
    assert "error=AccessDeniedException" in line and "aws_request_id=r-1" in line and "rule=prod-two" in line
