"""Procedure search and records: GET /api/procedures/search, GET /api/procedures/{code}."""
from __future__ import annotations

from typing import Callable

from fastapi import APIRouter, HTTPException, Query
from fastapi.concurrency import run_in_threadpool

from api.deps import SearchNotReady


def build_router(get_search: Callable) -> APIRouter:
    router = APIRouter(prefix="/api/procedures", tags=["procedures"])

    @router.get("/search")
    async def search(
        q: str = Query(..., min_length=1, max_length=2000, description="câu hỏi / question"),
        k: int = Query(5, ge=1, le=50),
    ) -> dict:
        if not q.strip():
            raise HTTPException(422, "Câu hỏi trống. / The question is empty.")
        try:
            engine = await run_in_threadpool(get_search)
        except SearchNotReady as exc:
            raise HTTPException(503, f"Chỉ mục thủ tục chưa sẵn sàng. / Procedure index not ready: {exc}") from exc
        response = await run_in_threadpool(engine.search, q, k)
        return {"query": q, **response.to_dict()}

    @router.get("/{code}")
    async def get_procedure(code: str) -> dict:
        try:
            engine = await run_in_threadpool(get_search)
        except SearchNotReady as exc:
            raise HTTPException(503, f"Chỉ mục thủ tục chưa sẵn sàng. / Procedure index not ready: {exc}") from exc
        procedure = engine.get(code)
        if procedure is None:
            raise HTTPException(404, f"Không có thủ tục mã {code}. / No procedure with code {code}.")
        return procedure.to_dict()

    return router
