"""Reference one-stop service: answers the national portal's sharing protocol (service TraCuuHoSo).

`POST /api/sharing` `{"service": "TraCuuHoSo", "mahoso": "<code>", "session": "<token>", "madonvi"?: ...}`
→ `{"error_code": 0, "message": "...", "result": [<dossier>]}`; not found → error_code 0 and an empty result;
a wrong session token or an unknown service → a non-zero error_code (HTTP 200, as the portal does).

It serves the fictional dossiers in demo_dossiers.json so the assistant works on one machine, and it has
fault codes (FAULT_CODES, see README.md) so tests and demos can show how the assistant copes with a slow or
failing one-stop system. `madonvi` is accepted and ignored: the demo has one province.
"""
from __future__ import annotations

import argparse
import asyncio
import json
import re
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, Callable
from zoneinfo import ZoneInfo

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, PlainTextResponse

DEMO_DOSSIERS = Path(__file__).with_name("demo_dossiers.json")
DATE_FORMAT = "%Y%m%d%H%M%S"
DATE_FIELDS = ("NgayTiepNhan", "NgayHenTra", "NgayTra", "NgayKetThucXuLy", "NgayBoSung")

# Dossier codes that simulate a failing one-stop system (documented in README.md).
SLOW_CODE = "999.99.99.T99-000000-0001"  # answers only after `slow_seconds` (a timeout for the adapter)
HTTP_500_CODE = "999.99.99.T99-000000-0002"  # HTTP 500
ERROR_CODE_CODE = "999.99.99.T99-000000-0003"  # error_code 99 "Lỗi hệ thống"
NOT_JSON_CODE = "999.99.99.T99-000000-0004"  # HTTP 200 with a body that is not JSON
FAULT_CODES = (SLOW_CODE, HTTP_500_CODE, ERROR_CODE_CODE, NOT_JSON_CODE)

ERROR_WRONG_SESSION = -1
ERROR_UNKNOWN_SERVICE = 2
ERROR_MISSING_CODE = 3
ERROR_INTERNAL = 99

_RELATIVE_DATE = re.compile(r"^today(?:(?P<days>[+-]\d+))?(?:\s+(?P<hh>\d{1,2}):(?P<mm>\d{2}))?$")

Clock = Callable[[], datetime]


def vietnam_now() -> datetime:
    """Local wall-clock time of the one-stop system (naive, like the protocol's dates)."""
    return datetime.now(ZoneInfo("Asia/Ho_Chi_Minh")).replace(tzinfo=None)


def render_date(value: str, now: datetime) -> str:
    """'today-3 08:15' → yyyyMMddHHmmss relative to `now`; absolute and empty values pass through."""
    match = _RELATIVE_DATE.match((value or "").strip())
    if not match:
        return value or ""
    day = now + timedelta(days=int(match["days"] or 0))
    hour, minute = (int(match["hh"]), int(match["mm"])) if match["hh"] else (8, 0)
    return day.replace(hour=hour, minute=minute, second=0, microsecond=0).strftime(DATE_FORMAT)


def render_dossier(dossier: Any, now: datetime) -> Any:
    """The dossier as the protocol sends it: every relative date rendered, nested lists included."""
    if isinstance(dossier, dict):
        return {
            key: render_date(val, now) if key in DATE_FIELDS and isinstance(val, str) else render_dossier(val, now)
            for key, val in dossier.items()
        }
    if isinstance(dossier, list):
        return [render_dossier(item, now) for item in dossier]
    return dossier


def load_dossiers(path: Path = DEMO_DOSSIERS) -> dict[str, dict[str, Any]]:
    data = json.loads(path.read_text(encoding="utf-8"))
    return {d["MaHoSo"].upper(): d for d in data["dossiers"]}


def protocol_reply(error_code: int, message: str, result: list[dict[str, Any]] | None = None) -> JSONResponse:
    return JSONResponse({"error_code": error_code, "message": message, "result": result or []})


def create_app(
    token: str,
    dossiers_path: Path = DEMO_DOSSIERS,
    slow_seconds: float = 10.0,
    faults_enabled: bool = True,
    clock: Clock = vietnam_now,
) -> FastAPI:
    dossiers = load_dossiers(dossiers_path)
    app = FastAPI(title="Reference one-stop service (TraCuuHoSo)")

    @app.get("/healthz")
    def healthz() -> dict[str, Any]:
        return {"status": "ok", "dossiers": len(dossiers)}

    @app.post("/api/sharing")
    async def sharing(request: Request):
        try:
            body = await request.json()
        except ValueError:
            return protocol_reply(ERROR_UNKNOWN_SERVICE, "Yêu cầu không đúng định dạng JSON")
        if not isinstance(body, dict) or body.get("service") != "TraCuuHoSo":
            return protocol_reply(ERROR_UNKNOWN_SERVICE, "Dịch vụ không được hỗ trợ")
        if body.get("session") != token:
            return protocol_reply(ERROR_WRONG_SESSION, "Phiên làm việc không hợp lệ")
        code = str(body.get("mahoso") or "").strip().upper()
        if not code:
            return protocol_reply(ERROR_MISSING_CODE, "Thiếu mã hồ sơ")
        if faults_enabled and code in FAULT_CODES:
            return await simulate_fault(code, slow_seconds, request)
        dossier = dossiers.get(code)
        if dossier is None:
            return protocol_reply(0, "Không tìm thấy hồ sơ")
        return protocol_reply(0, "Thành công", [render_dossier(dossier, clock())])

    return app


async def simulate_fault(code: str, slow_seconds: float, request: Request):
    if code == SLOW_CODE:
        await sleep_unless_disconnected(slow_seconds, request)
        return protocol_reply(0, "Không tìm thấy hồ sơ")
    if code == HTTP_500_CODE:
        return PlainTextResponse("Internal Server Error", status_code=500)
    if code == NOT_JSON_CODE:
        return PlainTextResponse("<html>maintenance</html>", status_code=200)
    return protocol_reply(ERROR_INTERNAL, "Lỗi hệ thống")


async def sleep_unless_disconnected(seconds: float, request: Request, step_s: float = 0.05) -> None:
    """Stop waiting once the caller gave up, so a shutdown never waits for an abandoned slow request."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + seconds
    while loop.time() < deadline and not await request.is_disconnected():
        await asyncio.sleep(step_s)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    from api.settings import get_settings  # defaults come from the one Settings object

    settings = get_settings()
    parser = argparse.ArgumentParser(prog="onestop-reference", description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=settings.dossier_port)
    parser.add_argument("--token", default=settings.dossier_api_token, help="session token callers must send")
    parser.add_argument("--dossiers", type=Path, default=DEMO_DOSSIERS, help="JSON file of demo dossiers")
    parser.add_argument("--slow-seconds", type=float, default=10.0, help="delay of the slow fault code")
    parser.add_argument("--no-faults", action="store_true", help="treat the fault codes as unknown dossiers")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> None:
    import uvicorn

    args = parse_args(argv)
    app = create_app(args.token, args.dossiers, args.slow_seconds, faults_enabled=not args.no_faults)
    uvicorn.run(app, host=args.host, port=args.port, log_level="info")


if __name__ == "__main__":
    main()
