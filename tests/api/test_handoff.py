"""Hand-over to officers: office hours, waiting/held state, call-back consent, over real SQLite."""
from __future__ import annotations

import logging
import time
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import yaml
from fastapi import FastAPI
from fastapi.testclient import TestClient

from api.conversations import SCHEMA as TRANSCRIPT_SCHEMA
from api.db import Database
from api.handoff import HandoffService, build_handoff_service, parse_office_hours
from api.handoff.hours import OfficeHoursError, describe_moment
from api.handoff.service import CONFIG_FILE, normalise_phone
from api.routers.handoff import build_router
from api.settings import Settings

VN = ZoneInfo("Asia/Ho_Chi_Minh")
HOURS = "Mon-Fri 07:30-11:30,13:30-17:00"
MONDAY_9 = datetime(2026, 11, 30, 9, 0, tzinfo=VN)
FRIDAY_EVENING = datetime(2026, 11, 27, 18, 30, tzinfo=VN)
HOTLINE = "0208 3 855 555"
PHONE = "0912 345 678"


class Clock:
    def __init__(self, now: datetime):
        self.now = now

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def db(tmp_path: Path) -> Database:
    return Database(tmp_path / "app.db")


def make_service(db: Database, now: datetime, hours: str = HOURS) -> HandoffService:
    settings = Settings(office_hours=hours, timezone="Asia/Ho_Chi_Minh", hotline=HOTLINE)
    return build_handoff_service(settings, db, clock=Clock(now))


def write_transcript(db: Database, sender: str, rows: list[tuple[str, str]]) -> None:
    db.executescript(TRANSCRIPT_SCHEMA)
    with db.connect() as conn:
        for direction, text in rows:
            conn.execute(
                "INSERT INTO transcript (sender, direction, text, channel, created_at) VALUES (?, ?, ?, 'web', ?)",
                (sender, direction, text, time.time()),
            )


# --- office hours ---------------------------------------------------------------------------------

@pytest.mark.parametrize(
    ("moment", "is_open"),
    [
        (datetime(2026, 11, 30, 7, 29), False), (datetime(2026, 11, 30, 7, 30), True),
        (datetime(2026, 11, 30, 11, 29), True), (datetime(2026, 11, 30, 12, 0), False),
        (datetime(2026, 11, 30, 13, 30), True), (datetime(2026, 11, 30, 17, 0), False),
        (datetime(2026, 11, 28, 9, 0), False),  # Saturday
    ],
)
def test_office_hours_open_and_closed(moment, is_open):
    assert parse_office_hours(HOURS, "Asia/Ho_Chi_Minh").is_open(moment.replace(tzinfo=VN)) is is_open


def test_office_hours_use_the_configured_time_zone():
    hours = parse_office_hours(HOURS, "Asia/Ho_Chi_Minh")
    assert hours.is_open(datetime(2026, 11, 30, 2, 0, tzinfo=ZoneInfo("UTC")))  # 09:00 in Hà Nội
    assert not hours.is_open(datetime(2026, 11, 30, 11, 0, tzinfo=ZoneInfo("UTC")))  # 18:00 in Hà Nội


def test_next_opening():
    hours = parse_office_hours(HOURS, "Asia/Ho_Chi_Minh")
    assert hours.next_open(FRIDAY_EVENING) == datetime(2026, 11, 30, 7, 30, tzinfo=VN)
    assert hours.next_open(datetime(2026, 11, 30, 12, 0, tzinfo=VN)) == datetime(2026, 11, 30, 13, 30, tzinfo=VN)
    assert hours.next_open(datetime(2026, 11, 30, 6, 0, tzinfo=VN)) == datetime(2026, 11, 30, 7, 30, tzinfo=VN)


def test_several_day_groups_and_descriptions():
    hours = parse_office_hours("Mon-Fri 07:30-11:30,13:30-17:00; Sat 07:30-11:30", "Asia/Ho_Chi_Minh")
    assert hours.is_open(datetime(2026, 11, 28, 8, 0, tzinfo=VN))
    assert not hours.is_open(datetime(2026, 11, 28, 14, 0, tzinfo=VN))
    assert hours.next_open(datetime(2026, 11, 28, 12, 0, tzinfo=VN)) == datetime(2026, 11, 30, 7, 30, tzinfo=VN)
    assert hours.describe() == "thứ Hai đến thứ Sáu, 07:30–11:30 và 13:30–17:00; thứ Bảy, 07:30–11:30"


