"""Fix buttons and their approvals: what a click applies, and who may approve it."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field, field_validator

from bot.store.records.base import Record, omitted
from diagnosis.contract import Action

Verdict = Literal["approved", "rejected"]


class FixTarget(Record):
    """The service a fix button was offered for, as the diagnosis named it (`account_alias`: the
    `--account` of the command, which picks the credentials)."""

    account: str | None = None
    account_alias: str | None = None
    region: str | None = None
    cluster: str | None = None
    service: str | None = None

    @property
    def path(self) -> str:
        """`cluster/service`, or what of it is known."""
        return "/".join(part for part in (self.cluster, self.service) if part)

    def to_json(self) -> dict[str, Any]:
        return self.model_dump(mode="json")


class _Offered(Record):
    @field_validator("target", mode="before", check_fields=False)
    @classmethod
    def _no_target(cls, value: Any) -> Any:
        """An older record's `"target": null` is a target with nothing known."""
        return {} if value is None else value


class PendingAction(_Offered):
    """What a fix button will apply (`pending:<key>`, until its TTL): the diagnosis's typed action (its
    params one model per kind, diagnosis/actions.py), the service, and to whom and where it was offered.
    The button carries only the key, never these."""

    action: Action
    target: FixTarget = FixTarget()
    channel: str = ""
    offered_to: str = ""  # the Slack user the diagnosis answered
    command: str = ""  # the command that offered it, e.g. `prod/web`
    category: str = ""  # the stop cause it fixes

    def to_json(self) -> dict[str, Any]:
        """The stored JSON object, key for key what the dict-writing versions stored."""
        return self.model_dump(mode="json")


class ApprovalRequest(_Offered):
    """A confirmed change waiting for a second person (`approval:<id>`, guardrail mode approve): the pending
    action's key and action, what the requester saw (title, before → after, the AWS call), the deciding
    rule, when it expires, where its message is, and once decided the verdict. Kept past its expiry, so a
    late click is told it came too late."""

    id: str = ""  # given by the store
    key: str = Field(min_length=1)  # the pending action's key
    action: Action
    requested_by: str
    kind: str
    title: str = ""
    changes: tuple[tuple[str, str, str], ...] = ()  # (what, before, after) the approver is shown
    cli: str = ""
    target: FixTarget = FixTarget()
    channel: str = ""
    thread_ts: str | None = None
    mode: str = "approve"
    rule: str = ""
    approvers: tuple[str, ...] = omitted(())
    expires_at: float = 0.0  # epoch seconds, set by the store
    message_channel: str | None = omitted(None)
    message_ts: str | None = omitted(None)
    verdict: Verdict | None = omitted(None)
    decided_by: str | None = omitted(None)

    def to_json(self, exclude: set[str] | None = None) -> dict[str, Any]:
        """The stored JSON object, key for key what the dict-writing versions stored."""
        return self.model_dump(mode="json", exclude=exclude)

    @property
    def pending(self) -> PendingAction:
        """The pending action it applies (what following the change needs: the action and its service)."""
        return PendingAction(action=self.action, target=self.target, channel=self.channel)
