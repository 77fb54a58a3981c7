"""A service's history: one record per stopped task."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from pydantic import field_validator

from bot.store.records.base import Record, stored


class ContainerStop(Record):
    name: str = ""
    exit_code: int | None = stored("exitCode", None)
    reason: str = ""


class StopRecord(Record):
    """One stopped task in a service's history (`history:<service key>:records`, keyed by its ARN)."""

    task_arn: str = stored("taskArn", min_length=1)
    category: str = "other"
    failure: bool = True  # False: a normal lifecycle stop (deployment, scaling)
    title: str = ""
    reason: str = ""
    summary: str = ""
    stopped_at: str = stored("stoppedAt", "")  # ISO 8601, as ECS writes it
    stop_code: str = stored("stopCode", "")
    task_definition_arn: str = stored("taskDefinitionArn", "")
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
