"""POST /webhooks/zalo: verify the signature on the raw bytes, queue the event, answer 200 at once.

A missing or wrong signature gets 401 and nothing is processed. If the event cannot be stored the answer is
503, so Zalo delivers it again later instead of the message being lost.
"""
from __future__ import annotations

import json
import logging
from typing import TYPE_CHECKING, Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from api.db import Database
from api.settings import Settings
from api.zalo.ports import Conversations
from api.zalo.signature import HEADER, signature_is_valid

if TYPE_CHECKING:
    from api.zalo.channel import ZaloChannel

log = logging.getLogger(__name__)


def _parse(raw: bytes) -> dict[str, Any] | None:
    try:
        body = json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        return None
    return body if isinstance(body, dict) else None


def build_webhook_router(channel: "ZaloChannel") -> APIRouter:
    settings = channel.settings
    max_body = channel.config.webhook.max_body_bytes
    router = APIRouter(tags=["zalo"], lifespan=channel.lifespan)

    @router.post("/webhooks/zalo")
    async def zalo_webhook(request: Request) -> JSONResponse:
        declared = request.headers.get("content-length", "0")
        if declared.isdigit() and int(declared) > max_body:
            return JSONResponse({"error": "body too large"}, status_code=413)
        raw = await request.body()
        if len(raw) > max_body:
            return JSONResponse({"error": "body too large"}, status_code=413)
        body = _parse(raw)
        timestamp = str(body.get("timestamp", "")) if body else None
        if not signature_is_valid(
            request.headers.get(HEADER), settings.zalo_app_id, raw, timestamp, settings.zalo_oa_secret_key
        ):
            log.warning("Zalo webhook rejected: missing or wrong %s", HEADER)
            return JSONResponse({"error": "invalid signature"}, status_code=401)
        if body is None:
            return JSONResponse({"error": "body is not a JSON object"}, status_code=400)
        try:
            status = await channel.accept(body)
        except Exception:
            log.exception("Zalo event could not be queued; Zalo will deliver it again")
            return JSONResponse({"error": "temporarily unavailable"}, status_code=503)
        return JSONResponse({"status": status})

    return router


def build_channel(settings: Settings, conversations: Conversations, db: Database) -> "ZaloChannel":
    from api.zalo.channel import ZaloChannel

    return ZaloChannel(settings, conversations, db)


def build_router(settings: Settings, conversations: Conversations, db: Database) -> APIRouter:
    """The webhook router; including it in the app also runs the channel's workers (router lifespan)."""
    return build_channel(settings, conversations, db).router
