"""Zalo OA v3 webhook events reduced to what the assistant acts on.

Zalo IDs are strings longer than 2^53; they are kept as strings and never converted to numbers.
"""
from __future__ import annotations

import unicodedata
from dataclasses import dataclass, field
from enum import Enum
from typing import Any


class EventKind(str, Enum):
    TEXT = "text"
    FOLLOW = "follow"
    UNFOLLOW = "unfollow"
    IMAGE = "image"
    NON_TEXT = "non_text"  # sticker, file, audio, video, gif, location, link, business card
    SUBMIT_INFO = "submit_info"
    IGNORED = "ignored"  # echoes of our own sends, receipts
    UNKNOWN = "unknown"


NON_TEXT_EVENTS = {
    "user_send_sticker",
    "user_send_file",
    "user_send_audio",
    "user_send_video",
    "user_send_gif",
    "user_send_location",
    "user_send_link",
    "user_send_business_card",
}


@dataclass(frozen=True)
class ZaloEvent:
    kind: EventKind
    event_name: str
    user_id: str  # the citizen's Zalo user id (sender for user_* events, follower for follow/unfollow)
    dedupe_key: str  # "msg:<msg_id>" for messages, otherwise event name + user + timestamp
    timestamp: str = ""
    msg_id: str = ""
    text: str = ""
    attachments: list[dict[str, Any]] = field(default_factory=list)
    info: dict[str, str] = field(default_factory=dict)

    @property
    def sender(self) -> str:
        return f"zalo:{self.user_id}"


def _as_str(value: Any) -> str:
    return "" if value is None else str(value)


def classify(event_name: str, ignored_events: set[str]) -> EventKind:
    if event_name in ignored_events or event_name.startswith("oa_send_"):
        return EventKind.IGNORED
    if event_name == "user_send_text":
        return EventKind.TEXT
    if event_name == "follow":
        return EventKind.FOLLOW
    if event_name == "unfollow":
        return EventKind.UNFOLLOW
    if event_name == "user_send_image":
        return EventKind.IMAGE
    if event_name in NON_TEXT_EVENTS:
        return EventKind.NON_TEXT
    if event_name == "user_submit_info":
        return EventKind.SUBMIT_INFO
    return EventKind.UNKNOWN


def _user_id(kind: EventKind, body: dict[str, Any]) -> str:
    if kind in (EventKind.FOLLOW, EventKind.UNFOLLOW):
        follower = body.get("follower") or {}
        return _as_str(follower.get("id")) or _as_str((body.get("sender") or {}).get("id"))
    return _as_str((body.get("sender") or {}).get("id"))


def parse_event(body: dict[str, Any], ignored_events: set[str] = frozenset()) -> ZaloEvent:
    event_name = _as_str(body.get("event_name"))
    kind = classify(event_name, set(ignored_events))
    message = body.get("message") or {}
    msg_id = _as_str(message.get("msg_id"))
    timestamp = _as_str(body.get("timestamp"))
    user_id = _user_id(kind, body)
    dedupe_key = f"msg:{msg_id}" if msg_id else f"{event_name}:{user_id}:{timestamp}"
    text = unicodedata.normalize("NFC", _as_str(message.get("text"))).strip()
    info = {k: _as_str(v) for k, v in (body.get("info") or {}).items() if v not in (None, "")}
    attachments = [a for a in message.get("attachments") or [] if isinstance(a, dict)]
    return ZaloEvent(
        kind=kind,
        event_name=event_name,
        user_id=user_id,
        dedupe_key=dedupe_key,
        timestamp=timestamp,
        msg_id=msg_id,
        text=text,
        attachments=attachments,
        info=info,
    )


def needs_processing(event: ZaloEvent) -> bool:
    """Only events that concern a known citizen go to the queue; the rest are acknowledged and dropped."""
    return event.kind not in (EventKind.IGNORED, EventKind.UNKNOWN) and bool(event.user_id)
