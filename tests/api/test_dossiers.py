"""Dossier lookup: the real adapter against the reference one-stop service over HTTP, real SQLite."""
from __future__ import annotations

import asyncio
import json
import logging
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import yaml
from fastapi import FastAPI
from fastapi.testclient import TestClient

from api.db import Database
from api.dossiers import DossierLookupService, build_lookup_service
from api.dossiers.adapter import OneStopClient, UpstreamError, matching_dossier
from api.dossiers.codes import normalise_code, normalise_last4
from api.dossiers.limits import load_rules
from api.dossiers.messages import REPLIES_FILE, vietnamese_wait
from api.dossiers.view import load_statuses
from api.privacy import mask_person_name
from api.routers.dossiers import build_router
from api.settings import Settings
from onestop_reference.background import free_port, serve_in_thread
from onestop_reference.server import DEMO_DOSSIERS, ERROR_CODE_CODE, HTTP_500_CODE, NOT_JSON_CODE, SLOW_CODE, create_app

VN = ZoneInfo("Asia/Ho_Chi_Minh")
START = datetime(2026, 11, 27, 10, 0, tzinfo=VN)
TOKEN = "test-token"
SOURCE = "Hệ thống một cửa điện tử tỉnh Thái Nguyên"

AN = "000.00.31.H56-261120-0001"  # status 1, Nguyễn Văn An, phone ends 0101
OVERDUE = "000.00.31.H56-261102-0005"  # status 4, appointment 6 days ago
ON_TIME = "000.00.31.H56-261124-0004"  # status 4, appointment in 3 days
SUPPLEMENT = "000.00.31.H56-261119-0006"  # status 5 with documents to add
FINISHED = "000.00.31.H56-261123-0010"  # status 9, result ready at the unit
FINISHED_BY_POST = "000.00.01.H56-261122-0012"  # status 9, submitted by post, phone stored as +84…
RETURNED_LATE = "000.00.31.H56-261103-0011"  # status 10, finished a day after the appointment


class Clock:
    def __init__(self, now: datetime):
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


def demo_rows() -> dict[str, dict]:
    return {r["MaHoSo"]: r for r in json.loads(DEMO_DOSSIERS.read_text(encoding="utf-8"))["dossiers"]}


def right_digits(code: str) -> str:
    return demo_rows()[code]["SoDienThoai"][-4:]


@pytest.fixture(scope="module")
def onestop_url():
    app = create_app(TOKEN, slow_seconds=3.0, clock=lambda: START.replace(tzinfo=None))
    with serve_in_thread(app) as url:
        yield f"{url}/api/sharing"


@pytest.fixture
def clock() -> Clock:
    return Clock(START)


def make_service(url: str, tmp_path: Path, clock: Clock, token: str = TOKEN, timeout_s: float = 2.0) -> DossierLookupService:
    settings = Settings(dossier_api_url=url, dossier_api_token=token, dossier_api_timeout_s=timeout_s)
    return build_lookup_service(settings, Database(tmp_path / "app.db"), clock=clock)


@pytest.fixture
def service(onestop_url, tmp_path, clock) -> DossierLookupService:
    return make_service(onestop_url, tmp_path, clock)


def lookup(service: DossierLookupService, code: str, digits: str | None, sender: str = "web:citizen-1"):
    return asyncio.run(service.lookup(sender, code, digits))


# --- found ----------------------------------------------------------------------------------------

def test_right_digits_give_the_masked_dossier(service):
    result = lookup(service, AN, right_digits(AN))
    assert result.outcome == "found" and result.retry_after_s is None
    d = result.dossier
    assert (d.code, d.procedure_code, d.procedure_name) == (AN, "1.001193", "Đăng ký khai sinh")
    assert d.applicant_masked == "Nguyễn V*** A**"
    assert (d.status_code, d.status_text) == (1, "Mới đăng ký")
    assert d.unit == "UBND phường Phan Đình Phùng"
    assert SOURCE in result.message and "Nguyễn V*** A**" in result.message
    assert "Nguyễn Văn An" not in result.model_dump_json()


def test_lower_case_code_with_spaces_is_accepted(service):
    assert lookup(service, f"  {AN.lower()} ", right_digits(AN)).outcome == "found"


@pytest.mark.parametrize("code", sorted(demo_rows()))
def test_every_demo_dossier_answers_without_phone_or_email(service, code):
    row = demo_rows()[code]
    result = lookup(service, code, right_digits(code))
    assert result.outcome == "found"
    assert result.dossier.status_text == load_statuses()[int(row["TrangThaiHoSo"])].text
    dumped = result.model_dump_json()
    assert row["SoDienThoai"] not in dumped and row["SoDienThoai"][-9:] not in dumped
    assert not row["Email"] or row["Email"] not in dumped
    assert row["ChuHoSo"] not in dumped
    assert SOURCE in result.message and "Anh/Chị" in result.message
    assert len(result.message) < 700  # fits a phone screen or two


