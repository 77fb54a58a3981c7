"""What a change leaves behind besides the change: the fields of its audit records, its one log line with
the AWS request ID, and an AWS error as one line a user can read (redacted)."""

from __future__ import annotations

from typing import Any

from botocore.exceptions import ClientError

from bot import metrics
from bot.logs import record as log_record
from bot.store.records import FixTarget, PendingAction
from diagnosis.contract import to_python
from diagnosis.redact import redact


def change_fields(pending: PendingAction) -> dict[str, Any]:
    """The fields of every audit record about a change (shown, refused, applied, failed) that say which
    change on which service: its kind, its parameters and the button's target."""
    return {
        "kind": pending.action.kind,
        "params": to_python(pending.action.params, mode="json"),
        "target": pending.target.to_json(),
    }


def request_id(answer: Any) -> str | None:
    """The AWS request ID of a call's answer or error: what CloudTrail and AWS support know it by."""
    response = answer.response if isinstance(answer, ClientError) else answer
    meta = response.get("ResponseMetadata", {}) if isinstance(response, dict) else {}
    return meta.get("RequestId")


def log_change(
    user: str,
    kind: str,
    target: FixTarget,
    outcome: str,
    answer: Any,
    approved_by: str | None = None,
    rule: str | None = None,
) -> None:
    """The change's one log line: who, what, where, the outcome, who approved, the deciding guardrail rule,
    and the AWS request ID."""
    code: str | None
    if isinstance(answer, ClientError):
        code = str(answer.response.get("Error", {}).get("Code", "Error"))
        metrics.AWS_ERRORS.labels(f"ecs:{answer.operation_name}", code).inc()
    else:
        code = None if outcome == "applied" else type(answer).__name__
    log_record(
        "change",
        who=user,
        what=kind,
        target=target.path or None,
        outcome=outcome,
        error=code,
        aws_request_id=request_id(answer),
        approved_by=approved_by,
        rule=rule,
    )


def aws_message(exc: Exception) -> str:
    """`Code: Message` of an AWS error; any other error as its type and text, cut. Redacted either way: it
    is said in Slack and written in the audit log, and AWS messages may quote what the call carried."""
    if isinstance(exc, ClientError):
        error = exc.response.get("Error", {})
        return redact(f"{error.get('Code', 'Error')}: {error.get('Message', '')}".strip(": "))
    return redact(f"{type(exc).__name__}: {exc}")[:300]
