"""Failure groups and their alerts: what a channel is shown, counted and resolved."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BeforeValidator, Field, PlainSerializer, model_validator

from bot.store.records.base import Record, Text


class Recovery(Record):
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


class Notice(Record):
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


class GroupRecord(Record):
    """One channel's counting window for a service's cause (`group:<group key>`, a hash of JSON fields that
    expires with the window; `count` is a plain integer the events script increments). The first stop
    opens it; its message is posted once (`ts`) and shows `shown` stops until the next update."""

    key: Text = Field("", validation_alias="fingerprint")  # `<fingerprint>|<channel>`
    channel: Text = ""
    count: int = 1
    latest_task: Text = ""
    opened_at: Text = ""  # ISO 8601: the window's start (a claim on the group names it)
    window_seconds: int = 0
    title: Text = ""  # the first stop's: the message keeps them while later stops are counted
    summary: Text = ""
    ts: Text = ""  # the message, once posted
    shown: int = 1  # the count the message shows


class AlertRecord(Record):
    """A group's alert (`alert:<group key>`, a hash of JSON fields): open → acknowledged → resolved, kept
    after the group's window (an alert lives until the service is steady again) and 30 days more, for the
    next alert's link. `acked_by`, `resolved` and `escalated_at` are each set once: the first wins."""

    ts: str = Field(min_length=1)  # its message
    channel: str = Field(min_length=1)
    notice: Notice  # what the message renders from, as posted (its state is the fields below)
    count: int = 0  # the count the message shows
    opened_at: float | None = None  # epoch seconds
    previous_ts: Text = ""  # the last alert of the group, when this one is a recurrence
    previous_resolved: _Recovered = None
    acked_by: Text = ""
    acked_at: Text = ""  # ISO 8601
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