def test_overdue_is_computed_from_the_appointment_date(service):
    late = lookup(service, OVERDUE, right_digits(OVERDUE))
    assert late.dossier.overdue is True
    assert late.dossier.due_at == "2026-11-21T17:00:00+07:00"
    assert "đã quá hạn 6 ngày" in late.message
    on_time = lookup(service, ON_TIME, right_digits(ON_TIME))
    assert on_time.dossier.overdue is False and "còn trong hạn" in on_time.message


def test_overdue_when_finished_after_the_appointment(service):
    result = lookup(service, RETURNED_LATE, right_digits(RETURNED_LATE))
    assert result.dossier.overdue is True and "trễ hạn" in result.message
    assert result.dossier.finished_at == "2026-11-17T15:00:00+07:00"
    finished = lookup(service, FINISHED, right_digits(FINISHED))
    assert finished.dossier.overdue is False and "đúng hạn" in finished.message


def test_supplement_request_lists_the_documents_to_add(service):
    result = lookup(service, SUPPLEMENT, right_digits(SUPPLEMENT))
    assert result.dossier.documents_to_add == [
        "Bản sao hợp đồng thuê địa điểm kinh doanh",
        "Bản sao Giấy chứng nhận quyền sử dụng đất của bên cho thuê",
    ]
    assert "Bản sao hợp đồng thuê địa điểm kinh doanh" in result.message
    assert "nộp bổ sung" in result.message


def test_finished_dossier_says_where_and_how_to_collect_the_result(service):
    result = lookup(service, FINISHED, right_digits(FINISHED))
    assert result.dossier.result_documents == ["Giấy khai sinh (bản chính)", "Bản sao Giấy khai sinh"]
    assert "Giấy khai sinh (bản chính)" in result.dossier.next_step
    assert "đến UBND phường Phan Đình Phùng để nhận" in result.message
    by_post = lookup(service, FINISHED_BY_POST, right_digits(FINISHED_BY_POST))
    assert by_post.outcome == "found" and "bưu điện" in by_post.message


# --- failures and limits --------------------------------------------------------------------------

def test_wrong_digits_is_a_mismatch_without_the_dossier(service):
    result = lookup(service, AN, "9999")
    assert result.outcome == "mismatch" and result.dossier is None and result.retry_after_s is None
    assert "0101" not in result.message and "Nguyễn" not in result.message


def test_unknown_code_is_not_found(service):
    result = lookup(service, "000.00.31.H56-991231-9999", "1234")
    assert result.outcome == "not_found" and result.dossier is None
    assert SOURCE in result.message


def test_invalid_code_never_reaches_the_one_stop_system(tmp_path, clock):
    closed = f"http://127.0.0.1:{free_port()}/api/sharing"
    service = make_service(closed, tmp_path, clock)
    assert lookup(service, "HS-12345", "0101").outcome == "invalid_code"
    assert lookup(service, AN, "0101").outcome == "upstream_error"  # proves the first one made no call


def test_malformed_digits_are_asked_again_and_not_counted(service):
    for _ in range(10):
        result = lookup(service, AN, "12a4")
        assert result.outcome == "mismatch" and "4 chữ số cuối" in result.message
    assert lookup(service, AN, right_digits(AN)).outcome == "found"


def test_locked_after_five_failed_checks_then_unlocked(service, clock):
    failures = [lookup(service, AN, "9999"), lookup(service, "000.00.31.H56-991231-9999", "1111")]
    failures += [lookup(service, AN, f"99{i}0") for i in range(3)]
    assert [r.outcome for r in failures] == ["mismatch", "not_found", "mismatch", "mismatch", "mismatch"]
    assert [r.retry_after_s for r in failures[:4]] == [None] * 4
    assert failures[4].retry_after_s == 900 and "tạm khóa trong 15 phút" in failures[4].message
    clock.advance(60)
    locked = lookup(service, AN, right_digits(AN))  # even the right digits are refused while locked
    assert locked.outcome == "locked" and locked.dossier is None and locked.retry_after_s == 840
    assert "14 phút" in locked.message
    assert lookup(service, AN, right_digits(AN), sender="web:someone-else").outcome == "found"
    clock.advance(841)
    assert lookup(service, AN, right_digits(AN)).outcome == "found"
    assert lookup(service, AN, "9999").outcome == "mismatch"  # counting starts afresh after the lock


def test_twenty_failures_across_codes_within_an_hour_lock_for_longer(service, clock):
    codes = [f"000.00.31.H56-991231-{n:04d}" for n in range(20)]
    results = []
    for batch in range(4):
        results += [lookup(service, code, "1234") for code in codes[batch * 5:(batch + 1) * 5]]
        clock.advance(901)
    assert [r.retry_after_s for r in results if r.retry_after_s] == [900, 900, 900, 3600]
    assert lookup(service, AN, right_digits(AN)).outcome == "locked"  # 901 s after the 20th failure
    clock.advance(3600 - 901 + 1)
    assert lookup(service, AN, right_digits(AN)).outcome == "found"


