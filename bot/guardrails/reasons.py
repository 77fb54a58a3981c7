"""Why the guardrails let a change go on, or not, as data: a code and the names it is about. The handlers
word it for Slack (handlers/refusals.py), so Slack formatting and escaping stay in one place; the audit
log keeps the deciding rule and mode."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Why(StrEnum):
    NO_RULE = "no_rule"  # no rule lets this user run this kind on this service (rule `default`)
    DENIED = "denied"  # a deny rule covers it
    NEEDS_APPROVAL = "needs_approval"  # an approve rule: a second, different person must approve
    ALLOWED = "allowed"  # an allow rule
    OWN_REQUEST = "own_request"  # the requester clicked Approve on their own change
    NOT_AN_APPROVER = "not_an_approver"  # the deciding rule does not name this user as an approver
    MAY_NOT_DECIDE = "may_not_decide"  # a rejection by someone neither the requester nor an approver


@dataclass(frozen=True)
class Reason:
    """`rule`: the deciding rule's name (`default` when none matched); `kind` and `resource`
    (`cluster/service`) are the change asked for, where the code is about one."""

    why: Why
    rule: str = ""
    kind: str = ""
    resource: str = ""
