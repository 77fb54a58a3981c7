"""The typed records the store keeps, each with the JSON it has always been stored as.

Reading is lenient on purpose: a record written by an older version (a field missing, one more field, a
time as epoch seconds) still reads, with the defaults below; what cannot be read at all is skipped by the
store, never raised to a user.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from pydantic import (
    AliasChoices,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainSerializer,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic_core import PydanticUndefined

from diagnosis.actions import Action

__all__ = [
    "AlertRecord",
    "ApprovalRequest",
    "ContainerStop",
    "FixTarget",
    "GroupRecord",
    "Notice",
    "PendingAction",
    "Recovery",
    "ResolvedAlert",
    "StopRecord",
    "Subscription",
    "Unreadable",
    "ValidationError",
]


class _Record(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore")


def _stored(key: str, default: Any = PydanticUndefined, **constraints: Any) -> Any:
    """A field stored under the camelCase `key` (as ECS spells it), read by either spelling."""
    snake = "".join(f"_{c.lower()}" if c.isupper() else c for c in key)
    choices = AliasChoices(key, snake)
    return Field(default, validation_alias=choices, serialization_alias=key, **constraints)


class ContainerStop(_Record):
    name: str = ""
    exit_code: int | None = _stored("exitCode", None)
    reason: str = ""


class StopRecord(_Record):
    """One stopped task in a service's history (`history:<service key>:records`, keyed by its ARN)."""

    task_arn: str = _stored("taskArn", min_length=1)
    category: str = "other"
    failure: bool = True  # False: a normal lifecycle stop (deployment, scaling)
    title: str = ""
    reason: str = ""
    summary: str = ""
    stopped_at: str = _stored("stoppedAt", "")  # ISO 8601, as ECS writes it
    stop_code: str = _stored("stopCode", "")
    task_definition_arn: str = _stored("taskDefinitionArn", "")
    containers: tuple[ContainerStop, ...] = ()
    confidence: float = 0.0
    fingerprint: str = ""
    event_id: str = ""

    @field_validator("stopped_at", mode="before")
    @classmethod
    def _iso(cls, value: Any) -> Any:
        """Epoch seconds or a datetime (older writers, boto3) as ISO text; ISO text as it is."""
        if isinstance(value, datetime):
            return (value if value.tzinfo else value.replace(tzinfo=UTC)).isoformat()
        if isinstance(value, int | float) and not isinstance(value, bool):
            return datetime.fromtimestamp(value, UTC).isoformat()
        return "" if value is None else value

    def to_json(self) -> dict[str, Any]:
        """The stored JSON object (camelCase keys, as the history has always held)."""
        return self.model_dump(mode="json", by_alias=True)


def _none_as_empty(value: Any) -> Any:
    return "" if value is None else value


# Text that an older version may have stored as `null` (a value it did not have): read as "".
_Text = Annotated[str, BeforeValidator(_none_as_empty)]


class Recovery(_Record):
    """How an alert recovered: when, after how many failures, over how long (its first failure to its
    last). handlers/render/alert.py words it ("recovered at 14:02 UTC after 37 failures in 25 min")."""

    at: float | None = None  # epoch seconds
    failures: int = 0
    lasted_seconds: float = 0.0
    said: str = ""  # told by an older version, which stored only its sentence: shown as it was


def _recovery(value: Any) -> Any:
    """None or "" (not recovered), an older version's sentence, or the stored object."""
    if value is None or value == "":
        return None
    return {"said": value} if isinstance(value, str) else value


def _stored_recovery(value: Recovery | None) -> Any:
    """Not recovered is stored as "" (as it always was): an older reader's `if resolved` stays right."""
    return "" if value is None else value.model_dump(mode="json")


_Recovered = Annotated[Recovery | None, BeforeValidator(_recovery), PlainSerializer(_stored_recovery)]


class Notice(_Record):
    """One failure group as a channel sees it: a service, a cause, how many stops, the latest one. The
    event path hands it to the notifier; an alert keeps the one its message renders from."""

    fingerprint: str  # account:region:cluster:service:category (what "Mute 1h" mutes)
    category: str
    failure: bool
    title: str
    summary: str
    account: str
    region: str
    cluster: str
    service: str
    count: int = 1
    window_minutes: int = 60
    opened_at: str = ""
    latest_task: str = ""
    latest_reason: str = ""
    latest_at: str = ""
    # The alert's lifecycle (bot/events/lifecycle.py): who acknowledged it and when, how it recovered,
    # and the message of the last alert of this group when this one is a recurrence.
    acked_by: str = ""
    acked_at: str = ""
    resolved: _Recovered = None
    previous_ts: str = ""
    previous_resolved: _Recovered = None

    @property
    def label(self) -> str:
        return f"{self.cluster}/{self.service}" if self.cluster else self.service


class GroupRecord(_Record):
    """One channel's counting window for a service's cause (`group:<group key>`, a hash of JSON fields that
    expires with the window; `count` is a plain integer the events script increments). The first stop
    opens it; its message is posted once (`ts`) and shows `shown` stops until the next update."""

    key: _Text = Field("", validation_alias="fingerprint")  # `<fingerprint>|<channel>`
    channel: _Text = ""
    count: int = 1
    latest_task: _Text = ""
    opened_at: _Text = ""  # ISO 8601: the window's start (a claim on the group names it)
    window_seconds: int = 0
    title: _Text = ""  # the first stop's: the message keeps them while later stops are counted
    summary: _Text = ""
    ts: _Text = ""  # the message, once posted
    shown: int = 1  # the count the message shows


