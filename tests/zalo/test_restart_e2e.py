"""Durability: events acknowledged but not yet answered survive a restart and are answered exactly once."""
from __future__ import annotations

import asyncio
import uuid
from pathlib import Path

from api.conversations import ConversationService, RasaBot
from api.db import Database
from api.zalo.channel import ZaloChannel
from api.zalo.queue import RedisQueue
from tests.zalo.bot_standin import BotStandIn
from tests.zalo.harness import fast_config, make_settings, start_stack, text_event, wait_for
from tests.zalo.standin import ZaloStandIn
from tests.zalo.test_queue import REDIS_URL, _cleanup, redis_only

USER = "8123456789012345678"


def test_events_queued_before_a_stop_are_answered_once_after_restart(
    tmp_path: Path, zalo: ZaloStandIn, bot: BotStandIn
) -> None:
    settings = make_settings(tmp_path, zalo, bot)

    async def accept_then_stop() -> None:
        db = Database(settings.resolved_data_dir / "assistant.sqlite3")
        conversations = ConversationService(db, RasaBot(settings.resolved_rasa_url), settings.hotline)
        channel = ZaloChannel(settings, conversations, db, config=fast_config())
        for text in ["câu một", "câu hai", "câu ba"]:
            assert await channel.accept(text_event(USER, text)) == "queued"
        # One event was taken by a worker when the process died (claimed, never finished).
        assert (await channel.queue.claim(0, 0.01)) is not None
        await channel.stop()  # the workers never answered anything

    asyncio.run(accept_then_stop())
    assert zalo.received() == [] and bot.calls == []

    stack = start_stack(tmp_path, zalo, bot)
    try:
        assert wait_for(lambda: len(zalo.received(USER)) >= 3)
    finally:
        stack.stop()
    answered = [r.text.split(".")[0] for r in zalo.received(USER)]
    assert answered == ["Trả lời: câu một", "Trả lời: câu hai", "Trả lời: câu ba"]

    # A second restart finds nothing left to do: nothing is answered twice.
    stack = start_stack(tmp_path, zalo, bot)
    try:
        stack.post(text_event(USER, "câu bốn"))
        assert wait_for(lambda: len(zalo.received(USER)) >= 4)
    finally:
        stack.stop()
    assert [c[1] for c in bot.calls] == ["câu một", "câu hai", "câu ba", "câu bốn"]
    assert len(zalo.received(USER)) == 4


@redis_only
def test_conversation_through_the_redis_queue(tmp_path: Path, zalo: ZaloStandIn, bot: BotStandIn) -> None:
    prefix = f"test-zalo-{uuid.uuid4().hex[:8]}"
    queue = RedisQueue(REDIS_URL, shards=4, prefix=prefix)
    stack = start_stack(tmp_path, zalo, bot, queue=queue)
    try:
        body = text_event(USER, "câu một")
        assert stack.post(body).json()["status"] == "queued"
        assert stack.post(body).json()["status"] == "duplicate"
        stack.post(text_event(USER, "câu hai"))
        stack.post(text_event("7000000000000000001", "người khác"))
        assert wait_for(lambda: len(zalo.received()) >= 3)
    finally:
        stack.stop()
        asyncio.run(_cleanup(prefix))
    assert [r.text.split(".")[0] for r in zalo.received(USER)] == ["Trả lời: câu một", "Trả lời: câu hai"]
    assert len(bot.calls) == 3
