"""GET /healthz: 200 only when the app, Rasa and the action server all answer."""
from __future__ import annotations

import asyncio

import httpx
from fastapi import APIRouter
from fastapi.responses import JSONResponse

from api.deps import SearchProvider


async def _answers(url: str, timeout_s: float = 2.0) -> bool:
    try:
        async with httpx.AsyncClient(timeout=timeout_s) as client:
            resp = await client.get(url)
        return resp.status_code == 200
    except httpx.HTTPError:
        return False


def build_router(rasa_url: str, actions_url: str, search: SearchProvider) -> APIRouter:
    router = APIRouter(tags=["health"])

    @router.get("/healthz")
    async def healthz() -> JSONResponse:
        rasa_ok, actions_ok = await asyncio.gather(
            _answers(f"{rasa_url}/status"), _answers(f"{actions_url}/health")
        )
        parts = {
            "app": "ok",
            "rasa": "ok" if rasa_ok else "down",
            "actions": "ok" if actions_ok else "down",
            "procedure_index": "loaded" if search.loaded else ("built" if search.index_dir.exists() else "missing"),
        }
        down = [name for name in ("rasa", "actions") if parts[name] != "ok"]
        if parts["procedure_index"] == "missing":
            down.append("procedure_index")
        if down:
            return JSONResponse({"status": "down", "down": down, "parts": parts}, status_code=503)
        return JSONResponse({"status": "ok", "parts": parts})

    return router
