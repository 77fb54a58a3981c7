"""The append-only audit log (a Redis stream capped near 100,000 records)."""

from __future__ import annotations

from typing import Any, cast

from bot.store.base import StoreBase, dumps, guarded, loads_dict

AUDIT_MAXLEN = 100_000


class AuditMixin(StoreBase):
    @guarded
    def audit(self, record: dict[str, Any]) -> None:
        """Append a record (adds `at`, ISO UTC) to the append-only audit stream, capped near 100,000."""
        entry = {**record, "at": self.now_iso()}
        self.redis.xadd(self.key("audit"), {"record": dumps(entry)}, maxlen=AUDIT_MAXLEN, approximate=True)

    @guarded
    def audit_log(self, count: int = 100) -> list[dict[str, Any]]:
        """The latest audit records, newest first."""
        if count <= 0:
            return []
        rows = cast(list[tuple[str, dict[str, str]]], self.redis.xrevrange(self.key("audit"), count=count))
        records = (loads_dict(fields.get("record")) for _, fields in rows)
        return [r for r in records if r is not None]

    @guarded
    def audit_since(self, since: float, count: int = 1000) -> list[dict[str, Any]]:
        """Audit records written at or after `since` (epoch seconds), newest first, at most `count`.

        Stream IDs start with their time in milliseconds, so Redis selects the window itself."""
        start = f"{max(0, int(since * 1000))}-0"
        rows = cast(
            list[tuple[str, dict[str, str]]],
            self.redis.xrevrange(self.key("audit"), max="+", min=start, count=max(1, count)),
        )
        records = (loads_dict(fields.get("record")) for _, fields in rows)
        return [r for r in records if r is not None]
