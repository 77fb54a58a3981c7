"""Who may press a remediation button: Slack user IDs and user group IDs from ECS_WHY_OPERATORS.

Empty means nobody. Checked when the button is clicked and again when the change is confirmed; group
membership is read from Slack (cached briefly, so a removal takes effect within a minute).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable

GroupMembers = Callable[[str], set[str]]


class GroupCache:
    """Members of Slack user groups, read through the injected function and cached for `ttl_seconds`."""

    def __init__(self, group_members: GroupMembers, ttl_seconds: float = 60.0) -> None:
        self._members = group_members
        self._ttl = ttl_seconds
        self._cache: dict[str, tuple[float, set[str]]] = {}
        self._lock = threading.Lock()

    def members(self, group: str) -> set[str]:
        now = time.monotonic()
        with self._lock:
            cached = self._cache.get(group)
            if cached and now - cached[0] < self._ttl:
                return cached[1]
        try:
            members = self._members(group)
        except Exception:
            return set()  # refuse now, but do not remember the failure: ask Slack again next time
        with self._lock:
            self._cache[group] = (now, members)
        return members


class Operators:
    def __init__(
        self, ids: Iterable[str], group_members: GroupMembers | GroupCache, ttl_seconds: float = 60.0
    ) -> None:
        ids = list(ids)
        self.users = {i for i in ids if i[:1] in ("U", "W")}
        self.groups = [i for i in ids if i[:1] == "S"]
        self.cache = (
            group_members if isinstance(group_members, GroupCache) else GroupCache(group_members, ttl_seconds)
        )

    def allowed(self, user_id: str) -> bool:
        if user_id in self.users:
            return True
        return any(user_id in self.cache.members(group) for group in self.groups)
