"""Send client for POST {ZALO_API_BASE}/v3.0/oa/message/cs.

Zalo answers HTTP 200 with `error != 0` for most failures. Token errors refresh once and retry; rate limits,
5xx and network errors back off and retry up to a bound; reply-window errors and other refusals are final.
Every attempt is returned so the caller can store it in the transcript.
"""
from __future__ import annotations

import asyncio
import logging
import random
from dataclasses import dataclass, field
from typing import Any, Awaitable, Callable

import httpx

from api.privacy import mask_pii, mask_sender
from api.zalo.config import DeliveryConfig, ErrorCodes
from api.zalo.formatting import OutgoingMessage
from api.zalo.tokens import TokenManager, TokenRefreshFailed

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Attempt:
    number: int
    ok: bool
    error_code: int | None = None
    http_status: int | None = None
    message: str = ""
    zalo_message_id: str = ""


@dataclass(frozen=True)
class SendOutcome:
    ok: bool
    reason: str  # sent | window | rate_limit | server | network | token | rejected
    attempts: list[Attempt] = field(default_factory=list)
    note: str = ""  # why the channel stopped, when the last attempt alone does not say

    @property
    def last(self) -> Attempt | None:
        return self.attempts[-1] if self.attempts else None


Sleep = Callable[[float], Awaitable[None]]


class ZaloClient:
    def __init__(
        self,
        http: httpx.AsyncClient,
        api_base: str,
        tokens: TokenManager,
        delivery: DeliveryConfig,
        errors: ErrorCodes,
        sleep: Sleep = asyncio.sleep,
    ):
        self.http = http
        self.url = f"{api_base.rstrip('/')}/v3.0/oa/message/cs"
        self.tokens = tokens
        self.delivery = delivery
        self.errors = errors
        self.sleep = sleep

    def _backoff_s(self, retry_number: int) -> float:
        base = min(self.delivery.backoff_initial_s * (2 ** (retry_number - 1)), self.delivery.backoff_max_s)
        return base * (1 + random.uniform(0, 0.25))

    async def _post(self, body: dict[str, Any], access_token: str, number: int) -> Attempt:
        try:
            resp = await self.http.post(
                self.url, json=body, headers={"access_token": access_token}, timeout=self.delivery.request_timeout_s
            )
        except httpx.HTTPError as exc:
            return Attempt(number, False, message=f"network: {type(exc).__name__}")
        if resp.status_code >= 500:
            return Attempt(number, False, http_status=resp.status_code, message=f"http {resp.status_code}")
        try:
            payload = resp.json()
        except ValueError:
            return Attempt(number, False, http_status=resp.status_code, message="response is not JSON")
        code = int(payload.get("error", 0) or 0) if resp.status_code == 200 else None
        if resp.status_code == 200 and code == 0:
            message_id = str((payload.get("data") or {}).get("message_id", ""))
            return Attempt(number, True, 0, resp.status_code, "ok", message_id)
        return Attempt(number, False, code, resp.status_code, str(payload.get("message", ""))[:300])

    def _reason(self, attempt: Attempt) -> str:
        if attempt.error_code in self.errors.window:
            return "window"
        if attempt.error_code in self.errors.rate_limit:
            return "rate_limit"
        if attempt.error_code in self.errors.token:
            return "token"
        if attempt.http_status is None:
            return "network"
        if attempt.http_status >= 500:
            return "server"
        return "rejected"

    async def send(self, user_id: str, message: OutgoingMessage) -> SendOutcome:
        body = message.to_zalo(user_id)
        attempts: list[Attempt] = []
        refreshed = False
        retries = 0
        while True:
            access_token = self.tokens.access_token()
            attempt = await self._post(body, access_token, len(attempts) + 1)
            attempts.append(attempt)
            if attempt.ok:
                return SendOutcome(True, "sent", attempts)
            reason = self._reason(attempt)
            if reason == "token" and not refreshed:
                refreshed = True
                try:
                    await self.tokens.refresh_after_rejection(access_token)
                except TokenRefreshFailed as exc:
                    log.error("Zalo token refresh failed: %s", exc)
                    return SendOutcome(False, "token", attempts, note=f"token refresh failed: {exc}")
                continue
            if reason in ("rate_limit", "server", "network") and retries + 1 < self.delivery.max_attempts:
                retries += 1
                await self.sleep(self._backoff_s(retries))
                continue
            log.warning(
                "Zalo send to %s gave up (%s, error %s) after %d attempts: %s",
                mask_sender(user_id), reason, attempt.error_code, len(attempts), mask_pii(attempt.message),
            )
            return SendOutcome(False, reason, attempts)
