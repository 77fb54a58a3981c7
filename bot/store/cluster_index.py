"""Per-cluster indexes of what a summary reads, so that it asks Redis as often for 3 services as for 200,
whatever else Redis holds (a SCAN walks the whole keyspace, every cluster's keys and every other kind).

`cluster:<cluster>:services` holds the service keys with stored history and `cluster:<cluster>:alerts` the
group keys of the alerts, each scored by when its state expires (epoch seconds). The script or transaction
that writes the state writes its index entry too: no extra round trip, no drift. An entry lives as long as
its state (up to an hour more): a read drops the expired ones, a write does too, and the index key expires
with its longest-lived entry. What a version without the indexes stored is indexed once: a read that finds
no `clusters:indexed` marker walks the keyspace (SCAN), indexes what it finds and sets the marker
(docs/upgrading.md).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal, cast

from bot.store.base import StoreBase, glob_escape, guarded

Kind = Literal["services", "alerts"]

# Seconds an entry may outlive its state: a write rewrites the entry only when its state would outlive it,
# then for this much longer, so most writes cost one ZSCORE. (An entry outliving its state costs a summary
# nothing: it reads no history for that service.) Scores are whole seconds: Redis compares those without
# parsing text, which a small index (a listpack) does for every member it passes.
INDEX_SLACK_SECONDS = 3600

# `index_member(index, member, expires, now, ttl)`: the member stays at least until `expires` (whole epoch
# seconds; never shortened by a write that comes late), expired members go, and the index key lives as long
# as its entries (`ttl`: seconds the state lives from now). Shared with the history script
# (bot/store/history.py), which indexes the service in the round trip of its stop.
INDEX_MEMBER_LUA = f"""
local function index_member(index, member, expires, now, ttl)
  local known = redis.call('ZSCORE', index, member)
  if known and tonumber(known) >= tonumber(expires) then return end
  redis.call('ZADD', index, string.format('%d', tonumber(expires) + {INDEX_SLACK_SECONDS}), member)
  redis.call('ZREMRANGEBYSCORE', index, '-inf', now)
  if redis.call('TTL', index) < ttl + {INDEX_SLACK_SECONDS} then
    redis.call('EXPIRE', index, ttl + {INDEX_SLACK_SECONDS})
  end
end
"""

# Index one key an older version stored: KEYS = the key, its cluster's index; ARGV = the member, now.
# A key without expiry (not one ecs-why wrote) is kept for a year; a key gone meanwhile is not indexed.
_BACKFILL_ONE = (
    INDEX_MEMBER_LUA
    + """
local left = redis.call('PTTL', KEYS[1])
if left == -2 then return 0 end
if left == -1 then left = 366 * 86400 * 1000 end
local ttl = math.ceil(left / 1000)
index_member(KEYS[2], ARGV[1], string.format('%d', math.ceil(tonumber(ARGV[2]) + left / 1000)), ARGV[2], ttl)
return 1
"""
)
_BACKFILL_BATCH = 500  # script calls per round trip


def cluster_of_service(service_key: str) -> str | None:
    """The cluster of a service key (`account:region:cluster:service`); None for any other key."""
    parts = service_key.split(":")
    return parts[2] if len(parts) == 4 else None


def cluster_of_alert(gkey: str) -> str | None:
    """The cluster of an alert's group key (`account:region:cluster:service:cause|channel`), or None."""
    parts = gkey.partition("|")[0].split(":")
    return parts[2] if len(parts) == 5 and "|" in gkey else None


def cluster_index_key(store: StoreBase, cluster: str, kind: Kind) -> str:
    return store.key("cluster", cluster, kind)


class ClusterIndexMixin(StoreBase):
    @guarded
    def indexed(self, kind: Kind, cluster: str) -> list[str]:
        """The live members of a cluster's index (expired ones dropped): one round trip, two when Redis
        holds state of a version without the indexes yet, plus the walk that indexes it (once)."""
        index, now = cluster_index_key(self, cluster, kind), repr(self.now())
        walked = False
        while True:
            pipe = self.redis.pipeline(transaction=False)
            pipe.zremrangebyscore(index, "-inf", now)
            pipe.zrangebyscore(index, f"({now}", "+inf")
            pipe.exists(self.key("clusters", "indexed"))
            _, members, marked = pipe.execute()
            if marked or walked:
                return sorted(cast(list[str], members))
            self.index_stored_state()
            walked = True

    @guarded
    def index_stored_state(self) -> int:
        """Index the history and alerts stored under this prefix (what a version without the indexes
        wrote), then set the marker that says it was done: one SCAN of the keyspace, and a round trip per
        500 keys found. How many were indexed.

        Safe beside writers and other replicas doing the same: an entry is never shortened."""
        history, alert = self.key("history") + ":", self.key("alert") + ":"
        calls: list[tuple[str, Sequence[str], Sequence[str]]] = []
        done = 0
        for key in cast(list[str], self.redis.scan_iter(match=glob_escape(self.prefix) + ":*", count=1000)):
            kind: Kind
            if key.startswith(history) and key.endswith(":index"):
                member, kind = key[len(history) : -len(":index")], "services"
                cluster = cluster_of_service(member)
            elif key.startswith(alert):
                member, kind = key[len(alert) :], "alerts"
                cluster = cluster_of_alert(member)
            else:
                continue
            if cluster is not None:
                calls.append(
                    (_BACKFILL_ONE, [key, cluster_index_key(self, cluster, kind)], [member, repr(self.now())])
                )
            if len(calls) == _BACKFILL_BATCH:
                done += sum(self.run_scripts(calls))
                calls = []
        done += sum(self.run_scripts(calls)) if calls else 0
        self.redis.set(self.key("clusters", "indexed"), self.now_iso())
        return done
