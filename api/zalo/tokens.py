"""OA access/refresh token pair, stored durably before it is used.

Zalo's refresh token is single-use and rotates on every refresh. The new pair is committed to SQLite in one
transaction before anyone sends with it, so a crash between the refresh and the next send cannot lose the
only valid refresh token. Initial values come from settings; when the operator puts a different refresh
token in the settings (re-authorised the app), that new seed replaces the stored pair.
"""
from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass

import httpx

from api.db import Database

log = logging.getLogger(__name__)

SCHEMA = """
CREATE TABLE IF NOT EXISTS zalo_tokens (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    access_token TEXT NOT NULL,
    refresh_token TEXT NOT NULL,
    seed_refresh_token TEXT NOT NULL,
    expires_at REAL,
    updated_at REAL NOT NULL
);
"""


class TokenRefreshFailed(Exception):
    """Zalo's OAuth server refused or did not answer the refresh."""


@dataclass(frozen=True)
class TokenPair:
    access_token: str
    refresh_token: str
    expires_at: float | None = None


class TokenStore:
    def __init__(self, db: Database, seed_access_token: str, seed_refresh_token: str):
        self.db = db
        db.executescript(SCHEMA)
        self._seed(seed_access_token, seed_refresh_token)

    def _seed(self, access_token: str, refresh_token: str) -> None:
        with self.db.connect() as conn:
            row = conn.execute("SELECT seed_refresh_token FROM zalo_tokens WHERE id = 1").fetchone()
            if row is not None and row["seed_refresh_token"] == refresh_token:
                return  # already seeded from these settings; the stored (possibly rotated) pair wins
            conn.execute(
                "INSERT INTO zalo_tokens (id, access_token, refresh_token, seed_refresh_token, expires_at, updated_at)"
                " VALUES (1, ?, ?, ?, NULL, ?) ON CONFLICT (id) DO UPDATE SET access_token = excluded.access_token,"
                " refresh_token = excluded.refresh_token, seed_refresh_token = excluded.seed_refresh_token,"
                " expires_at = NULL, updated_at = excluded.updated_at",
                (access_token, refresh_token, refresh_token, time.time()),
            )

    def current(self) -> TokenPair:
        with self.db.connect() as conn:
            row = conn.execute(
                "SELECT access_token, refresh_token, expires_at FROM zalo_tokens WHERE id = 1"
            ).fetchone()
        return TokenPair(row["access_token"], row["refresh_token"], row["expires_at"])

    def save(self, pair: TokenPair) -> None:
        with self.db.connect() as conn:
            conn.execute(
                "UPDATE zalo_tokens SET access_token = ?, refresh_token = ?, expires_at = ?, updated_at = ?"
                " WHERE id = 1",
                (pair.access_token, pair.refresh_token, pair.expires_at, time.time()),
            )


class TokenManager:
    """Hands out the current access token and refreshes it at most once per invalid token."""

    def __init__(
        self,
        store: TokenStore,
        http: httpx.AsyncClient,
        oauth_base: str,
        app_id: str,
        app_secret: str,
    ):
        self.store = store
        self.http = http
        self.oauth_url = f"{oauth_base.rstrip('/')}/v4/oa/access_token"
        self.app_id = app_id
        self.app_secret = app_secret
        self._lock = asyncio.Lock()

    def access_token(self) -> str:
        return self.store.current().access_token

    async def refresh_after_rejection(self, rejected_access_token: str) -> str:
        """Refresh unless another send already did since `rejected_access_token` was read; return the new token."""
        async with self._lock:
            current = self.store.current()
            if current.access_token != rejected_access_token:
                return current.access_token
            try:
                pair = await self._request_refresh(current.refresh_token)
            except TokenRefreshFailed:
                # Another replica sharing the store may have rotated the pair first; its token is good.
                latest = self.store.current()
                if latest.access_token != rejected_access_token:
                    return latest.access_token
                raise
            self.store.save(pair)  # durable before first use
            log.info("Zalo access token refreshed; the rotated pair is stored")
            return pair.access_token

    async def _request_refresh(self, refresh_token: str) -> TokenPair:
        try:
            resp = await self.http.post(
                self.oauth_url,
                headers={"secret_key": self.app_secret},
                data={"app_id": self.app_id, "grant_type": "refresh_token", "refresh_token": refresh_token},
            )
            body = resp.json()
        except (httpx.HTTPError, ValueError) as exc:
            raise TokenRefreshFailed(f"oauth unreachable: {type(exc).__name__}") from exc
        if resp.status_code != 200 or not body.get("access_token") or not body.get("refresh_token"):
            raise TokenRefreshFailed(
                f"oauth refused: http {resp.status_code} error {body.get('error')} {body.get('error_name', '')}".strip()
            )
        expires_in = _as_float(body.get("expires_in"))
        return TokenPair(
            access_token=str(body["access_token"]),
            refresh_token=str(body["refresh_token"]),
            expires_at=time.time() + expires_in if expires_in else None,
        )


def _as_float(value: object) -> float | None:
    try:
        return float(value)  # Zalo sends expires_in as a string
    except (TypeError, ValueError):
        return None
