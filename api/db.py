"""Embedded storage: one SQLite file in DATA_DIR.

Each feature module owns its tables and creates them with `Database.executescript` (CREATE TABLE IF NOT
EXISTS ...). A connection per call keeps this safe from FastAPI's thread pool and background tasks; WAL lets
readers run while one writer writes.
"""
from __future__ import annotations

import sqlite3
import threading
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator


class Database:
    def __init__(self, path: Path | str):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._schema_lock = threading.Lock()
        conn = sqlite3.connect(self.path, timeout=30)
        try:
            conn.execute("PRAGMA journal_mode=WAL")  # persistent: set once per database file
        finally:
            conn.close()

    @contextmanager
    def connect(self) -> Iterator[sqlite3.Connection]:
        """A connection inside a transaction: committed on success, rolled back on error."""
        conn = sqlite3.connect(self.path, timeout=30, isolation_level=None)
        conn.row_factory = sqlite3.Row
        conn.execute("PRAGMA busy_timeout=30000")
        conn.execute("PRAGMA synchronous=NORMAL")  # with WAL: an app crash or restart loses no commit; only power loss may drop the last ones
        conn.execute("PRAGMA foreign_keys=ON")
        try:
            conn.execute("BEGIN")
            yield conn
            conn.execute("COMMIT")
        except BaseException:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise
        finally:
            conn.close()

    def executescript(self, sql: str) -> None:
        with self._schema_lock:
            conn = sqlite3.connect(self.path, timeout=30)
            try:
                conn.executescript(sql)
            finally:
                conn.close()
