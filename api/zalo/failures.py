"""Deliveries the channel gave up on, kept where officers can see them and follow up by phone."""
from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from api.db import Database

SCHEMA = """
CREATE TABLE IF NOT EXISTS zalo_delivery_failures (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    sender TEXT NOT NULL,
    reason TEXT NOT NULL,            -- window | rate_limit | server | token | rejected | network
    error_code INTEGER,
    error_message TEXT NOT NULL DEFAULT '',
    text TEXT NOT NULL DEFAULT '',   -- what the citizen did not receive
    attempts INTEGER NOT NULL,
    created_at REAL NOT NULL,
    resolved_at REAL,
    resolved_by TEXT
);
CREATE INDEX IF NOT EXISTS zalo_delivery_failures_open ON zalo_delivery_failures (resolved_at, id);
"""


@dataclass(frozen=True)
class DeliveryFailure:
    sender: str
    reason: str
    error_code: int | None
    error_message: str
    text: str
    attempts: int


def ensure_schema(db: Database) -> None:
    db.executescript(SCHEMA)


def record_delivery_failure(db: Database, failure: DeliveryFailure) -> int:
    with db.connect() as conn:
        cur = conn.execute(
            "INSERT INTO zalo_delivery_failures (sender, reason, error_code, error_message, text, attempts, created_at)"
            " VALUES (?, ?, ?, ?, ?, ?, ?)",
            (failure.sender, failure.reason, failure.error_code, failure.error_message[:500], failure.text,
             failure.attempts, time.time()),
        )
        return int(cur.lastrowid)


def list_delivery_failures(db: Database, include_resolved: bool = False, limit: int = 100) -> list[dict[str, Any]]:
    """For the officer console: newest first, open ones only unless asked."""
    ensure_schema(db)
    where = "" if include_resolved else "WHERE resolved_at IS NULL"
    with db.connect() as conn:
        rows = conn.execute(
            f"SELECT * FROM zalo_delivery_failures {where} ORDER BY id DESC LIMIT ?", (limit,)
        ).fetchall()
    return [dict(row) for row in rows]


def resolve_delivery_failure(db: Database, failure_id: int, officer: str) -> bool:
    with db.connect() as conn:
        cur = conn.execute(
            "UPDATE zalo_delivery_failures SET resolved_at = ?, resolved_by = ? WHERE id = ? AND resolved_at IS NULL",
            (time.time(), officer, failure_id),
        )
        return cur.rowcount == 1
