"""Reading the audit stream the executor and the approvals write (bot/store, `audit`): the records of one
service (or all) over a window, as entries that say who asked, who approved, what changed, the AWS
request ID and the outcome. Shared by `/ecs-why audit` and `ecs-why audit`."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from bot.remediation import why_not
from bot.store import Store
from bot.why_not_says import why_not_says

DEFAULT_SINCE = "7d"
AUDIT_TARGET = re.compile(r"^[A-Za-z0-9][\w-]{0,254}(/[A-Za-z0-9][\w-]{0,254})?$")  # name or cluster/name
OUTCOMES = {
    "applied": "applied",
    "failed": "failed",
    "refused": "refused",
    "approval_requested": "approval requested",
    "approved": "approved",
    "rejected": "rejected",
    "approval_expired": "approval expired",
    "confirmation_shown": "confirmation shown",
    "expired": "button expired",
    "replayed": "replayed: nothing done twice",
}


class AuditQueryError(ValueError):
    """A service filter that cannot name a service; the message says what to type."""


def check_service(service: str) -> str:
    if service and not AUDIT_TARGET.match(service):
        raise AuditQueryError(f"{service!r} is not a service name; use a name like web-api or prod/web-api")
    return service


@dataclass(frozen=True)
class Entry:
    at: str
    event: str
    outcome: str
    asked_by: str
    approved_by: str | None
    kind: str
    target: str
    changes: list[tuple[str, str, str]]
    aws_request_id: str | None
    rule: str | None
    detail: str | None  # the error of a failure, why it could not be planned, why an approval was refused


def read(store: Store, since: timedelta, service: str = "", limit: int = 1000) -> list[dict[str, Any]]:
    """The raw records of the window, newest first; with `service` (`name` or `cluster/name`) only its own."""
    check_service(service)
    records = store.audit_since(store.now() - since.total_seconds(), count=limit if not service else 100_000)
    if service:
        records = [r for r in records if _about(r, service)][:limit]
    return records


def entry(record: dict[str, Any]) -> Entry:
    event = str(record.get("event", "?"))
    user = str(record.get("user") or "?")
    asked_by = str(record.get("requested_by") or user)
    approved_by = record.get("approved_by") or (user if event == "approved" else None)
    changes = [tuple(str(x) for x in c) for c in record.get("changes") or [] if len(c) == 3]
    detail = record.get("error") or _why_not(record.get("why_not")) or record.get("why")
    if event == "rejected":
        detail = f"rejected by {user}"
    return Entry(
        at=str(record.get("at", "")),
        event=event,
        outcome=OUTCOMES.get(event, event),
        asked_by=asked_by,
        approved_by=str(approved_by) if approved_by else None,
        kind=str(record.get("kind") or ""),
        target=_target(record),
        changes=changes,  # type: ignore[arg-type]
        aws_request_id=record.get("aws_request_id"),
        rule=record.get("rule"),
        detail=str(detail) if detail else None,
    )


def _why_not(recorded: Any) -> str | None:
    """A `why_not` code and its fields, worded; one a newer version wrote is shown as it is recorded."""
    if not recorded:
        return None
    reason = why_not.read(recorded)
    if reason is None:
        return json.dumps(recorded, sort_keys=True, ensure_ascii=False)
    return why_not_says(reason)


def _target(record: dict[str, Any]) -> str:
    target = record.get("target") or {}
    params = record.get("params") or {}
    cluster = target.get("cluster") or params.get("cluster") or ""
    service = target.get("service") or params.get("service") or ""
    return "/".join(str(p) for p in (cluster, service) if p)


def _about(record: dict[str, Any], service: str) -> bool:
    where = _target(record)
    if "/" in service:
        return where == service
    return where.rsplit("/", 1)[-1] == service
