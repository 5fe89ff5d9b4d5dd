"""What the channel needs from the conversation service (api.conversations.ConversationService fits)."""
from __future__ import annotations

from typing import Any, Protocol

from api.conversations import BotMessage


class Conversations(Protocol):
    async def handle(self, sender: str, text: str, channel: str) -> list[BotMessage]: ...

    def record(
        self, sender: str, direction: str, text: str, channel: str, meta: dict[str, Any] | None = None
    ) -> None: ...

    def record_event(
        self, sender: str, kind: str, detail: dict[str, Any] | None = None, channel: str = "zalo"
    ) -> None: ...

    def record_callback_contact(
        self, sender: str, phone: str | None, name: str | None, consent: bool = True
    ) -> None: ...
