"""POST /api/answer: the action server asks for the reply about one aspect of a procedure."""
from __future__ import annotations

from typing import Callable, Literal

from fastapi import APIRouter, HTTPException
from fastapi.concurrency import run_in_threadpool
from pydantic import BaseModel, Field

from api.answers import AnswerRequest, answer_question
from api.deps import SearchNotReady

Aspect = Literal["general", "documents", "fee", "duration", "place", "steps", "online", "eligibility", "result"]


class AnswerIn(BaseModel):
    sender: str = Field("", max_length=200)
    question: str = Field("", max_length=2000)
    aspect: Aspect = "general"
    procedure_code: str | None = Field(None, max_length=50)
    part: int = Field(1, ge=1, le=1000)


class ButtonOut(BaseModel):
    title: str
    payload: str


class MessageOut(BaseModel):
    text: str
    buttons: list[ButtonOut] = []


class ProcedureRef(BaseModel):
    code: str
    name: str


class AnswerOut(BaseModel):
    verdict: Literal["confident", "ambiguous", "none"]
    procedure: ProcedureRef | None
    messages: list[MessageOut]
    has_more: bool
    candidates: list[ProcedureRef]
    switched: bool = False  # the question named another procedure than the remembered one
    part: int = 1
    aspect: Aspect = "general"  # the aspect answered: a "general" request may name one ("mất bao lâu")


def build_router(get_search: Callable) -> APIRouter:
    router = APIRouter(prefix="/api", tags=["answers"])

    @router.post("/answer", response_model=AnswerOut)
    async def answer(body: AnswerIn) -> dict:
        try:
            engine = await run_in_threadpool(get_search)
        except SearchNotReady as exc:
            raise HTTPException(503, f"Chỉ mục thủ tục chưa sẵn sàng. / Procedure index not ready: {exc}") from exc
        request = AnswerRequest(body.sender, body.question, body.aspect, body.procedure_code or None, body.part)
        return await run_in_threadpool(answer_question, engine, request)

    return router
