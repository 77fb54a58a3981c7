"""The typed records the store keeps, each with the JSON it has always been stored as.

Reading is lenient on purpose: a record written by an older version (a field missing, one more field, a
time as epoch seconds) still reads, with the defaults of each record; what cannot be read at all is skipped
by the store, never raised to a user (`base.read_stored`), except a button a user clicked, refused as
`Unreadable`.
"""

from pydantic import ValidationError

from bot.store.records.alerting import AlertRecord, GroupRecord, Notice, Recovery, ResolvedAlert
from bot.store.records.base import Unreadable, read_each, read_stored
from bot.store.records.buttons import ApprovalRequest, FixTarget, PendingAction, Verdict
from bot.store.records.stops import ContainerStop, StopRecord
from bot.store.records.subscription import Subscription

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
    "Verdict",
    "read_each",
    "read_stored",
]
