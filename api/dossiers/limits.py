"""Brute-force limits on dossier lookups: failed checks are stored per sender; tripping a rule locks the sender.

Rules come from limits.yml. The stored attempts never contain the digits the citizen tried.
"""
from __future__ import annotations

import logging
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import yaml

from api.db import Database
from api.privacy import mask_sender

log = logging.getLogger(__name__)

LIMITS_FILE = Path(__file__).with_name("limits.yml")

SCHEMA = """
CREATE TABLE IF NOT EXISTS dossier_attempts (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    sender TEXT NOT NULL,
    code TEXT NOT NULL,
    outcome TEXT NOT NULL,
    created_at REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS dossier_attempts_sender ON dossier_attempts (sender, created_at);
CREATE TABLE IF NOT EXISTS dossier_locks (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    sender TEXT NOT NULL,
    rule TEXT NOT NULL,
    created_at REAL NOT NULL,
    until REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS dossier_locks_sender ON dossier_locks (sender, until);
"""

FAILED_OUTCOMES = ("mismatch", "not_found")


@dataclass(frozen=True)
class LockRule:
    name: str
    max_failures: int
    window_s: float
    lock_s: float


def load_rules(path: Path = LIMITS_FILE) -> list[LockRule]:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    return [LockRule(**rule) for rule in data["rules"]]


class AttemptLimiter:
    def __init__(self, db: Database, rules: list[LockRule], clock: Callable[[], float]):
        self.db = db
        self.rules = rules
        self.clock = clock
        db.executescript(SCHEMA)

    def retry_after_s(self, sender: str) -> int | None:
        """Seconds until `sender` may look up again, or None when not locked."""
        now = self.clock()
        with self.db.connect() as conn:
            row = conn.execute(
                "SELECT MAX(until) AS until FROM dossier_locks WHERE sender = ? AND until > ?", (sender, now)
            ).fetchone()
        if row["until"] is None:
            return None
        return max(1, math.ceil(row["until"] - now))

    def record_failure(self, sender: str, code: str, outcome: str) -> int | None:
        """Store a failed check; returns the lock's length in seconds when this failure tripped a rule."""
        now = self.clock()
        with self.db.connect() as conn:
            conn.execute(
                "INSERT INTO dossier_attempts (sender, code, outcome, created_at) VALUES (?, ?, ?, ?)",
                (sender, code, outcome, now),
            )
            tripped = [rule for rule in self.rules if self._failures_counted(conn, sender, rule, now) >= rule.max_failures]
            for rule in tripped:
                conn.execute(
                    "INSERT INTO dossier_locks (sender, rule, created_at, until) VALUES (?, ?, ?, ?)",
                    (sender, rule.name, now, now + rule.lock_s),
                )
        log.info("dossier check failed: sender=%s code=%s outcome=%s", mask_sender(sender), code, outcome)
        if not tripped:
            return None
        longest = max(rule.lock_s for rule in tripped)
        log.warning(
            "dossier lookups locked: sender=%s rules=%s for %ss",
            mask_sender(sender), ",".join(rule.name for rule in tripped), int(longest),
        )
        return math.ceil(longest)

    def _failures_counted(self, conn, sender: str, rule: LockRule, now: float) -> int:
        """Failures inside the rule's window that came after this rule's last lock was set."""
        last_lock = conn.execute(
            "SELECT MAX(created_at) AS at FROM dossier_locks WHERE sender = ? AND rule = ?", (sender, rule.name)
        ).fetchone()["at"]
        since = max(now - rule.window_s, last_lock if last_lock is not None else -math.inf)
        placeholders = ",".join("?" for _ in FAILED_OUTCOMES)
        row = conn.execute(
            f"SELECT COUNT(*) AS n FROM dossier_attempts WHERE sender = ? AND created_at > ? "
            f"AND outcome IN ({placeholders})",
            (sender, since, *FAILED_OUTCOMES),
        ).fetchone()
        return row["n"]

    def failures_left(self, sender: str) -> int:
        """How many more failed checks the strictest rule allows before it locks (for the citizen's message)."""
        now = self.clock()
        with self.db.connect() as conn:
            return min(rule.max_failures - self._failures_counted(conn, sender, rule, now) for rule in self.rules)