class AlertRecord(_Record):
    """A group's alert (`alert:<group key>`, a hash of JSON fields): open → acknowledged → resolved, kept
    after the group's window (an alert lives until the service is steady again) and 30 days more, for the
    next alert's link. `acked_by`, `resolved` and `escalated_at` are each set once: the first wins."""

    ts: str = Field(min_length=1)  # its message
    channel: str = Field(min_length=1)
    notice: Notice  # what the message renders from, as posted (its state is the fields below)
    count: int = 0  # the count the message shows
    opened_at: float | None = None  # epoch seconds
    previous_ts: _Text = ""  # the last alert of the group, when this one is a recurrence
    previous_resolved: _Recovered = None
    acked_by: _Text = ""
    acked_at: _Text = ""  # ISO 8601
    resolved: _Recovered = None  # how it recovered (set once)
    resolved_at: float | None = None  # epoch seconds
    escalated_at: float | None = None

    @model_validator(mode="before")
    @classmethod
    def _told_when(cls, value: Any) -> Any:
        """An older version's recovery sentence gets its time from `resolved_at` (stored beside it)."""
        if isinstance(value, dict) and isinstance(value.get("resolved"), str) and value["resolved"]:
            return {**value, "resolved": {"said": value["resolved"], "at": value.get("resolved_at")}}
        return value

    @property
    def as_shown(self) -> Notice:
        """Its notice with the alert's state: what its message shows now."""
        return self.state_of(self.notice)

    def state_of(self, notice: Notice) -> Notice:
        """`notice` (this alert's, or a newer one of its group) with the alert's lifecycle state."""
        return notice.model_copy(
            update={
                "acked_by": self.acked_by,
                "acked_at": self.acked_at,
                "resolved": self.resolved,
                "previous_ts": self.previous_ts,
                "previous_resolved": self.previous_resolved,
            }
        )


class ResolvedAlert(AlertRecord):
    """An alert as it was resolved, with its group key (`alerts:resolved`, one JSON object per resolution,
    kept 30 days for summaries: the alert record itself is replaced when the group fails again)."""

    gkey: str = ""


class Subscription(_Record):
    """A channel following one service (`service`) or a cluster's services by name (`pattern`, e.g. `web-*`),
    with its filters: `only` these causes (None: every failure), `include_lifecycle` normal stops too."""

    channel: str
    account: str = ""
    region: str = ""
    cluster: str
    service: str = ""
    pattern: str = ""
    only: tuple[str, ...] | None = None
    include_lifecycle: bool = False
    by: str = ""  # the Slack user who subscribed
    created_at: str = ""
    updated_at: str = ""

    def wants(self, category: str, failure: bool) -> bool:
        """Its filters: failures by default, `only` narrows them, `include_lifecycle` adds normal stops."""
        lifecycle_ok = self.include_lifecycle and not failure
        if self.only:
            return category in self.only or lifecycle_ok
        return failure or lifecycle_ok

    def to_json(self) -> dict[str, Any]:
        """The stored JSON object: a service subscription has no `pattern`, a pattern one no `service`."""
        absent = {"pattern"} if self.service else {"service", "created_at"}
        return self.model_dump(mode="json", exclude=absent)


# ------------------------------------------------------------------ fix buttons and their approvals

Verdict = Literal["approved", "rejected"]


class Unreadable(ValueError):
    """A stored record that is there but cannot be read (written by hand, or by a version that knows
    other kinds): said as such, never taken for an expired one."""

    def __init__(self, what: str, error: ValidationError | None = None) -> None:
        problems = "; ".join(_problem(e) for e in (error.errors() if error else ()))
        super().__init__(f"the stored {what} cannot be read" + (f" ({problems})" if problems else ""))


def _problem(error: Any) -> str:
    """One validation error as `where: what`; a kind this version does not know, by its name only."""
    where = ".".join(map(str, error["loc"])) or "record"
    if error["type"] == "union_tag_invalid":
        return f"{where}: no such kind {error['ctx']['tag']!r} in this version"
    return f"{where}: {error['msg']}"


def _omitted(when: Any) -> Any:
    """A field the JSON leaves out while it holds `when`'s falsy value (as the older writers did)."""
    return Field(when, exclude_if=lambda value: not value)


class FixTarget(_Record):
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


class _Offered(_Record):
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
    approvers: tuple[str, ...] = _omitted(())
    expires_at: float = 0.0  # epoch seconds, set by the store
    message_channel: str | None = _omitted(None)
    message_ts: str | None = _omitted(None)
    verdict: Verdict | None = _omitted(None)
    decided_by: str | None = _omitted(None)

    def to_json(self, exclude: set[str] | None = None) -> dict[str, Any]:
        """The stored JSON object, key for key what the dict-writing versions stored."""
        return self.model_dump(mode="json", exclude=exclude)

    @property
    def pending(self) -> PendingAction:
        """The pending action it applies (what following the change needs: the action and its service)."""
        return PendingAction(action=self.action, target=self.target, channel=self.channel)
