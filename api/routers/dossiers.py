"""POST /api/dossiers/lookup — called by the action server once the citizen gave the code and 4 digits."""
from __future__ import annotations

from fastapi import APIRouter
from pydantic import BaseModel, Field

from api.dossiers import DossierLookupService, LookupResult


class LookupRequest(BaseModel):
    sender: str = Field(min_length=1, max_length=200)
    code: str | None = Field(default=None, max_length=100)
    phone_last4: str | int | None = None


def build_router(service: DossierLookupService) -> APIRouter:
    router = APIRouter(tags=["dossiers"])

    @router.post("/api/dossiers/lookup", response_model=LookupResult)
    async def lookup(request: LookupRequest) -> LookupResult:
        return await service.lookup(request.sender, request.code, request.phone_last4)

    return router
