"""Sending outside a bot turn (an officer's follow-up) goes through the same client, transcript and failures."""
from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from api.conversations import BotMessage, Button, ConversationService, RasaBot
from api.db import Database
from api.zalo.channel import ZaloChannel
from api.zalo.failures import list_delivery_failures, resolve_delivery_failure
from tests.zalo.bot_standin import BotStandIn
from tests.zalo.harness import fast_config, make_settings
from tests.zalo.standin import ZaloStandIn

USER = "3456789012345678901"


def run_channel(
    tmp_path: Path, zalo: ZaloStandIn, bot: BotStandIn, messages: list[BotMessage]
) -> tuple[bool, Database]:
    settings = make_settings(tmp_path, zalo, bot)
    db = Database(settings.resolved_data_dir / "assistant.sqlite3")

    async def run() -> bool:
        channel = ZaloChannel(settings, ConversationService(db, RasaBot(bot.url), settings.hotline), db,
                              config=fast_config())
        await channel.start()
        try:
            return await channel.send_to_citizen(f"zalo:{USER}", messages)
        finally:
            await channel.stop()

    return asyncio.run(run()), db


def test_officer_message_is_sent_and_recorded(tmp_path: Path, zalo: ZaloStandIn, bot: BotStandIn) -> None:
    message = BotMessage(text="Hồ sơ của Anh/Chị đã được tiếp nhận.",
                         buttons=[Button(title="Tra cứu hồ sơ", payload="/tra_cuu_ho_so")])
    ok, db = run_channel(tmp_path, zalo, bot, [message])
    assert ok
    [received] = zalo.received(USER)
    assert received.text == message.text and received.buttons[0]["title"] == "Tra cứu hồ sơ"
    transcript = ConversationService(db, RasaBot(bot.url), "").transcript(f"zalo:{USER}")
    assert transcript[0]["direction"] == "out" and transcript[0]["meta"]["source"] == "officer"
    assert transcript[1]["text"] == "zalo_send" and transcript[1]["meta"]["ok"]


def test_failed_officer_message_is_listed_until_resolved(tmp_path: Path, zalo: ZaloStandIn, bot: BotStandIn) -> None:
    zalo.state.window_users.add(USER)
    ok, db = run_channel(tmp_path, zalo, bot, [BotMessage(text="Anh/Chị vui lòng bổ sung giấy tờ.")])
    assert not ok
    [failure] = list_delivery_failures(db)
    assert (failure["reason"], failure["error_code"]) == ("window", -230)
    assert resolve_delivery_failure(db, failure["id"], officer="canbo01")
    assert list_delivery_failures(db) == []
    assert list_delivery_failures(db, include_resolved=True)[0]["resolved_by"] == "canbo01"


def test_only_zalo_conversations(tmp_path: Path, zalo: ZaloStandIn, bot: BotStandIn) -> None:
    settings = make_settings(tmp_path, zalo, bot)
    db = Database(settings.resolved_data_dir / "assistant.sqlite3")
    channel = ZaloChannel(settings, ConversationService(db, RasaBot(bot.url), ""), db, config=fast_config())
    with pytest.raises(ValueError):
        asyncio.run(channel.send_to_citizen("web:abc", [BotMessage(text="x")]))
    assert zalo.state.send_calls == 0
