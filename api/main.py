"""The FastAPI app: gateway for the channels, the procedure API and the actions' internal API."""
from __future__ import annotations

import logging
from contextlib import asynccontextmanager

from fastapi import Depends, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse

from api.conversations import ConversationService, RasaBot
from api.db import Database
from api.deps import internal_token_check, search_provider_for
from api.dossiers import build_lookup_service
from api.handoff import build_handoff_service
from api.routers import answers, dossiers, handoff, health, procedures, webchat
from api.settings import Settings, get_settings
from api.zalo.router import build_channel

log = logging.getLogger("api")


def _validation_error(request: Request, exc: RequestValidationError) -> JSONResponse:
    errors = exc.errors()
    if any(err.get("type") == "json_invalid" for err in errors):
        return JSONResponse(
            {"detail": "Dữ liệu gửi lên không phải JSON hợp lệ. / The request body is not valid JSON."},
            status_code=400,
        )
    fields = ", ".join(".".join(str(p) for p in err.get("loc", ())[1:]) or "body" for err in errors)
    return JSONResponse(
        {
            "detail": f"Yêu cầu không hợp lệ ({fields}). / Invalid request ({fields}).",
            "errors": [{"loc": err.get("loc"), "msg": err.get("msg")} for err in errors],
        },
        status_code=422,
    )


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or get_settings()
    data_dir = settings.resolved_data_dir
    data_dir.mkdir(parents=True, exist_ok=True)
    db = Database(data_dir / "assistant.sqlite3")
    search = search_provider_for(settings)

    handoff_service = build_handoff_service(settings, db)
    conversations = ConversationService(
        db=db, bot=RasaBot(settings.resolved_rasa_url), hotline=settings.hotline,
        is_held=handoff_service.store.is_held,
    )

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        # Load the index at start so the first citizen does not wait for it; a missing index is reported
        # by /healthz rather than crashing the app.
        try:
            search()
        except Exception as exc:  # noqa: BLE001 - reported, app still serves health and errors
            log.error("procedure index not loaded: %s", exc)
        yield

    app = FastAPI(title="Trợ lý thủ tục hành chính", version="0.1.0", lifespan=lifespan)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.state.settings = settings
    app.state.db = db
    app.state.search = search
    app.state.conversations = conversations
    app.state.handoff = handoff_service

    app.include_router(health.build_router(settings.resolved_rasa_url, f"http://127.0.0.1:{settings.actions_port}", search))
    app.include_router(webchat.build_router(conversations, settings.max_message_chars))
    app.include_router(procedures.build_router(search))
    internal = [Depends(internal_token_check(settings.internal_api_token))]
    app.include_router(answers.build_router(search), dependencies=internal)
    app.include_router(dossiers.build_router(build_lookup_service(settings, db)), dependencies=internal)
    app.include_router(handoff.build_router(handoff_service), dependencies=internal)
    # The Zalo router carries its queue workers' start/stop; FastAPI merges it with the lifespan above.
    zalo = build_channel(settings, conversations, db)
    app.include_router(zalo.router)
    app.state.zalo = zalo
    return app


def app_factory() -> FastAPI:
    """Entry point for uvicorn (`uvicorn --factory api.main:app_factory`)."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    for noisy in ("httpx", "faiss.loader"):  # one line per health probe / start-up attempt is noise
        logging.getLogger(noisy).setLevel(logging.WARNING)
    return create_app()