def test_upstream_timeout_is_an_upstream_error_and_not_counted(onestop_url, tmp_path, clock):
    service = make_service(onestop_url, tmp_path, clock, timeout_s=0.3)
    for _ in range(6):
        result = lookup(service, SLOW_CODE, "1234")
        assert result.outcome == "upstream_error" and result.dossier is None
    assert SOURCE in result.message and "0208 3 855 555" in result.message
    assert lookup(service, AN, right_digits(AN)).outcome == "found"


@pytest.mark.parametrize("code", [ERROR_CODE_CODE, HTTP_500_CODE, NOT_JSON_CODE])
def test_upstream_failures_are_upstream_errors(service, code):
    assert lookup(service, code, "1234").outcome == "upstream_error"


def test_wrong_token_is_an_upstream_error(onestop_url, tmp_path, clock):
    service = make_service(onestop_url, tmp_path, clock, token="not-the-token")
    assert lookup(service, AN, right_digits(AN)).outcome == "upstream_error"


def test_logs_never_contain_the_digits_tried_or_the_phone(service, caplog):
    caplog.set_level(logging.DEBUG)
    for digits in ("4729", "5831", "6942", "7053", "8164", "9275"):
        lookup(service, AN, digits)
    lookup(service, FINISHED, right_digits(FINISHED), sender="web:citizen-2")
    assert "dossier check failed" in caplog.text and "locked" in caplog.text
    for secret in ("4729", "5831", "6942", "7053", "8164", "9275", "0900000101", "0900000110", "Nguyễn Văn An"):
        assert secret not in caplog.text


# --- adapter, parts and configuration -------------------------------------------------------------

def test_adapter_sends_the_unit_code_when_configured():
    assert "madonvi" not in OneStopClient("http://x", "t").request_body(AN)
    assert OneStopClient("http://x", "t", unit_code="000.00.31.H56").request_body(AN) == {
        "service": "TraCuuHoSo", "mahoso": AN, "session": "t", "madonvi": "000.00.31.H56"
    }


def test_adapter_ignores_rows_for_other_codes():
    row = {"MaHoSo": "000.00.31.H56-261120-0002", "TrangThaiHoSo": "4"}
    assert matching_dossier({"error_code": 0, "result": [row]}, AN) is None
    with pytest.raises(UpstreamError):
        matching_dossier({"error_code": "5", "message": "x", "result": [row]}, AN)
    with pytest.raises(UpstreamError):
        matching_dossier(["not", "the", "protocol"], AN)


def test_name_masking_keeps_the_family_name_and_hides_lengths():
    assert mask_person_name("Nguyễn Văn An") == "Nguyễn V*** A**"
    assert mask_person_name("Nguyễn Văn Anh") == mask_person_name("Nguyễn Văn An")
    assert mask_person_name("Trần Thị Bích Ngọc") == "Trần T*** B*** N**"


def test_code_and_digit_shapes():
    assert normalise_code(" 000.00.01.h29-240115-0001 ") == "000.00.01.H29-240115-0001"
    assert normalise_code("000.00.01.H29-240115-001") is None
    assert normalise_last4(" 5678 ") == "5678" and normalise_last4(5678) == "5678"
    assert normalise_last4("567") is None and normalise_last4(None) is None


def test_vietnamese_wait():
    assert [vietnamese_wait(s) for s in (30, 900, 3600, 4500)] == ["1 phút", "15 phút", "1 giờ", "1 giờ 15 phút"]


def test_configuration_files_are_complete():
    statuses = load_statuses()
    assert set(statuses) == set(range(1, 11))
    assert all(s.clock in ("running", "finished", "stopped") and s.text and s.next_step for s in statuses.values())
    rules = load_rules()
    assert {(r.max_failures, r.window_s) for r in rules} == {(5, 3600), (20, 3600)}
    replies = yaml.safe_load(REPLIES_FILE.read_text(encoding="utf-8"))
    for key in ("invalid_code", "invalid_last4", "not_found", "mismatch", "locked", "upstream_error", "lock_started"):
        assert "Anh/Chị" in replies[key]


# --- HTTP contract --------------------------------------------------------------------------------

def test_router_speaks_the_contract(service):
    app = FastAPI()
    app.include_router(build_router(service))
    with TestClient(app) as client:
        found = client.post("/api/dossiers/lookup", json={"sender": "s1", "code": AN, "phone_last4": "0101"}).json()
        assert set(found) == {"outcome", "dossier", "retry_after_s", "message"}
        assert found["outcome"] == "found"
        assert set(found["dossier"]) == {
            "code", "procedure_code", "procedure_name", "applicant_masked", "status_code", "status_text",
            "received_at", "due_at", "finished_at", "overdue", "unit", "next_step", "documents_to_add",
            "result_documents",
        }
        bad = client.post("/api/dossiers/lookup", json={"sender": "s1", "code": "abc", "phone_last4": None}).json()
        assert bad == {"outcome": "invalid_code", "dossier": None, "retry_after_s": None, "message": bad["message"]}
        assert client.post("/api/dossiers/lookup", json={"code": AN}).status_code == 422
