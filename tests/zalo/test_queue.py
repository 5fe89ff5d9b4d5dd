"""The inbound queue: dedupe, per-citizen order, durability across restarts (SQLite, and Redis if running)."""
from __future__ import annotations

import asyncio
import socket
import uuid
from pathlib import Path

import pytest

from api.db import Database
from api.zalo.queue import InboundItem, RedisQueue, SqliteQueue

REDIS_URL = "redis://127.0.0.1:6379/0"


def item(key: str, sender: str) -> InboundItem:
    return InboundItem(key, sender, {"event_name": "user_send_text", "message": {"msg_id": key, "text": key}})


def test_sqlite_dedupes_and_keeps_one_citizen_in_order(tmp_path: Path) -> None:
    async def run() -> list[str | None]:
        queue = SqliteQueue(Database(tmp_path / "q.sqlite3"))
        assert await queue.put(item("a1", "zalo:A"))
        assert not await queue.put(item("a1", "zalo:A"))  # Zalo's retry of the same msg_id
        for key, sender in [("a2", "zalo:A"), ("b1", "zalo:B")]:
            await queue.put(item(key, sender))
        first = await queue.claim(0, 0.01)
        second = await queue.claim(1, 0.01)  # A is busy, so B's message, not a2
        third = await queue.claim(2, 0.01)  # nothing claimable until A's first is done
        await queue.done(first)
        fourth = await queue.claim(0, 0.01)
        return [i.dedupe_key if i else None for i in (first, second, third, fourth)]

    assert asyncio.run(run()) == ["a1", "b1", None, "a2"]


def test_sqlite_restart_reruns_interrupted_items_once(tmp_path: Path) -> None:
    path = tmp_path / "q.sqlite3"

    async def before_crash() -> None:
        queue = SqliteQueue(Database(path))
        await queue.put(item("a1", "zalo:A"))
        await queue.put(item("a2", "zalo:A"))
        assert (await queue.claim(0, 0.01)).dedupe_key == "a1"  # claimed, then the process dies

    async def after_restart() -> list[str]:
        queue = SqliteQueue(Database(path))
        assert await queue.recover() == 1
        assert not await queue.put(item("a1", "zalo:A"))  # still deduplicated after the restart
        seen = []
        while (claimed := await queue.claim(0, 0.01)) is not None:
            seen.append(claimed.dedupe_key)
            await queue.done(claimed)
        assert await queue.pending_count() == 0
        return seen

    asyncio.run(before_crash())
    assert asyncio.run(after_restart()) == ["a1", "a2"]


def _redis_reachable() -> bool:
    try:
        with socket.create_connection(("127.0.0.1", 6379), timeout=0.5):
            return True
    except OSError:
        return False


redis_only = pytest.mark.skipif(not _redis_reachable(), reason="no Redis on 127.0.0.1:6379")


async def _cleanup(prefix: str) -> None:
    import redis.asyncio as aioredis

    client = aioredis.from_url(REDIS_URL)
    keys = [k async for k in client.scan_iter(f"{prefix}:*")]
    if keys:
        await client.delete(*keys)
    await client.aclose()


@redis_only
def test_redis_dedupes_orders_and_recovers_after_a_dead_worker() -> None:
    prefix = f"test-zalo-{uuid.uuid4().hex[:8]}"

    async def run() -> None:
        first = RedisQueue(REDIS_URL, shards=2, prefix=prefix, lease_s=1.5)
        try:
            assert await first.put(item("a1", "zalo:A"))
            assert not await first.put(item("a1", "zalo:A"))
            await first.put(item("a2", "zalo:A"))
            slot = first.shard_of("zalo:A")
            claimed = await first.claim(slot, 0.1)
            assert claimed.dedupe_key == "a1"
            # `first` dies here without done() or releasing its lease.
            second = RedisQueue(REDIS_URL, shards=2, prefix=prefix, lease_s=1.5)
            assert await second.claim(slot, 0.1) is None  # the shard is still leased to `first`
            await asyncio.sleep(1.6)  # the lease expires
            order = []
            while (nxt := await second.claim(slot, 0.1)) is not None:
                order.append(nxt.dedupe_key)
                await second.done(nxt)
            assert order == ["a1", "a2"]  # the interrupted one first, then the rest, once each
            assert await second.pending_count() == 0
            await second.close()
        finally:
            await first.redis.aclose()
            await _cleanup(prefix)

    asyncio.run(run())
