"""The action server's only way to the app: JSON over HTTP at APP_URL (never importing api/)."""
from __future__ import annotations

import logging
from typing import Any

import aiohttp

from actions.settings import ActionSettings, load_settings

log = logging.getLogger(__name__)


class AppUnavailable(Exception):
    """The app did not answer, or answered with an error status."""


class AppClient:
    def __init__(self, base_url: str, timeout_s: float, internal_token: str = ""):
        self.base_url = base_url.rstrip("/")
        self.timeout = aiohttp.ClientTimeout(total=timeout_s)
        self.headers = {"X-Internal-Token": internal_token} if internal_token else {}

    async def _post(self, path: str, body: dict[str, Any]) -> dict[str, Any]:
        try:
            async with aiohttp.ClientSession(timeout=self.timeout, headers=self.headers) as session:
                async with session.post(f"{self.base_url}{path}", json=body) as resp:
                    if resp.status >= 400:
                        raise AppUnavailable(f"{path} answered HTTP {resp.status}")
                    return await resp.json()
        except (aiohttp.ClientError, TimeoutError, ValueError) as exc:
            # the body may carry a phone number: log only the path and the error kind
            log.warning("app call %s failed: %s", path, type(exc).__name__)
            raise AppUnavailable(str(path)) from exc

    async def answer(self, sender: str, question: str, aspect: str, procedure_code: str | None,
                     part: int) -> dict[str, Any]:
        return await self._post("/api/answer", {
            "sender": sender, "question": question, "aspect": aspect,
            "procedure_code": procedure_code, "part": part,
        })

    async def lookup_dossier(self, sender: str, code: str, phone_last4: str) -> dict[str, Any]:
        return await self._post("/api/dossiers/lookup", {"sender": sender, "code": code, "phone_last4": phone_last4})

    async def handoff(self, sender: str, reason: str, phone: str | None = None, consent: bool = False) -> dict[str, Any]:
        return await self._post("/api/handoff", {"sender": sender, "reason": reason, "phone": phone, "consent": consent})


def default_client(settings: ActionSettings | None = None) -> AppClient:
    """Built per call from the current settings (cheap), so APP_URL can change between tests."""
    settings = settings or load_settings()
    return AppClient(settings.app_url, settings.timeout_s, settings.internal_token)
