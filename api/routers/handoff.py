"""POST /api/handoff — the citizen asked for a human; GET /api/handoff/state — waiting / held / bot."""
from __future__ import annotations

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field

from api.handoff import HandoffReply, HandoffService


class HandoffRequest(BaseModel):
    sender: str = Field(min_length=1, max_length=200)
    reason: str = Field(default="", max_length=2000)
    phone: str | None = Field(default=None, max_length=30)
    consent: bool = False


class StateReply(BaseModel):
    sender: str
    state: str


def build_router(service: HandoffService) -> APIRouter:
    router = APIRouter(tags=["handoff"])

    @router.post("/api/handoff", response_model=HandoffReply)
    def request_handoff(request: HandoffRequest) -> HandoffReply:
        return service.request(request.sender, request.reason, request.phone, request.consent)

    @router.get("/api/handoff/state", response_model=StateReply)
    def conversation_state(sender: str = Query(min_length=1, max_length=200)) -> StateReply:
        return StateReply(sender=sender, state=service.store.state(sender))

    return router
