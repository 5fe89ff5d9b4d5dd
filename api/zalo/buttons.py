"""Remembers the choices last offered to each citizen, so a tapped or typed title reaches the bot as its payload.

Zalo's oa.query.show button sends its payload back as the citizen's visible message. Showing a bot payload
such as `/inform{"code":"1.001193"}` in the chat would confuse people, so the button sends its title, and the
channel maps an exact (case-insensitive) title back to the payload. Choices listed in the text beyond the
five-button limit are remembered the same way.
"""
from __future__ import annotations

import time
import unicodedata

from api.db import Database

SCHEMA = """
CREATE TABLE IF NOT EXISTS zalo_offered_buttons (
    sender TEXT NOT NULL,
    title_key TEXT NOT NULL,
    payload TEXT NOT NULL,
    offered_at REAL NOT NULL,
    PRIMARY KEY (sender, title_key)
);
"""


def title_key(text: str) -> str:
    return " ".join(unicodedata.normalize("NFC", text).casefold().split())


class ButtonMemory:
    def __init__(self, db: Database):
        self.db = db
        db.executescript(SCHEMA)

    def remember(self, sender: str, choices: dict[str, str]) -> None:
        """Replace what was offered before (title -> payload): only the latest choices are valid answers."""
        if not choices and not self._has_choices(sender):
            return  # the common case, answered by a read: no write lock taken
        with self.db.connect() as conn:
            conn.execute("DELETE FROM zalo_offered_buttons WHERE sender = ?", (sender,))
            now = time.time()
            for title, payload in choices.items():
                if payload.strip() and title_key(payload) != title_key(title):
                    conn.execute(
                        "INSERT OR REPLACE INTO zalo_offered_buttons (sender, title_key, payload, offered_at)"
                        " VALUES (?, ?, ?, ?)",
                        (sender, title_key(title), payload, now),
                    )

    def _has_choices(self, sender: str) -> bool:
        with self.db.connect() as conn:
            row = conn.execute("SELECT 1 FROM zalo_offered_buttons WHERE sender = ? LIMIT 1", (sender,)).fetchone()
        return row is not None

    def resolve(self, sender: str, text: str) -> str:
        """The payload behind `text` if it is one of the choices just offered, else the text itself."""
        with self.db.connect() as conn:
            row = conn.execute(
                "SELECT payload FROM zalo_offered_buttons WHERE sender = ? AND title_key = ?", (sender, title_key(text))
            ).fetchone()
        return row["payload"] if row else text
