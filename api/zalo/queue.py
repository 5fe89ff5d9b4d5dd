"""Inbound queue between the webhook (acknowledge fast) and the workers (answer at the bot's pace).

Both implementations share one interface and one guarantee set:
- `put` is idempotent on the dedupe key (Zalo's msg_id): a redelivery returns False and is not queued again;
- an item stays stored until `done`, so a restart re-runs whatever was pending or half-processed;
- one citizen's messages are handled one at a time, in arrival order; different citizens in parallel.

SqliteQueue (default) suits one app process. RedisQueue suits several replicas: items are sharded by sender,
each shard is worked by one lease holder at a time, and a new holder first takes back what a dead one left.
"""
from __future__ import annotations

import asyncio
import json
import time
import uuid
import zlib
from dataclasses import dataclass
from typing import Any, Protocol

from api.db import Database


@dataclass(frozen=True)
class InboundItem:
    dedupe_key: str
    sender: str
    event: dict[str, Any]
    ref: str = ""  # implementation's handle for `done` (row id, or the raw Redis list entry)


class InboundQueue(Protocol):
    async def put(self, item: InboundItem) -> bool: ...
    async def claim(self, slot: int, wait_s: float) -> InboundItem | None: ...
    async def done(self, item: InboundItem) -> None: ...
    async def recover(self) -> int: ...
    async def pending_count(self) -> int: ...
    async def heartbeat(self, slot: int) -> None: ...
    async def close(self) -> None: ...


SQLITE_SCHEMA = """
CREATE TABLE IF NOT EXISTS zalo_inbound (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    dedupe_key TEXT NOT NULL UNIQUE,   -- the row doubles as the durable "seen" record for msg_id
    sender TEXT NOT NULL,
    event TEXT NOT NULL,
    state TEXT NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'processing', 'done')),
    claims INTEGER NOT NULL DEFAULT 0,
    received_at REAL NOT NULL,
    done_at REAL
);
CREATE INDEX IF NOT EXISTS zalo_inbound_state ON zalo_inbound (state, id);
CREATE INDEX IF NOT EXISTS zalo_inbound_done ON zalo_inbound (done_at);
"""

_CLAIM_SQL = """
UPDATE zalo_inbound SET state = 'processing', claims = claims + 1
WHERE id = (
    SELECT id FROM zalo_inbound
    WHERE state = 'pending'
      AND sender NOT IN (SELECT sender FROM zalo_inbound WHERE state = 'processing')
    ORDER BY id LIMIT 1
)
RETURNING id, dedupe_key, sender, event
"""


class SqliteQueue:
    def __init__(self, db: Database, dedupe_ttl_days: float = 7):
        self.db = db
        self.dedupe_ttl_s = dedupe_ttl_days * 86400
        self._arrived = asyncio.Condition()  # wakes one idle worker per new or unblocked item
        db.executescript(SQLITE_SCHEMA)

    def _put_sync(self, item: InboundItem) -> bool:
        with self.db.connect() as conn:
            cur = conn.execute(
                "INSERT OR IGNORE INTO zalo_inbound (dedupe_key, sender, event, received_at) VALUES (?, ?, ?, ?)",
                (item.dedupe_key, item.sender, json.dumps(item.event, ensure_ascii=False), time.time()),
            )
            return cur.rowcount == 1

    async def _wake_one(self) -> None:
        async with self._arrived:
            self._arrived.notify(1)

    async def put(self, item: InboundItem) -> bool:
        added = await asyncio.to_thread(self._put_sync, item)
        if added:
            await self._wake_one()
        return added

    def _claim_sync(self) -> InboundItem | None:
        # A read first, in its own transaction (a read transaction cannot safely upgrade to a write in WAL
        # mode): idle polls then never take the write lock the webhook needs.
        with self.db.connect() as conn:
            if conn.execute("SELECT 1 FROM zalo_inbound WHERE state = 'pending' LIMIT 1").fetchone() is None:
                return None
        with self.db.connect() as conn:
            row = conn.execute(_CLAIM_SQL).fetchone()
        if row is None:
            return None
        return InboundItem(row["dedupe_key"], row["sender"], json.loads(row["event"]), ref=str(row["id"]))

    async def claim(self, slot: int, wait_s: float) -> InboundItem | None:
        item = await asyncio.to_thread(self._claim_sync)
        if item is None:
            async with self._arrived:
                try:
                    await asyncio.wait_for(self._arrived.wait(), timeout=wait_s)
                except asyncio.TimeoutError:
                    pass
        return item

    def _done_sync(self, ref: str) -> None:
        with self.db.connect() as conn:
            conn.execute("UPDATE zalo_inbound SET state = 'done', done_at = ? WHERE id = ?", (time.time(), int(ref)))

    async def done(self, item: InboundItem) -> None:
        await asyncio.to_thread(self._done_sync, item.ref)
        await self._wake_one()  # the sender is free again: its next message may be claimable

    def _recover_sync(self) -> int:
        """Called before workers start: this process owns the queue, so anything 'processing' was interrupted."""
        with self.db.connect() as conn:
            conn.execute(
                "DELETE FROM zalo_inbound WHERE state = 'done' AND done_at < ?", (time.time() - self.dedupe_ttl_s,)
            )
            cur = conn.execute("UPDATE zalo_inbound SET state = 'pending' WHERE state = 'processing'")
            return cur.rowcount

    async def recover(self) -> int:
        return await asyncio.to_thread(self._recover_sync)

    async def pending_count(self) -> int:
        def count() -> int:
            with self.db.connect() as conn:
                return conn.execute("SELECT COUNT(*) FROM zalo_inbound WHERE state != 'done'").fetchone()[0]

        return await asyncio.to_thread(count)

    async def heartbeat(self, slot: int) -> None:
        return None

    async def close(self) -> None:
        return None


