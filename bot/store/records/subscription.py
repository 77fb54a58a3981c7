"""A channel's subscription to a service's (or a cluster's) failures."""

from __future__ import annotations

from typing import Any

from bot.store.records.base import Record


class Subscription(Record):
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
