"""The typed records the store keeps, each with the JSON it has always been stored as.

Reading is lenient on purpose: a record written by an older version (a field missing, one more field, a
time as epoch seconds) still reads, with the defaults below; what cannot be read at all is skipped by the
store, never raised to a user.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from pydantic import AliasChoices, BaseModel, ConfigDict, Field, ValidationError, field_validator
from pydantic_core import PydanticUndefined

__all__ = ["ContainerStop", "StopRecord", "Subscription", "ValidationError"]


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
