"""The reference one-stop service over real HTTP: the TraCuuHoSo protocol, demo data and fault codes."""
from __future__ import annotations

import json
import re
import time
from datetime import datetime

import httpx
import pytest

from onestop_reference.background import serve_in_thread
from onestop_reference.server import (
    DEMO_DOSSIERS,
    ERROR_CODE_CODE,
    HTTP_500_CODE,
    NOT_JSON_CODE,
    SLOW_CODE,
    create_app,
    parse_args,
    render_date,
)

TOKEN = "test-token"
NOW = datetime(2026, 11, 27, 10, 0)  # a Friday, local time of the one-stop system
SLOW_SECONDS = 1.5
KNOWN_CODE = "000.00.31.H56-261120-0001"


@pytest.fixture(scope="module")
def base_url():
    app = create_app(TOKEN, slow_seconds=SLOW_SECONDS, clock=lambda: NOW)
    with serve_in_thread(app) as url:
        yield url


def ask(base_url: str, code: str, token: str = TOKEN, timeout: float = 5.0, **extra) -> httpx.Response:
    body = {"service": "TraCuuHoSo", "mahoso": code, "session": token, **extra}
    return httpx.post(f"{base_url}/api/sharing", json=body, timeout=timeout)


def demo_rows() -> list[dict]:
    return json.loads(DEMO_DOSSIERS.read_text(encoding="utf-8"))["dossiers"]


def test_known_code_returns_the_dossier_with_protocol_dates(base_url):
    payload = ask(base_url, KNOWN_CODE).json()
    assert payload["error_code"] == 0
    [row] = payload["result"]
    assert row["MaHoSo"] == KNOWN_CODE and row["ChuHoSo"] == "Nguyễn Văn An"
    for key in ("MaTTHC", "TenTTHC", "SoDienThoai", "Email", "NgayTiepNhan", "NgayHenTra", "NgayTra",
                "TrangThaiHoSo", "DonViXuLy", "HinhThuc", "DanhSachHoSoBoSung", "DanhSachGiayToKetQua"):
        assert key in row


def test_relative_demo_dates_are_rendered_against_the_service_clock(base_url):
    [row] = ask(base_url, "000.00.31.H56-261102-0005").json()["result"]
    assert row["NgayTiepNhan"] == "20261107100000"  # "today-20 10:00"
    assert row["NgayHenTra"] == "20261121170000"  # "today-6 17:00"
    [row] = ask(base_url, "000.00.31.H56-261119-0006").json()["result"]
    assert row["DanhSachHoSoBoSung"][0]["NgayBoSung"] == "20261126100000"


def test_lower_case_code_is_found(base_url):
    assert ask(base_url, KNOWN_CODE.lower()).json()["result"][0]["MaHoSo"] == KNOWN_CODE


def test_unknown_code_is_error_code_zero_with_empty_result(base_url):
    payload = ask(base_url, "000.00.31.H56-991231-9999").json()
    assert payload["error_code"] == 0 and payload["result"] == []


def test_wrong_session_token_is_refused(base_url):
    payload = ask(base_url, KNOWN_CODE, token="wrong").json()
    assert payload["error_code"] != 0 and payload["result"] == []


def test_unknown_service_and_missing_code_are_errors(base_url):
    other = httpx.post(f"{base_url}/api/sharing", json={"service": "DongBoHoSo", "session": TOKEN}).json()
    assert other["error_code"] != 0
    assert ask(base_url, "").json()["error_code"] != 0


def test_fault_codes(base_url):
    assert ask(base_url, HTTP_500_CODE).status_code == 500
    assert ask(base_url, ERROR_CODE_CODE).json()["error_code"] == 99
    with pytest.raises(ValueError):
        ask(base_url, NOT_JSON_CODE).json()
    with pytest.raises(httpx.TimeoutException):
        ask(base_url, SLOW_CODE, timeout=0.3)
    started = time.monotonic()
    assert ask(base_url, SLOW_CODE).json()["result"] == []
    assert time.monotonic() - started >= SLOW_SECONDS


def test_fault_codes_can_be_switched_off():
    with serve_in_thread(create_app(TOKEN, faults_enabled=False)) as url:
        payload = ask(url, HTTP_500_CODE).json()
    assert payload == {"error_code": 0, "message": "Không tìm thấy hồ sơ", "result": []}


def test_healthz(base_url):
    assert httpx.get(f"{base_url}/healthz").json() == {"status": "ok", "dossiers": len(demo_rows())}


def test_demo_dossiers_cover_every_status_and_the_interesting_cases():
    rows = demo_rows()
    assert {int(r["TrangThaiHoSo"]) for r in rows} == set(range(1, 11))
    assert len({r["MaHoSo"] for r in rows}) == len(rows)
    assert any(r["DanhSachHoSoBoSung"] for r in rows if r["TrangThaiHoSo"] == "5")
    assert any(r["DanhSachGiayToKetQua"] for r in rows if r["TrangThaiHoSo"] in ("9", "10"))
    running = [r for r in rows if r["TrangThaiHoSo"] in ("1", "2", "4", "5", "6") and r["NgayHenTra"]]
    assert any(render_date(r["NgayHenTra"], NOW) < NOW.strftime("%Y%m%d%H%M%S") for r in running)  # overdue
    code_shape = re.compile(r"^\d{3}\.\d{2}\.\d{2}\.[A-Z]\d{2}-\d{6}-\d{4}$")
    assert all(code_shape.match(r["MaHoSo"]) for r in rows)
    # Fictional numbers from one reserved-looking block, so no real person's number is in the demo.
    assert all(re.sub(r"^\+84", "0", r["SoDienThoai"]).startswith("0900000") for r in rows)


@pytest.mark.parametrize(
    ("value", "expected"),
    [("today", "20261127080000"), ("today-3 08:15", "20261124081500"), ("today+5 17:00", "20261202170000"),
     ("20240115081500", "20240115081500"), ("", "")],
)
def test_render_date(value, expected):
    assert render_date(value, NOW) == expected


def test_command_line_defaults_come_from_settings(monkeypatch):
    from api.settings import get_settings

    monkeypatch.setenv("DOSSIER_PORT", "18099")
    monkeypatch.setenv("DOSSIER_API_TOKEN", "from-env")
    get_settings.cache_clear()
    try:
        args = parse_args([])
        assert (args.port, args.token) == (18099, "from-env")
        assert parse_args(["--port", "1234"]).port == 1234
    finally:
        get_settings.cache_clear()