# KEYS: seen key, queue key. ARGV: entry, ttl seconds. Dedupe and enqueue in one step so a crash cannot
# mark a message seen without queueing it.
_PUT_LUA = """
if redis.call('SET', KEYS[1], '1', 'NX', 'EX', ARGV[2]) then
  redis.call('LPUSH', KEYS[2], ARGV[1])
  return 1
end
return 0
"""

# KEYS: lease key. ARGV: owner, ttl ms. Returns 2 when newly acquired, 1 when renewed, 0 when held by another.
_LEASE_LUA = """
local owner = redis.call('GET', KEYS[1])
if owner == ARGV[1] then
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
  return 1
end
if not owner then
  redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
  return 2
end
return 0
"""

_RELEASE_LUA = """
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0
"""


class RedisQueue:
    def __init__(
        self, redis_url: str, shards: int, prefix: str = "zalo", dedupe_ttl_days: float = 7, lease_s: float = 60
    ):
        import redis.asyncio as aioredis  # imported here: only deployments that set REDIS_URL need it

        self.redis = aioredis.from_url(redis_url, decode_responses=True)
        self.shards = shards
        self.prefix = prefix
        self.dedupe_ttl_s = int(dedupe_ttl_days * 86400)
        self.lease_ms = int(lease_s * 1000)
        self.owner = uuid.uuid4().hex
        self._put = self.redis.register_script(_PUT_LUA)
        self._lease = self.redis.register_script(_LEASE_LUA)
        self._release = self.redis.register_script(_RELEASE_LUA)

    def shard_of(self, sender: str) -> int:
        return zlib.crc32(sender.encode()) % self.shards

    def _key(self, kind: str, name: str | int) -> str:
        return f"{self.prefix}:{kind}:{name}"

    async def put(self, item: InboundItem) -> bool:
        entry = json.dumps({"k": item.dedupe_key, "s": item.sender, "e": item.event}, ensure_ascii=False)
        added = await self._put(
            keys=[self._key("seen", item.dedupe_key), self._key("q", self.shard_of(item.sender))],
            args=[entry, self.dedupe_ttl_s],
        )
        return bool(added)

    async def _hold_lease(self, slot: int) -> bool:
        state = await self._lease(keys=[self._key("lease", slot)], args=[self.owner, self.lease_ms])
        if state == 2:
            # Newly ours: whatever the previous holder left half-done goes back to the front of the queue.
            while await self.redis.lmove(self._key("proc", slot), self._key("q", slot), "RIGHT", "RIGHT"):
                pass
        return state != 0

    async def claim(self, slot: int, wait_s: float) -> InboundItem | None:
        if slot >= self.shards:
            await asyncio.sleep(wait_s)
            return None
        if not await self._hold_lease(slot):
            await asyncio.sleep(wait_s)
            return None
        entry = await self.redis.blmove(
            self._key("q", slot), self._key("proc", slot), max(wait_s, 0.01), "RIGHT", "LEFT"
        )
        if entry is None:
            return None
        data = json.loads(entry)
        return InboundItem(data["k"], data["s"], data["e"], ref=entry)

    async def done(self, item: InboundItem) -> None:
        await self.redis.lrem(self._key("proc", self.shard_of(item.sender)), 1, item.ref)

    async def heartbeat(self, slot: int) -> None:
        if slot < self.shards:
            await self._lease(keys=[self._key("lease", slot)], args=[self.owner, self.lease_ms])

    async def recover(self) -> int:
        return 0  # recovery happens per shard when its lease is taken

    async def pending_count(self) -> int:
        total = 0
        for shard in range(self.shards):
            total += await self.redis.llen(self._key("q", shard)) + await self.redis.llen(self._key("proc", shard))
        return total

    async def close(self) -> None:
        for shard in range(self.shards):
            await self._release(keys=[self._key("lease", shard)], args=[self.owner])
        await self.redis.aclose()