def test_closed_dates_are_holidays():
    hours = parse_office_hours(HOURS, "Asia/Ho_Chi_Minh", ["2026-11-30", date(2026, 12, 1)])
    assert not hours.is_open(MONDAY_9)
    assert hours.next_open(FRIDAY_EVENING) == datetime(2026, 12, 2, 7, 30, tzinfo=VN)


def test_configured_holidays_are_read():
    config = yaml.safe_load(CONFIG_FILE.read_text(encoding="utf-8"))
    hours = parse_office_hours(HOURS, "Asia/Ho_Chi_Minh", config["closed_dates"])
    assert not hours.is_open(datetime(2027, 9, 2, 9, 0, tzinfo=VN))  # Quốc khánh, a Thursday


@pytest.mark.parametrize("spec", ["", "Mon-Fri", "Mon-Fri 7-11", "Xyz 07:30-11:30", "Mon 11:30-07:30"])
def test_bad_office_hours_are_rejected(spec):
    with pytest.raises(OfficeHoursError):
        parse_office_hours(spec, "Asia/Ho_Chi_Minh")


def test_moments_are_said_in_vietnamese():
    friday = FRIDAY_EVENING
    assert describe_moment(datetime(2026, 11, 27, 19, 0, tzinfo=VN), friday) == "19:00 hôm nay"
    assert describe_moment(datetime(2026, 11, 28, 7, 30, tzinfo=VN), friday) == "07:30 ngày mai (thứ Bảy, 28/11/2026)"
    assert describe_moment(datetime(2026, 11, 30, 7, 30, tzinfo=VN), friday) == "07:30 thứ Hai, 30/11/2026"


# --- requesting a human ---------------------------------------------------------------------------

def test_in_office_hours_the_conversation_waits_for_an_officer(db):
    service = make_service(db, MONDAY_9)
    reply = service.request("web:c1", "Muốn hỏi cán bộ về hồ sơ đất", None, False)
    assert reply.in_office_hours is True and reply.hotline == HOTLINE
    assert "Bộ phận Một cửa" in reply.message and HOTLINE in reply.message and "Anh/Chị" in reply.message
    assert service.store.state("web:c1") == "waiting_officer"
    assert service.store.is_held("web:c1") is False  # the bot keeps answering while the citizen waits
    [waiting] = service.store.list_waiting()
    assert (waiting.sender, waiting.reason, waiting.in_office_hours) == ("web:c1", "Muốn hỏi cán bộ về hồ sơ đất", True)


def test_outside_hours_the_citizen_is_told_when_and_offered_a_call_back(db):
    reply = make_service(db, FRIDAY_EVENING).request("web:c1", "", None, False)
    assert reply.in_office_hours is False
    assert reply.next_open == "07:30 thứ Hai, 30/11/2026"
    assert "ngoài giờ làm việc" in reply.message and "07:30 thứ Hai, 30/11/2026" in reply.message
    assert "gọi lại" in reply.message and reply.callback_recorded is False


def test_call_back_number_is_stored_only_with_consent(db, caplog):
    caplog.set_level(logging.DEBUG)
    service = make_service(db, FRIDAY_EVENING)
    refused = service.request("web:c1", "", PHONE, False)
    assert refused.callback_recorded is False and "chưa đồng ý" in refused.message
    assert service.store.list_waiting()[0].callback_phone is None
    given = service.request("web:c2", "", PHONE, True)
    assert given.callback_recorded is True and "đã được ghi lại" in given.message
    by_sender = {w.sender: w.callback_phone for w in service.store.list_waiting()}
    assert by_sender == {"web:c1": None, "web:c2": "0912345678"}
    with db.connect() as conn:
        rows = conn.execute("SELECT sender, phone, consent FROM callback_requests").fetchall()
    assert [tuple(r) for r in rows] == [("web:c2", "0912345678", 1)]
    assert "0912345678" not in caplog.text and PHONE not in caplog.text and "345" not in caplog.text


