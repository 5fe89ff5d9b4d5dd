"""Conversations: the one entry point every channel (web chat, Zalo, officer console) uses.

`ConversationService.handle` stores what the citizen sent, stays silent while an officer holds the
conversation, otherwise asks the bot (Rasa, over HTTP) and stores each reply. Nothing a citizen sent is
lost: the inbound message is stored before the bot is asked, and a bot failure is stored too.
"""
from __future__ import annotations

import json
import logging
import time
from typing import Any, Callable, Protocol

import httpx
from pydantic import BaseModel, Field

from api.db import Database
from api.privacy import mask_pii, mask_sender

log = logging.getLogger(__name__)

SCHEMA = """
CREATE TABLE IF NOT EXISTS transcript (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    sender TEXT NOT NULL,
    direction TEXT NOT NULL CHECK (direction IN ('in', 'out', 'event')),
    text TEXT NOT NULL DEFAULT '',
    channel TEXT NOT NULL,
    meta TEXT NOT NULL DEFAULT '{}',
    created_at REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS transcript_sender ON transcript (sender, id);
CREATE TABLE IF NOT EXISTS callback_contacts (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    sender TEXT NOT NULL,
    phone TEXT,
    name TEXT,
    consent INTEGER NOT NULL,
    created_at REAL NOT NULL
);
"""

BOT_UNAVAILABLE_TEXT = (
    "Xin lỗi Anh/Chị, hệ thống trả lời tự động đang tạm gián đoạn. "
    "Tin nhắn của Anh/Chị đã được lưu lại; Anh/Chị vui lòng thử lại sau ít phút "
    "hoặc gọi đường dây nóng {hotline} để được cán bộ hỗ trợ."
)


class Button(BaseModel):
    title: str
    payload: str


class BotMessage(BaseModel):
    text: str = ""
    buttons: list[Button] = Field(default_factory=list)


class BotUnavailable(Exception):
    """The dialogue engine did not answer (down, slow or returned an error)."""


class Bot(Protocol):
    async def send(self, sender: str, text: str, metadata: dict[str, Any]) -> list[BotMessage]: ...


class RasaBot:
    """Rasa's REST channel: POST /webhooks/rest/webhook {"sender","message","metadata"} -> [ {text, buttons} ].

    One HTTP client is reused for every message: building a client per message costs more CPU than the
    request itself.
    """

    def __init__(self, base_url: str, timeout_s: float = 30.0):
        self.base_url = base_url.rstrip("/")
        self.timeout_s = timeout_s
        self._client: httpx.AsyncClient | None = None

    def _http(self) -> httpx.AsyncClient:
        if self._client is None or self._client.is_closed:
            self._client = httpx.AsyncClient(timeout=self.timeout_s)
        return self._client

    async def send(self, sender: str, text: str, metadata: dict[str, Any]) -> list[BotMessage]:
        try:
            resp = await self._http().post(
                f"{self.base_url}/webhooks/rest/webhook",
                json={"sender": sender, "message": text, "metadata": metadata},
            )
            resp.raise_for_status()
            payload = resp.json()
        except RuntimeError as exc:  # a client bound to an event loop that has ended: start a new one
            self._client = None
            raise BotUnavailable(str(exc)) from exc
        except (httpx.HTTPError, ValueError) as exc:
            raise BotUnavailable(str(exc)) from exc
        return [msg for msg in (_from_rasa(item) for item in payload) if msg is not None]

    async def close(self) -> None:
        if self._client is not None:
            await self._client.aclose()


def _from_rasa(item: dict[str, Any]) -> BotMessage | None:
    text = item.get("text") or ""
    buttons = [
        Button(title=str(b.get("title", "")), payload=str(b.get("payload", "")))
        for b in item.get("buttons") or []
        if b.get("title") and b.get("payload")
    ]
    if not text and not buttons:
        return None
    return BotMessage(text=text, buttons=buttons)


class ConversationService:
    def __init__(
        self,
        db: Database,
        bot: Bot,
        hotline: str,
        is_held: Callable[[str], bool] = lambda sender: False,
        clock: Callable[[], float] = time.time,
    ):
        self.db = db
        self.bot = bot
        self.hotline = hotline
        self.is_held = is_held
        self.clock = clock
        db.executescript(SCHEMA)

    async def handle(self, sender: str, text: str, channel: str) -> list[BotMessage]:
        self.record(sender, "in", text, channel)
        if self.is_held(sender):
            log.info("conversation %s is held by an officer; bot stays silent", mask_sender(sender))
            return []
        try:
            replies = await self.bot.send(sender, text, {"channel": channel})
        except BotUnavailable as exc:
            log.warning("bot unavailable for %s: %s", mask_sender(sender), mask_pii(str(exc)))
            replies = [BotMessage(text=BOT_UNAVAILABLE_TEXT.format(hotline=self.hotline))]
            self.record(sender, "event", "bot_unavailable", channel, {"error": mask_pii(str(exc))[:300]})
        for reply in replies:
            self.record(sender, "out", reply.text, channel, {"buttons": [b.model_dump() for b in reply.buttons]})
        return replies

    def record(self, sender: str, direction: str, text: str, channel: str, meta: dict[str, Any] | None = None) -> None:
        with self.db.connect() as conn:
            conn.execute(
                "INSERT INTO transcript (sender, direction, text, channel, meta, created_at) VALUES (?, ?, ?, ?, ?, ?)",
                (sender, direction, text, channel, json.dumps(meta or {}, ensure_ascii=False), self.clock()),
            )

    def record_event(self, sender: str, kind: str, detail: dict[str, Any] | None = None, channel: str = "zalo") -> None:
        self.record(sender, "event", kind, channel, detail or {})

    def record_callback_contact(self, sender: str, phone: str | None, name: str | None, consent: bool = True) -> None:
        with self.db.connect() as conn:
            conn.execute(
                "INSERT INTO callback_contacts (sender, phone, name, consent, created_at) VALUES (?, ?, ?, ?, ?)",
                (sender, phone, name, int(consent), self.clock()),
            )
        log.info("call-back contact stored for %s (consent=%s)", mask_sender(sender), consent)

    def transcript(self, sender: str, limit: int = 200) -> list[dict[str, Any]]:
        return read_transcript(self.db, sender, limit)


def read_transcript(
    db: Database, sender: str, limit: int, directions: tuple[str, ...] = ("in", "out", "event")
) -> list[dict[str, Any]]:
    """The last `limit` transcript rows of a conversation in the given directions, oldest first."""
    marks = ", ".join("?" for _ in directions)
    with db.connect() as conn:
        rows = conn.execute(
            f"SELECT direction, text, channel, meta, created_at FROM transcript "
            f"WHERE sender = ? AND direction IN ({marks}) ORDER BY id DESC LIMIT ?",
            (sender, *directions, limit),
        ).fetchall()
    return [{**dict(row), "meta": json.loads(row["meta"])} for row in reversed(rows)]
