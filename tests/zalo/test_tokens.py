"""Token rotation against the Zalo stand-in, and durability of the rotated pair across a crash."""
from __future__ import annotations

import asyncio
from pathlib import Path

import httpx
import pytest

from api.db import Database
from api.zalo.tokens import TokenManager, TokenRefreshFailed, TokenStore
from tests.zalo.harness import APP_ID, APP_SECRET
from tests.zalo.standin import ZaloStandIn


def manager(store: TokenStore, http: httpx.AsyncClient, zalo: ZaloStandIn, secret: str = APP_SECRET) -> TokenManager:
    return TokenManager(store, http, zalo.url, APP_ID, secret)


def test_seed_from_settings_and_operator_reseed(tmp_path: Path) -> None:
    db = Database(tmp_path / "a.sqlite3")
    store = TokenStore(db, "access-0", "refresh-0")
    assert (store.current().access_token, store.current().refresh_token) == ("access-0", "refresh-0")
    store.save(store.current().__class__("access-1", "refresh-1"))
    # Same settings on restart: the rotated pair wins over the stale seed.
    assert TokenStore(db, "access-0", "refresh-0").current().refresh_token == "refresh-1"
    # The operator re-authorised the app and put new tokens in the settings: they replace the stored pair.
    assert TokenStore(db, "access-9", "refresh-9").current().refresh_token == "refresh-9"


def test_rotated_pair_survives_a_crash_between_refresh_and_send(tmp_path: Path, zalo: ZaloStandIn) -> None:
    db_path = tmp_path / "a.sqlite3"

    async def refresh_then_crash() -> str:
        async with httpx.AsyncClient() as http:
            tokens = manager(TokenStore(Database(db_path), "access-0", "refresh-0"), http, zalo)
            return await tokens.refresh_after_rejection("access-0")
        # the process "dies" here: no send was made with the new token

    new_access = asyncio.run(refresh_then_crash())
    assert new_access == zalo.state.access_token

    # A new process starts with the same (now stale) settings and finds the rotated pair.
    restarted = TokenStore(Database(db_path), "access-0", "refresh-0").current()
    assert (restarted.access_token, restarted.refresh_token) == (zalo.state.access_token, zalo.state.refresh_token)
    assert restarted.expires_at is not None

    async def use_it() -> tuple[dict, dict]:
        async with httpx.AsyncClient() as http:
            old = await http.post(f"{zalo.url}/v4/oa/access_token", headers={"secret_key": APP_SECRET},
                                  data={"app_id": APP_ID, "grant_type": "refresh_token", "refresh_token": "refresh-0"})
            sent = await http.post(f"{zalo.url}/v3.0/oa/message/cs", headers={"access_token": restarted.access_token},
                                   json={"recipient": {"user_id": "1"}, "message": {"text": "Chào Anh/Chị"}})
            return old.json(), sent.json()

    old_refresh, send = asyncio.run(use_it())
    assert old_refresh["error"] == -14014  # single use: only the stored one is valid now
    assert send["error"] == 0


def test_concurrent_rejections_refresh_once(tmp_path: Path, zalo: ZaloStandIn) -> None:
    async def run() -> set[str]:
        async with httpx.AsyncClient() as http:
            tokens = manager(TokenStore(Database(tmp_path / "a.sqlite3"), "access-0", "refresh-0"), http, zalo)
            return set(await asyncio.gather(*[tokens.refresh_after_rejection("access-0") for _ in range(5)]))

    assert asyncio.run(run()) == {zalo.state.access_token}
    assert len(zalo.state.refresh_calls) == 1


def test_refused_refresh_keeps_the_stored_pair(tmp_path: Path, zalo: ZaloStandIn) -> None:
    store = TokenStore(Database(tmp_path / "a.sqlite3"), "access-0", "refresh-0")

    async def run() -> None:
        async with httpx.AsyncClient() as http:
            await manager(store, http, zalo, secret="wrong").refresh_after_rejection("access-0")

    with pytest.raises(TokenRefreshFailed):
        asyncio.run(run())
    assert store.current().refresh_token == "refresh-0"