def test_invalid_phone_is_not_stored(db):
    reply = make_service(db, FRIDAY_EVENING).request("web:c1", "", "12345", True)
    assert reply.callback_recorded is False and "chưa đúng" in reply.message


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("0912 345 678", "0912345678"), ("+84912345678", "0912345678"), ("84.912.345.678", "0912345678"),
     ("091234567", None), ("hello", None), (None, None)],
)
def test_phone_normalisation(raw, expected):
    assert normalise_phone(raw) == expected


def test_the_last_messages_are_stored_with_the_request(db):
    rows = [("in" if i % 2 == 0 else "out", f"tin nhắn {i}") for i in range(14)] + [("event", "bot_unavailable")]
    write_transcript(db, "web:c1", rows)
    write_transcript(db, "web:other", [("in", "không liên quan")])
    make_service(db, MONDAY_9).request("web:c1", "cần hỗ trợ", None, False)
    [waiting] = make_service(db, MONDAY_9).store.list_waiting()
    n = yaml.safe_load(CONFIG_FILE.read_text(encoding="utf-8"))["transcript_messages"]
    assert [m["text"] for m in waiting.transcript] == [f"tin nhắn {i}" for i in range(14 - n, 14)]
    assert waiting.transcript[-1]["direction"] == "out"


def test_without_a_transcript_table_the_request_is_still_stored(db):
    make_service(db, MONDAY_9).request("web:c1", "cần hỗ trợ", None, False)
    assert make_service(db, MONDAY_9).store.list_waiting()[0].transcript == []


def test_asking_again_keeps_one_request_and_its_place(db):
    service = make_service(db, MONDAY_9)
    service.request("web:c1", "lần 1", None, False)
    service.request("web:c2", "khác", None, False)
    service.request("web:c1", "lần 2", None, False)
    assert [(w.sender, w.reason) for w in service.store.list_waiting()] == [("web:c1", "lần 2"), ("web:c2", "khác")]


# --- officer side ---------------------------------------------------------------------------------

def test_take_over_silences_the_bot_and_release_gives_it_back(db):
    service = make_service(db, MONDAY_9)
    service.request("web:c1", "", None, False)
    service.store.take_over("web:c1", "officer-7")
    assert service.store.is_held("web:c1") is True
    assert service.store.list_waiting() == []
    again = service.request("web:c1", "", None, False)
    assert again.state == "held_by_officer" and "đang hỗ trợ" in again.message
    assert service.store.is_held("web:c1") is True
    service.store.release("web:c1")
    assert service.store.state("web:c1") == "bot" and service.store.is_held("web:c1") is False
    with db.connect() as conn:
        statuses = [r["status"] for r in conn.execute("SELECT status FROM handoffs")]
    assert statuses == ["closed"]


def test_unknown_conversation_is_with_the_bot(db):
    store = make_service(db, MONDAY_9).store
    assert store.state("web:never-seen") == "bot" and store.is_held("web:never-seen") is False


def test_replies_are_configured_in_vietnamese():
    config = yaml.safe_load(CONFIG_FILE.read_text(encoding="utf-8"))
    for key in ("in_hours", "out_of_hours", "offer_callback", "callback_recorded_out_of_hours", "held"):
        assert config["replies"][key].strip()
    assert "Anh/Chị" in config["replies"]["in_hours"] and "{hotline}" in config["replies"]["in_hours"]


# --- HTTP contract --------------------------------------------------------------------------------

def test_router_speaks_the_contract(db):
    app = FastAPI()
    app.include_router(build_router(make_service(db, FRIDAY_EVENING)))
    with TestClient(app) as client:
        reply = client.post("/api/handoff", json={"sender": "zalo:123", "reason": "gặp cán bộ", "phone": None, "consent": False})
        body = reply.json()
        assert {"in_office_hours", "hotline", "next_open", "message"} <= set(body)
        assert body["in_office_hours"] is False and body["hotline"] == HOTLINE
        state = client.get("/api/handoff/state", params={"sender": "zalo:123"}).json()
        assert state == {"sender": "zalo:123", "state": "waiting_officer"}
        assert client.post("/api/handoff", json={"reason": "x"}).status_code == 422
