"""Bot replies -> Zalo OA message bodies: NFC text split under the length limit, buttons as a template.

Splitting prefers line breaks, then sentence ends, then spaces; a single unbroken run longer than the limit
(a long URL) is cut hard. Chunks keep their order; the button template rides on the last chunk so the
choices appear under the end of the answer.
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from typing import Any

from api.conversations import BotMessage, Button

_SENTENCE_END = re.compile(r"(?<=[.!?…;:])\s+")
_URL = re.compile(r"^(https?://|tel:)", re.IGNORECASE)


@dataclass(frozen=True)
class OutgoingMessage:
    """One Zalo send: the text of one chunk and, on the last chunk only, its buttons."""

    text: str
    buttons: list[dict[str, Any]] = field(default_factory=list)

    def to_zalo(self, user_id: str) -> dict[str, Any]:
        message: dict[str, Any] = {"text": self.text}
        if self.buttons:
            message["attachment"] = {"type": "template", "payload": {"buttons": self.buttons}}
        return {"recipient": {"user_id": user_id}, "message": message}


def _pieces(text: str, pattern: re.Pattern[str] | None, limit: int) -> list[str]:
    """Split into pieces no longer than limit, at the given separator pattern (None: spaces, then hard cut)."""
    if len(text) <= limit:
        return [text]
    if pattern is not None:
        parts = pattern.split(text)
        if len(parts) > 1:
            return [p for part in parts for p in _pieces(part, pattern, limit)]
        return _pieces(text, None, limit)
    words = text.split(" ")
    if len(words) > 1:
        return [w for word in words for w in _pieces(word, None, limit)]
    return [text[i : i + limit] for i in range(0, len(text), limit)]


def _pack(pieces: list[str], joiner: str, limit: int) -> list[str]:
    """Greedily join consecutive pieces while they fit."""
    chunks: list[str] = []
    current = ""
    for piece in pieces:
        candidate = f"{current}{joiner}{piece}" if current else piece
        if len(candidate) <= limit:
            current = candidate
        else:
            if current:
                chunks.append(current)
            current = piece
    if current:
        chunks.append(current)
    return chunks


def split_text(text: str, limit: int) -> list[str]:
    """NFC-normalise and split into ordered chunks of at most `limit` characters."""
    text = unicodedata.normalize("NFC", text).strip()
    if not text:
        return []
    if len(text) <= limit:
        return [text]
    chunks: list[str] = []
    for block in _pack(text.split("\n"), "\n", limit):
        if len(block) <= limit:
            chunks.append(block)
            continue
        # One line longer than the limit: split it into sentences, then words.
        sentences = [s for part in _SENTENCE_END.split(block) for s in _pieces(part, None, limit)]
        chunks.extend(_pack(sentences, " ", limit))
    # Re-pack line-level and sentence-level chunks together so no chunk is needlessly short.
    return [c.strip() for c in _pack(chunks, "\n", limit) if c.strip()]


def _shorten(title: str, limit: int) -> str:
    title = unicodedata.normalize("NFC", title).strip()
    return title if len(title) <= limit else title[: limit - 1].rstrip() + "…"


def zalo_button(button: Button, title_limit: int) -> dict[str, Any]:
    """A bot button as a Zalo template button.

    Links open in the browser and phone numbers dial; everything else becomes oa.query.show, which sends the
    button's title back as the citizen's message (the channel maps it to the bot payload, see ButtonMemory).
    """
    title = _shorten(button.title, title_limit)
    payload = button.payload.strip()
    if _URL.match(payload):
        if payload.lower().startswith("tel:"):
            return {"title": title, "type": "oa.open.phone", "payload": {"phone_code": payload[4:]}}
        return {"title": title, "type": "oa.open.url", "payload": {"url": payload}}
    return {"title": title, "type": "oa.query.show", "payload": title}


@dataclass(frozen=True)
class FormatLimits:
    max_text_chars: int = 2000
    max_buttons: int = 5
    max_button_title_chars: int = 100
    more_choices_intro: str = "Anh/Chị cũng có thể gõ một trong các lựa chọn sau:"


def to_outgoing(reply: BotMessage, limits: FormatLimits) -> list[OutgoingMessage]:
    """One bot reply -> the ordered Zalo sends that carry it."""
    shown = reply.buttons[: limits.max_buttons]
    extra = reply.buttons[limits.max_buttons :]
    text = reply.text or ""
    if extra:
        listed = "\n".join(f"- {_shorten(b.title, limits.max_button_title_chars)}" for b in extra)
        text = f"{text}\n\n{limits.more_choices_intro}\n{listed}".strip()
    chunks = split_text(text, limits.max_text_chars)
    if not chunks and shown:
        # Zalo needs text next to a template; a bare menu gets a neutral prompt.
        chunks = ["Anh/Chị vui lòng chọn:"]
    buttons = [zalo_button(b, limits.max_button_title_chars) for b in shown]
    return [
        OutgoingMessage(text=chunk, buttons=buttons if i == len(chunks) - 1 else [])
        for i, chunk in enumerate(chunks)
    ]


def offered_choices(reply: BotMessage, limits: FormatLimits) -> dict[str, str]:
    """Titles (as shown, and as shortened on a button) -> bot payloads, for choices that send a message."""
    choices: dict[str, str] = {}
    for button in reply.buttons:
        if _URL.match(button.payload.strip()):
            continue
        choices[button.title] = button.payload
        choices[_shorten(button.title, limits.max_button_title_chars)] = button.payload
    return choices
