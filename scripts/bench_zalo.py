"""Benchmark the Zalo channel end to end on loopback.

Starts the app (uvicorn), the Zalo OA stand-in and a Rasa stand-in with a fixed think time, then runs N
concurrent conversations, each posting signed `user_send_text` events one after another (the next question
once the previous answer arrived, as a person would). Prints webhook acknowledgement latency and end-to-end
reply latency (POST sent -> answer received by the Zalo stand-in), p50/p95/max.

    .venv/bin/python scripts/bench_zalo.py [--conversations 20] [--messages 5] [--bot-delay 0.2] [--workers N]
        [--redis redis://127.0.0.1:6379/0]
"""
from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.zalo.bot_standin import BotStandIn  # noqa: E402
from tests.zalo.harness import APP_ID, APP_SECRET, Running, start_stack, text_event, wait_for  # noqa: E402
from tests.zalo.standin import ZaloStandIn  # noqa: E402
from api.zalo.config import load_config  # noqa: E402
from api.zalo.queue import RedisQueue  # noqa: E402


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def conversation(stack: Running, user_id: str, messages: int, acks: list[float], replies: list[float],
                 lost: list[str]) -> None:
    for i in range(messages):
        text = f"câu {user_id[-3:]}-{i}"
        expected = f"Trả lời: {text}."
        started = time.time()
        resp = stack.post(text_event(user_id, text))
        acks.append(time.time() - started)
        if resp.status_code != 200:
            lost.append(text)
            continue
        if not wait_for(lambda: any(r.text.startswith(expected) for r in stack.zalo.received(user_id)), 60):
            lost.append(text)
            continue
        received_at = next(r.at for r in stack.zalo.received(user_id) if r.text.startswith(expected))
        replies.append(received_at - started)


def summary(name: str, values: list[float]) -> str:
    if not values:
        return f"{name}: no samples"
    ms = [v * 1000 for v in values]
    return (f"{name}: n={len(ms)} p50={percentile(ms, 0.5):.1f} ms p95={percentile(ms, 0.95):.1f} ms "
            f"max={max(ms):.1f} ms mean={statistics.fmean(ms):.1f} ms")


async def _delete_keys(redis_url: str, prefix: str) -> None:
    import redis.asyncio as aioredis

    client = aioredis.from_url(redis_url)
    keys = [key async for key in client.scan_iter(f"{prefix}:*")]
    if keys:
        await client.delete(*keys)
    await client.aclose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--conversations", type=int, default=20)
    parser.add_argument("--messages", type=int, default=5, help="messages per conversation")
    parser.add_argument("--bot-delay", type=float, default=0.2, help="simulated Rasa think time, seconds")
    parser.add_argument("--workers", type=int, default=None, help="channel workers (default: channel.yml)")
    parser.add_argument("--redis", default="", help="use the Redis queue at this URL, e.g. redis://127.0.0.1:6379/0")
    args = parser.parse_args()

    config = load_config()
    if args.workers:
        config.queue.workers = args.workers
    zalo = ZaloStandIn(APP_ID, APP_SECRET, "access-0", "refresh-0").start()
    bot = BotStandIn(delay_s=args.bot_delay).start()
    acks: list[float] = []
    replies: list[float] = []
    lost: list[str] = []
    with tempfile.TemporaryDirectory() as tmp:
        prefix = f"bench-zalo-{uuid.uuid4().hex[:8]}"
        queue = RedisQueue(args.redis, shards=config.queue.workers, prefix=prefix) if args.redis else None
        stack = start_stack(Path(tmp), zalo, bot, config=config, queue=queue)
        try:
            users = [f"{7000000000000000000 + n}" for n in range(args.conversations)]
            threads = [threading.Thread(target=conversation, args=(stack, u, args.messages, acks, replies, lost))
                       for u in users]
            started = time.time()
            for t in threads:
                t.start()
            for t in threads:
                t.join()
            elapsed = time.time() - started
        finally:
            stack.stop()
            zalo.stop()
            bot.stop()
            if args.redis:
                asyncio.run(_delete_keys(args.redis, prefix))
    total = args.conversations * args.messages
    print(f"Zalo channel benchmark: {args.conversations} concurrent conversations x {args.messages} messages, "
          f"bot think time {args.bot_delay * 1000:.0f} ms, {config.queue.workers} workers, "
          f"{'Redis' if args.redis else 'SQLite'} queue")
    print(summary("webhook ack latency", acks))
    print(summary("end-to-end reply latency", replies))
    print(f"answered {len(replies)}/{total} in {elapsed:.1f} s ({len(replies) / elapsed:.1f} replies/s); "
          f"lost or unanswered: {len(lost)}; duplicate sends: {len(zalo.received()) - len(replies)}")


if __name__ == "__main__":
    main()
