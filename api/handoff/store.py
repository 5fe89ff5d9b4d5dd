"""Conversation states and hand-over records in SQLite.

A conversation is `bot` (default, no row), `waiting_officer` (the citizen asked for a human: the bot keeps
answering procedure questions, an officer will join) or `held_by_officer` (an officer took it over: the bot is
silent, see `is_held`). Call-back phone numbers are stored only with the citizen's consent.
"""
from __future__ import annotations

import json
import logging
import sqlite3
from dataclasses import dataclass
from typing import Any, Callable, Literal

from api.conversations import read_transcript
from api.db import Database
from api.privacy import mask_sender

log = logging.getLogger(__name__)

State = Literal["bot", "waiting_officer", "held_by_officer"]

SCHEMA = """
CREATE TABLE IF NOT EXISTS conversation_state (
    sender TEXT PRIMARY KEY,
    state TEXT NOT NULL CHECK (state IN ('bot', 'waiting_officer', 'held_by_officer')),
    officer TEXT,
    updated_at REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS handoffs (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    sender TEXT NOT NULL,
    reason TEXT NOT NULL DEFAULT '',
    transcript TEXT NOT NULL DEFAULT '[]',
    in_office_hours INTEGER NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('waiting', 'taken', 'closed')),
    officer TEXT,
    created_at REAL NOT NULL,
    taken_at REAL,
    closed_at REAL
);
CREATE INDEX IF NOT EXISTS handoffs_open ON handoffs (status, created_at);
CREATE TABLE IF NOT EXISTS callback_requests (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    sender TEXT NOT NULL,
    handoff_id INTEGER REFERENCES handoffs (id),
    phone TEXT NOT NULL,
    consent INTEGER NOT NULL CHECK (consent = 1),
    created_at REAL NOT NULL,
    done_at REAL
);
"""


@dataclass(frozen=True)
class WaitingConversation:
    handoff_id: int
    sender: str
    reason: str
    transcript: list[dict[str, Any]]
    in_office_hours: bool
    created_at: float
    callback_phone: str | None  # given with consent, for the officer who calls back


class HandoffStore:
    def __init__(self, db: Database, clock: Callable[[], float]):
        self.db = db
        self.clock = clock
        db.executescript(SCHEMA)

    # --- state ---------------------------------------------------------------------------------
    def state(self, sender: str) -> State:
        with self.db.connect() as conn:
            row = conn.execute("SELECT state FROM conversation_state WHERE sender = ?", (sender,)).fetchone()
        return row["state"] if row else "bot"

    def is_held(self, sender: str) -> bool:
        """True while an officer holds the conversation: the bot must not answer in it."""
        return self.state(sender) == "held_by_officer"

    def _set_state(self, conn: sqlite3.Connection, sender: str, state: State, officer: str | None) -> None:
        conn.execute(
            "INSERT INTO conversation_state (sender, state, officer, updated_at) VALUES (?, ?, ?, ?) "
            "ON CONFLICT (sender) DO UPDATE SET state = excluded.state, officer = excluded.officer, "
            "updated_at = excluded.updated_at",
            (sender, state, officer, self.clock()),
        )

    # --- citizen side --------------------------------------------------------------------------
    def open_handoff(self, sender: str, reason: str, transcript: list[dict[str, Any]], in_office_hours: bool) -> int:
        """Mark the conversation waiting for an officer. Asking again refreshes the open request (reason,
        transcript) and keeps its place in the queue."""
        now = self.clock()
        with self.db.connect() as conn:
            row = conn.execute(
                "SELECT id FROM handoffs WHERE sender = ? AND status = 'waiting' ORDER BY id DESC LIMIT 1", (sender,)
            ).fetchone()
            payload = json.dumps(transcript, ensure_ascii=False)
            if row:
                handoff_id = row["id"]
                conn.execute(
                    "UPDATE handoffs SET reason = ?, transcript = ?, in_office_hours = ? WHERE id = ?",
                    (reason, payload, int(in_office_hours), handoff_id),
                )
            else:
                handoff_id = conn.execute(
                    "INSERT INTO handoffs (sender, reason, transcript, in_office_hours, status, created_at) "
                    "VALUES (?, ?, ?, ?, 'waiting', ?)",
                    (sender, reason, payload, int(in_office_hours), now),
                ).lastrowid
            self._set_state(conn, sender, "waiting_officer", None)
        log.info("hand-over requested: sender=%s handoff=%s in_hours=%s", mask_sender(sender), handoff_id, in_office_hours)
        return handoff_id

    def record_callback(self, sender: str, handoff_id: int, phone: str) -> None:
        """Only called when the citizen consented; the number is never logged."""
        with self.db.connect() as conn:
            conn.execute(
                "INSERT INTO callback_requests (sender, handoff_id, phone, consent, created_at) VALUES (?, ?, ?, 1, ?)",
                (sender, handoff_id, phone, self.clock()),
            )
        log.info("call-back requested with consent: sender=%s handoff=%s", mask_sender(sender), handoff_id)

    # --- officer side --------------------------------------------------------------------------
    def list_waiting(self) -> list[WaitingConversation]:
        """Open requests, oldest first, with the call-back number the citizen consented to give."""
        with self.db.connect() as conn:
            rows = conn.execute(
                "SELECT h.*, (SELECT phone FROM callback_requests c WHERE c.handoff_id = h.id AND c.done_at IS NULL "
                "ORDER BY c.id DESC LIMIT 1) AS callback_phone "
                "FROM handoffs h WHERE h.status = 'waiting' ORDER BY h.created_at, h.id"
            ).fetchall()
        return [
            WaitingConversation(
                handoff_id=row["id"], sender=row["sender"], reason=row["reason"],
                transcript=json.loads(row["transcript"]), in_office_hours=bool(row["in_office_hours"]),
                created_at=row["created_at"], callback_phone=row["callback_phone"],
            )
            for row in rows
        ]

    def take_over(self, sender: str, officer: str) -> None:
        """The officer now holds the conversation; the bot goes silent in it."""
        with self.db.connect() as conn:
            conn.execute(
                "UPDATE handoffs SET status = 'taken', officer = ?, taken_at = ? WHERE sender = ? AND status = 'waiting'",
                (officer, self.clock(), sender),
            )
            self._set_state(conn, sender, "held_by_officer", officer)
        log.info("conversation taken over: sender=%s officer=%s", mask_sender(sender), officer)

    def release(self, sender: str) -> None:
        """Back to the bot; open requests of this conversation are closed."""
        with self.db.connect() as conn:
            conn.execute(
                "UPDATE handoffs SET status = 'closed', closed_at = ? WHERE sender = ? AND status IN ('waiting', 'taken')",
                (self.clock(), sender),
            )
            self._set_state(conn, sender, "bot", None)
        log.info("conversation released to the bot: sender=%s", mask_sender(sender))

    def mark_callback_done(self, callback_id: int) -> None:
        with self.db.connect() as conn:
            conn.execute("UPDATE callback_requests SET done_at = ? WHERE id = ?", (self.clock(), callback_id))

    # --- transcript (written by api/conversations.py) ------------------------------------------
    def last_messages(self, sender: str, limit: int) -> list[dict[str, Any]]:
        """The last citizen/bot messages of the conversation, oldest first; [] when there is no transcript."""
        try:
            return read_transcript(self.db, sender, limit, directions=("in", "out"))
        except sqlite3.OperationalError:  # no transcript table in this deployment yet
            return []
