"""Runs the Zalo channel for real: the app under uvicorn on a free loopback port, the Zalo OA stand-in, and a
Rasa stand-in behind a real ConversationService. Used by the end-to-end tests and scripts/bench_zalo.py."""
from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from pathlib import Path
from contextlib import asynccontextmanager
from typing import Any, AsyncIterator, Callable

import httpx
from fastapi import FastAPI

from api.conversations import ConversationService, RasaBot
from api.db import Database
from api.settings import Settings
from api.zalo.channel import ZaloChannel
from api.zalo.config import ZaloConfig, load_config
from api.zalo.queue import InboundQueue
from api.zalo.signature import HEADER, compute_signature
from tests.support.servers import UvicornThread
from tests.zalo.bot_standin import BotStandIn
from tests.zalo.standin import ZaloStandIn

APP_ID = "4318210956385212345"
OA_SECRET = "oa-secret-for-tests"
APP_SECRET = "app-secret-for-tests"
OA_ID = "579745863508352884"


def fast_config(workers: int = 4) -> ZaloConfig:
    """The shipped config with test-friendly waits (retries still happen, just sooner)."""
    config = load_config()
    config.delivery.backoff_initial_s = 0.01
    config.delivery.backoff_max_s = 0.05
    config.queue.poll_interval_s = 0.05
    config.queue.workers = workers
    return config


def make_settings(data_dir: Path, zalo: ZaloStandIn, bot: BotStandIn, **overrides: Any) -> Settings:
    values: dict[str, Any] = dict(
        data_dir=data_dir,
        rasa_url=bot.url,
        zalo_app_id=APP_ID,
        zalo_oa_secret_key=OA_SECRET,
        zalo_app_secret=APP_SECRET,
        zalo_access_token="access-0",
        zalo_refresh_token="refresh-0",
        zalo_api_base=zalo.url,
        zalo_oauth_base=zalo.url,
        redis_url="",
    )
    values.update(overrides)
    return Settings(**values)


@dataclass
class Running:
    zalo: ZaloStandIn
    bot: BotStandIn
    db: Database
    settings: Settings
    conversations: ConversationService
    channel: ZaloChannel
    app: UvicornThread
    http: httpx.Client = field(
        default_factory=lambda: httpx.Client(timeout=10, limits=httpx.Limits(max_connections=100))
    )

    def post(self, body: dict[str, Any], signature: str | None = "valid") -> httpx.Response:
        raw = json.dumps(body, ensure_ascii=False).encode()
        headers = {"Content-Type": "application/json"}
        if signature == "valid":
            headers[HEADER] = compute_signature(APP_ID, raw, str(body.get("timestamp", "")), OA_SECRET)
        elif signature is not None:
            headers[HEADER] = signature
        return self.http.post(f"{self.app.url}/webhooks/zalo", content=raw, headers=headers)

    def stop(self) -> None:
        self.http.close()
        self.app.stop()


@asynccontextmanager
async def _app_lifespan(app: FastAPI) -> AsyncIterator[None]:
    app.state.started = True
    yield


def start_stack(
    data_dir: Path,
    zalo: ZaloStandIn,
    bot: BotStandIn,
    config: ZaloConfig | None = None,
    queue: InboundQueue | None = None,
    **setting_overrides: Any,
) -> Running:
    settings = make_settings(data_dir, zalo, bot, **setting_overrides)
    db = Database(settings.resolved_data_dir / "assistant.sqlite3")
    conversations = ConversationService(db, RasaBot(settings.resolved_rasa_url, timeout_s=30), settings.hotline)
    channel = ZaloChannel(settings, conversations, db, config=config or fast_config(), queue=queue)
    app = FastAPI(lifespan=_app_lifespan)  # like create_app: the router's lifespan must merge with the app's
    app.include_router(channel.router)
    return Running(zalo, bot, db, settings, conversations, channel, UvicornThread(app).start())


# --- Zalo OA v3 event bodies ------------------------------------------------------------------------------
_counter = iter(range(10**9))


def _timestamp() -> str:
    return str(int(time.time() * 1000) + next(_counter))


def _base(event_name: str, user_id: str) -> dict[str, Any]:
    return {
        "app_id": APP_ID,
        "user_id_by_app": "55" + user_id[-10:],
        "event_name": event_name,
        "timestamp": _timestamp(),
        "sender": {"id": user_id},
        "recipient": {"id": OA_ID},
    }


def text_event(user_id: str, text: str, msg_id: str | None = None) -> dict[str, Any]:
    body = _base("user_send_text", user_id)
    body["message"] = {"msg_id": msg_id or f"msg{time.time_ns()}{next(_counter)}", "text": text}
    return body


def image_event(user_id: str) -> dict[str, Any]:
    body = _base("user_send_image", user_id)
    body["message"] = {
        "msg_id": f"img{time.time_ns()}",
        "attachments": [{"type": "image", "payload": {"thumbnail": "https://example.invalid/t.jpg",
                                                      "url": "https://example.invalid/i.jpg"}}],
    }
    return body


def sticker_event(user_id: str) -> dict[str, Any]:
    body = _base("user_send_sticker", user_id)
    body["message"] = {
        "msg_id": f"stk{time.time_ns()}",
        "attachments": [{"type": "sticker", "payload": {"id": "bfe4", "url": "https://example.invalid/s"}}],
    }
    return body


def follow_event(user_id: str, event_name: str = "follow") -> dict[str, Any]:
    body = _base(event_name, user_id)
    del body["sender"]
    body["follower"] = {"id": user_id}
    body["source"] = "oa_profile"
    return body


def submit_info_event(user_id: str, name: str, phone: str) -> dict[str, Any]:
    body = _base("user_submit_info", user_id)
    body["info"] = {"name": name, "phone": phone, "address": "", "city": "Thái Nguyên"}
    return body


def wait_for(condition: Callable[[], bool], timeout_s: float = 15.0) -> bool:
    """Poll until the condition holds; the caller asserts on the outcome (no timing is asserted)."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.02)
    return condition()
