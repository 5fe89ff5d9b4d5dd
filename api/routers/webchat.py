"""Staff web chat: GET / (the page) and POST /api/chat."""
from __future__ import annotations

import unicodedata
from pathlib import Path

from fastapi import APIRouter, HTTPException
from fastapi.responses import HTMLResponse
from pydantic import BaseModel, Field, field_validator

from api.conversations import BotMessage, ConversationService

STATIC = Path(__file__).resolve().parent.parent / "static"


class ChatRequest(BaseModel):
    sender: str = Field(..., min_length=1, max_length=200)
    message: str

    @field_validator("sender")
    @classmethod
    def sender_is_printable(cls, value: str) -> str:
        value = value.strip()
        if not value or any(unicodedata.category(ch).startswith("C") for ch in value):
            raise ValueError("sender must be printable text")
        return value


class ChatResponse(BaseModel):
    messages: list[BotMessage]


def build_router(conversations: ConversationService, max_message_chars: int) -> APIRouter:
    router = APIRouter(tags=["webchat"])

    @router.get("/", response_class=HTMLResponse, include_in_schema=False)
    async def chat_page() -> str:
        return (STATIC / "chat.html").read_text(encoding="utf-8")

    @router.post("/api/chat", response_model=ChatResponse)
    async def chat(request: ChatRequest) -> ChatResponse:
        text = unicodedata.normalize("NFC", request.message).strip()
        if not text:
            raise HTTPException(422, "Tin nhắn trống. / The message is empty.")
        if len(text) > max_message_chars:
            raise HTTPException(
                413,
                f"Tin nhắn quá dài (tối đa {max_message_chars} ký tự). "
                f"/ The message is too long (at most {max_message_chars} characters).",
            )
        replies = await conversations.handle(request.sender, text, channel="webchat")
        return ChatResponse(messages=replies)

    return router
