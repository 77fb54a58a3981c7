"""Who may press a remediation button: users, user groups (read through the injected function, cached),
and nobody when the list is empty or group membership cannot be read."""

from __future__ import annotations

import pytest

from bot.authz import Operators


class Groups:
    """An injected `usergroups.users.list`, counting calls; raises for groups in `broken`."""

    def __init__(self, members: dict[str, set[str]], broken: set[str] | None = None) -> None:
        self.members = members
        self.broken = broken or set()
        self.calls: list[str] = []

    def __call__(self, group: str) -> set[str]:
        self.calls.append(group)
        if group in self.broken:
            raise RuntimeError("slack is down")
        return set(self.members.get(group, set()))


def test_empty_means_nobody() -> None:
    groups = Groups({})
    ops = Operators([], groups)
    assert not ops.allowed("U1")
    assert not ops.allowed("")
    assert groups.calls == []


def test_listed_users_only() -> None:
    ops = Operators(["U1", "W2"], Groups({}))
    assert ops.allowed("U1") and ops.allowed("W2")
    assert not ops.allowed("U3")


def test_user_groups_through_the_injected_function() -> None:
    groups = Groups({"S1": {"U7", "U8"}})
    ops = Operators(["S1"], groups)
    assert ops.allowed("U7") and ops.allowed("U8")
    assert not ops.allowed("U9")


def test_group_membership_is_cached() -> None:
    groups = Groups({"S1": {"U7"}})
    ops = Operators(["S1"], groups, ttl_seconds=60)
    for _ in range(5):
        assert ops.allowed("U7")
        assert not ops.allowed("U9")
    assert groups.calls == ["S1"]


def test_cache_expires_so_a_removal_takes_effect(monkeypatch: pytest.MonkeyPatch) -> None:
    clock = [1000.0]
    monkeypatch.setattr("bot.authz.time.monotonic", lambda: clock[0])
    groups = Groups({"S1": {"U7"}})
    ops = Operators(["S1"], groups, ttl_seconds=60)
    assert ops.allowed("U7")
    groups.members["S1"] = set()
    clock[0] += 30
    assert ops.allowed("U7"), "still cached"
    clock[0] += 31
    assert not ops.allowed("U7"), "removed from the group: refused after the TTL"
    assert groups.calls == ["S1", "S1"]


def test_a_failing_group_lookup_refuses() -> None:
    ops = Operators(["S1"], Groups({"S1": {"U7"}}, broken={"S1"}))
    assert not ops.allowed("U7")


def test_a_failing_group_does_not_hide_a_listed_user_or_another_group() -> None:
    ops = Operators(["U1", "S1", "S2"], Groups({"S2": {"U7"}}, broken={"S1"}))
    assert ops.allowed("U1")
    assert ops.allowed("U7")
    assert not ops.allowed("U8")


def test_unknown_id_shapes_grant_nothing() -> None:
    groups = Groups({})
    ops = Operators(["C123", "T1", "x", ""], groups)
    assert not ops.allowed("C123") and not ops.allowed("")
    assert groups.calls == []


def test_a_failed_lookup_is_not_cached() -> None:
    groups = Groups({"S1": {"U7"}}, broken={"S1"})
    ops = Operators(["S1"], groups, ttl_seconds=60)
    assert not ops.allowed("U7")
    groups.broken.clear()
    assert ops.allowed("U7")
