"""Custom actions against a real HTTP server on loopback standing in for the app's internal API.

Run in the bot env: /work/main/.venv-bot/bin/python -m pytest tests/bot -q
"""
from __future__ import annotations

import asyncio
import json
import logging
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from rasa_sdk import Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.dialogue_logic import extract_last4, fallback_tier, normalize_dossier_code, normalize_phone
from actions.dossier import ActionDossierCancel, ActionDossierLookup, ValidateDossierLookupForm
from actions.fallback import ActionFallback
from actions.handoff import ActionCallbackConsent, ActionRecordCallback, ActionRequestHandoff
from actions.procedures import ActionAnswerProcedure
from actions.settings import load_settings

HOTLINE = load_settings(environ={}).hotline
CODE = "000.00.01.H29-240115-0001"


class FakeApp:
    """A real HTTP server: replies[path] = (status, json body); requests are recorded in order."""

    def __init__(self) -> None:
        self.replies: dict[str, tuple[int, Any]] = {}
        self.requests: list[tuple[str, Any]] = []
        self.tokens: list[str | None] = []  # the X-Internal-Token header of each request
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 (http.server API)
                length = int(self.headers.get("Content-Length") or 0)
                body = json.loads(self.rfile.read(length) or b"null")
                outer.requests.append((self.path, body))
                outer.tokens.append(self.headers.get("X-Internal-Token"))
                status, reply = outer.replies.get(self.path, (404, {"detail": "no such path"}))
                data = json.dumps(reply).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def bodies(self, path: str) -> list[Any]:
        return [body for p, body in self.requests if p == path]


@pytest.fixture
def app(monkeypatch: pytest.MonkeyPatch):
    fake = FakeApp()
    fake.thread.start()
    monkeypatch.setenv("APP_URL", fake.url)
    monkeypatch.delenv("HOTLINE", raising=False)
    monkeypatch.delenv("INTERNAL_API_TOKEN", raising=False)
    yield fake
    fake.server.shutdown()
    fake.server.server_close()


@pytest.fixture
def app_down(monkeypatch: pytest.MonkeyPatch):
    """APP_URL points at a loopback port nobody listens on."""
    fake = FakeApp()
    port = fake.server.server_address[1]
    fake.server.server_close()
    monkeypatch.setenv("APP_URL", f"http://127.0.0.1:{port}")
    monkeypatch.delenv("HOTLINE", raising=False)
    monkeypatch.delenv("INTERNAL_API_TOKEN", raising=False)


@pytest.fixture
def dispatcher() -> CollectingDispatcher:
    return CollectingDispatcher()


def tracker(intent: str, text: str, slots: dict[str, Any] | None = None,
            entities: list[dict[str, Any]] | None = None, sender: str = "web:test-0001",
            events: list[dict[str, Any]] | None = None) -> Tracker:
    return Tracker.from_dict({
        "sender_id": sender,
        "slots": slots or {},
        "latest_message": {"text": text, "intent": {"name": intent, "confidence": 0.99},
                           "entities": entities or []},
        "events": events or [],
        "paused": False,
        "followup_action": None,
        "active_loop": {},
        "latest_action_name": "action_listen",
    })


def run(action: Any, dispatcher: CollectingDispatcher, trk: Tracker) -> list[dict[str, Any]]:
    return asyncio.run(action.run(dispatcher, trk, {}))


def confident(code: str = "1.000894", name: str = "Thủ tục đăng ký kết hôn", text: str = "Hồ sơ …",
              has_more: bool = False, part: int = 1) -> dict[str, Any]:
    return {"verdict": "confident", "procedure": {"code": code, "name": name},
            "messages": [{"text": text, "buttons": []}], "has_more": has_more, "candidates": [], "part": part}


# --- action_answer_procedure ---------------------------------------------------------------------

def test_first_question_searches_with_the_citizens_words_and_remembers_the_procedure(app, dispatcher):
    app.replies["/api/answer"] = (200, confident(text="Hồ sơ cần chuẩn bị cho thủ tục đăng ký kết hôn (mã 1.000894)",
                                                 has_more=True))
    events = run(ActionAnswerProcedure(), dispatcher, tracker("ask_documents", "Đăng ký kết hôn cần gì?"))
    assert app.bodies("/api/answer") == [{"sender": "web:test-0001", "question": "Đăng ký kết hôn cần gì?",
                                          "aspect": "documents", "procedure_code": None, "part": 1}]
    assert [m["text"] for m in dispatcher.messages] == ["Hồ sơ cần chuẩn bị cho thủ tục đăng ký kết hôn (mã 1.000894)"]
    assert events == [SlotSet("procedure_code", "1.000894"), SlotSet("procedure_name", "Thủ tục đăng ký kết hôn"),
                      SlotSet("doc_part", 1.0), SlotSet("last_aspect", "documents"), SlotSet("fallback_count", 0.0)]


def test_calls_to_the_app_carry_the_internal_token(app, dispatcher, monkeypatch):
    app.replies["/api/answer"] = (200, confident())
    run(ActionAnswerProcedure(), dispatcher, tracker("ask_fee", "lệ phí kết hôn"))
    monkeypatch.setenv("INTERNAL_API_TOKEN", "per-start-secret")
    run(ActionAnswerProcedure(), dispatcher, tracker("ask_fee", "lệ phí kết hôn"))
    assert app.tokens == [None, "per-start-secret"]


def test_follow_up_sends_the_remembered_procedure(app, dispatcher):
    app.replies["/api/answer"] = (200, confident(text="Lệ phí …"))
    slots = {"procedure_code": "1.000894", "doc_part": 1.0, "last_aspect": "documents", "fallback_count": 1.0}
    run(ActionAnswerProcedure(), dispatcher, tracker("ask_fee", "Lệ phí bao nhiêu?", slots))
    assert app.bodies("/api/answer")[0] == {"sender": "web:test-0001", "question": "Lệ phí bao nhiêu?",
                                            "aspect": "fee", "procedure_code": "1.000894", "part": 1}


def test_ask_more_asks_for_the_next_part_of_the_last_aspect(app, dispatcher):
    app.replies["/api/answer"] = (200, confident(text="phần 2", part=2))
    slots = {"procedure_code": "1.000894", "doc_part": 1.0, "last_aspect": "steps"}
    events = run(ActionAnswerProcedure(), dispatcher, tracker("ask_more", "xem tiếp", slots))
    assert app.bodies("/api/answer")[0] == {"sender": "web:test-0001", "question": "", "aspect": "steps",
                                            "procedure_code": "1.000894", "part": 2}
    assert SlotSet("doc_part", 2.0) in events and SlotSet("last_aspect", "steps") in events


def test_ask_more_without_a_procedure_asks_which_one_without_calling_the_app(app, dispatcher):
    events = run(ActionAnswerProcedure(), dispatcher, tracker("ask_more", "xem tiếp"))
    assert events == [] and app.requests == []
    assert dispatcher.messages[0]["response"] == "utter_ask_which_procedure"


def test_candidate_button_payload_is_not_searched(app, dispatcher):
    app.replies["/api/answer"] = (200, confident(code="1.001193", name="Đăng ký khai sinh"))
    payload = '/ask_procedure{"procedure_code":"1.001193"}'
    run(ActionAnswerProcedure(), dispatcher, tracker("ask_procedure", payload, {"procedure_code": "1.001193"}))
    body = app.bodies("/api/answer")[0]
    assert body["question"] == "" and body["procedure_code"] == "1.001193" and body["aspect"] == "general"


def test_ambiguous_relays_the_candidate_buttons_and_keeps_the_topic(app, dispatcher):
    buttons = [{"title": "Đăng ký khai sinh (1.001193)", "payload": '/ask_procedure{"procedure_code":"1.001193"}'},
               {"title": "Đăng ký lại khai sinh (1.004884)", "payload": '/ask_procedure{"procedure_code":"1.004884"}'}]
    app.replies["/api/answer"] = (200, {"verdict": "ambiguous", "procedure": None, "has_more": False,
                                        "messages": [{"text": "Anh/Chị đang hỏi về thủ tục nào?", "buttons": buttons}],
                                        "candidates": [{"code": "1.001193", "name": "x"}]})
    events = run(ActionAnswerProcedure(), dispatcher, tracker("ask_procedure", "khai sinh"))
    assert dispatcher.messages[0]["buttons"] == buttons
    assert events == [SlotSet("fallback_count", 0.0)]


def test_verdict_none_twice_gives_two_different_fallbacks(app, dispatcher):
    app.replies["/api/answer"] = (200, {"verdict": "none", "procedure": None, "messages": [], "has_more": False,
                                        "candidates": []})
    first = run(ActionAnswerProcedure(), dispatcher, tracker("ask_procedure", "abc xyz"))
    second = run(ActionAnswerProcedure(), dispatcher, tracker("ask_procedure", "abc xyz", {"fallback_count": 1.0}))
    assert first == [SlotSet("fallback_count", 1.0)] and second == [SlotSet("fallback_count", 2.0)]
    assert [m["response"] for m in dispatcher.messages] == ["utter_fallback_rephrase", "utter_fallback_handoff"]
    assert dispatcher.messages[1]["hotline"] == HOTLINE


def test_app_down_gives_the_hotline_and_changes_nothing(app_down, dispatcher):
    events = run(ActionAnswerProcedure(), dispatcher, tracker("ask_fee", "Lệ phí bao nhiêu?", {"procedure_code": "1.000894"}))
    assert events == []
    assert dispatcher.messages[0]["response"] == "utter_service_unavailable"
    assert dispatcher.messages[0]["hotline"] == HOTLINE


def test_app_error_status_is_treated_as_unavailable(app, dispatcher):
    app.replies["/api/answer"] = (503, {"detail": "index not ready"})
    run(ActionAnswerProcedure(), dispatcher, tracker("ask_fee", "Lệ phí bao nhiêu?"))
    assert dispatcher.messages[0]["response"] == "utter_service_unavailable"


# --- action_fallback -----------------------------------------------------------------------------

def test_fallback_first_rephrase_then_officer_never_rephrase_twice(app, dispatcher):
    app.replies["/api/answer"] = (200, {"verdict": "none", "procedure": None, "messages": [], "candidates": []})
    count = None
    for text in ["???", "con mèo đang ngủ", "hôm qua đi chợ"]:
        events = asyncio.run(ActionFallback().run(dispatcher, tracker("nlu_fallback", text, {"fallback_count": count}), {}))
        count = events[0]["value"]
    assert [m["response"] for m in dispatcher.messages] == [
        "utter_fallback_rephrase", "utter_fallback_handoff", "utter_fallback_handoff"]
    assert count == 3.0
    assert [b["question"] for b in app.bodies("/api/answer")] == ["con mèo đang ngủ", "hôm qua đi chợ"]


def fallback_tracker(text: str, slots: dict[str, Any] | None = None, gate: bool = False,
                     intent: str = "nlu_fallback") -> Tracker:
    trk = tracker(intent, text, slots)
    if gate:
        trk.latest_message["vietnamese_gate"] = {"unknown_share": 1.0}
    return trk


def test_fallback_first_answers_a_question_the_search_understands(app, dispatcher):
    """Two intents tied, yet the words name a procedure and an aspect: answer instead of "em chưa hiểu"."""
    reply = confident(code="1.001193", name="Đăng ký khai sinh", text="Thời hạn giải quyết thủ tục đăng ký khai sinh")
    app.replies["/api/answer"] = (200, {**reply, "aspect": "duration", "switched": True})
    question = "thế còn làm giấy khai sinh cho con thì mất bao lâu?"
    events = run(ActionFallback(), dispatcher, fallback_tracker(question, {"procedure_code": "1.000894",
                                                                           "fallback_count": 1.0}))
    assert app.bodies("/api/answer") == [{"sender": "web:test-0001", "question": question, "aspect": "general",
                                          "procedure_code": "1.000894", "part": 1}]
    assert dispatcher.messages[0]["text"].startswith("Thời hạn giải quyết")
    slots = {e["name"]: e["value"] for e in events}
    assert slots["procedure_code"] == "1.001193" and slots["last_aspect"] == "duration"
    assert slots["fallback_count"] == 0.0


def test_fallback_offers_the_candidates_when_the_search_is_ambiguous(app, dispatcher):
    buttons = [{"title": f"Thủ tục {i}", "payload": '/ask_procedure{"procedure_code":"1.00000' + str(i) + '"}'}
               for i in range(3)]
    app.replies["/api/answer"] = (200, {"verdict": "ambiguous", "procedure": None, "candidates": [],
                                        "messages": [{"text": "Anh/Chị đang hỏi về thủ tục nào dưới đây?",
                                                      "buttons": buttons}]})
    events = run(ActionFallback(), dispatcher, fallback_tracker("cấp lại giấy", {"fallback_count": 1.0}))
    assert dispatcher.messages[0]["buttons"] == buttons
    assert events == [SlotSet("fallback_count", 0.0)]


def test_keyboard_mash_flagged_by_the_nlu_gate_is_never_searched(app, dispatcher):
    app.replies["/api/answer"] = (200, confident())
    first = run(ActionFallback(), dispatcher, fallback_tracker("qưerty zxcv asdf", gate=True))
    second = run(ActionFallback(), dispatcher, fallback_tracker(
        "lkjh poiu mnbv", {"fallback_count": first[0]["value"]}, gate=True))
    assert app.bodies("/api/answer") == []
    assert [m["response"] for m in dispatcher.messages] == ["utter_fallback_rephrase", "utter_fallback_handoff"]
    assert second == [SlotSet("fallback_count", 2.0)]


def test_core_fallback_of_a_real_intent_and_payloads_are_not_searched(app, dispatcher):
    app.replies["/api/answer"] = (200, confident())
    run(ActionFallback(), dispatcher, fallback_tracker("ok", intent="affirm"))
    run(ActionFallback(), dispatcher, fallback_tracker("/ask_fee"))
    assert app.bodies("/api/answer") == []


def test_fallback_with_the_app_down_still_gives_the_two_tiers(app_down, dispatcher):
    events = run(ActionFallback(), dispatcher, fallback_tracker("đăng ký tạm trú"))
    assert [m["response"] for m in dispatcher.messages] == ["utter_fallback_rephrase"]
    assert events == [SlotSet("fallback_count", 1.0)]


def user(text: str) -> dict[str, Any]:
    return {"event": "user", "text": text}


def action(name: str) -> dict[str, Any]:
    return {"event": "action", "name": name}


def test_fallback_counter_only_counts_consecutive_misunderstandings(app, dispatcher):
    after_fallback = [user("???"), action("action_fallback"), action("action_listen"), user("!!!")]
    after_greeting = [user("???"), action("action_fallback"), action("action_listen"), user("chào"),
                      action("utter_greet"), action("action_listen"), user("!!!")]
    repeat = asyncio.run(ActionFallback().run(
        dispatcher, tracker("nlu_fallback", "!!!", {"fallback_count": 1.0}, events=after_fallback), {}))
    fresh = asyncio.run(ActionFallback().run(
        dispatcher, tracker("nlu_fallback", "!!!", {"fallback_count": 1.0}, events=after_greeting), {}))
    assert repeat == [SlotSet("fallback_count", 2.0)] and fresh == [SlotSet("fallback_count", 1.0)]
    assert [m["response"] for m in dispatcher.messages] == ["utter_fallback_handoff", "utter_fallback_rephrase"]


def test_fallback_tier_counts_from_an_empty_slot():
    assert fallback_tier(None, 2) == (1, "utter_fallback_rephrase")
    assert fallback_tier(1.0, 2) == (2, "utter_fallback_handoff")


# --- dossier lookup ------------------------------------------------------------------------------

@pytest.mark.parametrize("typed, expected", [
    (CODE, CODE),
    ("mã hồ sơ của tôi là 000.00.12.h29-240601-0099 ạ", "000.00.12.H29-240601-0099"),
    ("000.00.01.H29-24011-0001", None),
    ("hồ sơ đăng ký kết hôn", None),
])
def test_dossier_code_shape_is_validated(dispatcher, typed, expected):
    result = ValidateDossierLookupForm().validate_dossier_code(typed, dispatcher, tracker("inform_dossier_code", typed), {})
    assert result == {"dossier_code": expected}
    assert [m["response"] for m in dispatcher.messages] == ([] if expected else ["utter_invalid_dossier_code"])


@pytest.mark.parametrize("typed, expected", [
    ("5678", "5678"), ("4 số cuối là 5678", "5678"), ("567", None), ("5678 1234", None), ("12345", None),
    ("0912 345 678", "5678"),
])
def test_last_digits_are_validated(dispatcher, typed, expected):
    result = ValidateDossierLookupForm().validate_phone_last4(typed, dispatcher, tracker("inform_digits", typed), {})
    assert result == {"phone_last4": expected}


CLEARED = [SlotSet("dossier_code", None), SlotSet("phone_last4", None), SlotSet("fallback_count", 0.0)]


def lookup_tracker() -> Tracker:
    return tracker("inform_digits", "5678", {"dossier_code": CODE, "phone_last4": "5678"})


def test_lookup_found_relays_the_apps_message_and_forgets_the_code(app, dispatcher):
    app.replies["/api/dossiers/lookup"] = (200, {"outcome": "found", "dossier": {"status": "Đang xử lý"},
                                                 "retry_after_s": None, "message": "Hồ sơ … đang được xử lý."})
    events = run(ActionDossierLookup(), dispatcher, lookup_tracker())
    assert app.bodies("/api/dossiers/lookup") == [{"sender": "web:test-0001", "code": CODE, "phone_last4": "5678"}]
    assert dispatcher.messages[0]["text"] == "Hồ sơ … đang được xử lý."
    assert events == CLEARED


def test_lookup_wrong_digits_keeps_the_code_for_another_try(app, dispatcher):
    app.replies["/api/dossiers/lookup"] = (200, {"outcome": "mismatch", "dossier": None, "retry_after_s": None,
                                                 "message": "4 số cuối chưa khớp."})
    events = run(ActionDossierLookup(), dispatcher, lookup_tracker())
    assert events == [SlotSet("phone_last4", None), SlotSet("fallback_count", 0.0)]
    assert dispatcher.messages[0]["text"] == "4 số cuối chưa khớp."


@pytest.mark.parametrize("outcome", ["not_found", "locked", "upstream_error", "invalid_code"])
def test_lookup_other_outcomes_relay_the_message_and_reset(app, dispatcher, outcome):
    app.replies["/api/dossiers/lookup"] = (200, {"outcome": outcome, "dossier": None, "retry_after_s": 600,
                                                 "message": f"message for {outcome}"})
    events = run(ActionDossierLookup(), dispatcher, lookup_tracker())
    assert dispatcher.messages[0]["text"] == f"message for {outcome}"
    assert events == CLEARED


def test_lookup_with_the_app_down(app_down, dispatcher):
    events = run(ActionDossierLookup(), dispatcher, lookup_tracker())
    assert dispatcher.messages[0]["response"] == "utter_service_unavailable"
    assert events == CLEARED


def test_cancel_clears_the_lookup(dispatcher):
    events = run(ActionDossierCancel(), dispatcher, tracker("deny", "thôi"))
    assert dispatcher.messages[0]["response"] == "utter_dossier_cancelled"
    assert events == [SlotSet("dossier_code", None), SlotSet("phone_last4", None)]


# --- hand-over -----------------------------------------------------------------------------------

def handoff_reply(in_hours: bool) -> dict[str, Any]:
    return {"in_office_hours": in_hours, "hotline": HOTLINE, "next_open": "7 giờ 30 sáng thứ Hai",
            "message": "Cán bộ sẽ trả lời Anh/Chị." if in_hours else "Hiện ngoài giờ làm việc."}


def test_handoff_in_office_hours_tells_what_happens_and_offers_no_callback(app, dispatcher):
    app.replies["/api/handoff"] = (200, handoff_reply(True))
    events = run(ActionRequestHandoff(), dispatcher, tracker("request_human", "cho tôi gặp cán bộ"))
    assert app.bodies("/api/handoff") == [{"sender": "web:test-0001", "reason": "citizen_request",
                                           "phone": None, "consent": False}]
    assert [m.get("text") for m in dispatcher.messages] == ["Cán bộ sẽ trả lời Anh/Chị."]
    assert events == [SlotSet("handoff_requested", True), SlotSet("callback_offered", False),
                      SlotSet("fallback_count", 0.0)]


def test_handoff_outside_hours_offers_a_callback(app, dispatcher):
    app.replies["/api/handoff"] = (200, handoff_reply(False))
    events = run(ActionRequestHandoff(), dispatcher, tracker("request_human", "/request_human", {"fallback_count": 2.0}))
    assert app.bodies("/api/handoff")[0]["reason"] == "bot_did_not_understand"
    assert dispatcher.messages[0]["text"] == "Hiện ngoài giờ làm việc."
    assert dispatcher.messages[1]["response"] == "utter_offer_callback"
    assert SlotSet("callback_offered", True) in events


def test_callback_consent_yes_asks_the_number_no_records_nothing(dispatcher):
    yes = run(ActionCallbackConsent(), dispatcher, tracker("affirm", "có", {"callback_offered": True}))
    no = run(ActionCallbackConsent(), dispatcher, tracker("deny", "không", {"callback_offered": True}))
    assert yes == [SlotSet("callback_offered", False), SlotSet("callback_consent", True)]
    assert no == [SlotSet("callback_offered", False), SlotSet("callback_consent", False)]
    assert [m["response"] for m in dispatcher.messages] == ["utter_ask_callback_phone", "utter_callback_declined"]


def test_phone_without_consent_is_not_sent_to_the_app(app, dispatcher):
    events = run(ActionRecordCallback(), dispatcher,
                 tracker("inform_phone", "0912345678", entities=[{"entity": "phone_number", "value": "0912345678"}]))
    assert app.requests == []
    assert dispatcher.messages[0]["response"] == "utter_ask_callback_consent"
    assert events == [SlotSet("callback_offered", True)]


def test_phone_with_consent_is_recorded_and_not_logged(app, dispatcher, caplog):
    caplog.set_level(logging.DEBUG)
    app.replies["/api/handoff"] = (200, {**handoff_reply(False), "message": "Cán bộ sẽ gọi lại cho Anh/Chị."})
    events = run(ActionRecordCallback(), dispatcher,
                 tracker("inform_phone", "số của tôi là 0912 345 678", {"callback_consent": True}))
    assert app.bodies("/api/handoff") == [{"sender": "web:test-0001", "reason": "callback",
                                           "phone": "0912345678", "consent": True}]
    assert dispatcher.messages[0]["text"] == "Cán bộ sẽ gọi lại cho Anh/Chị."
    assert events == [SlotSet("callback_consent", False), SlotSet("handoff_requested", True)]
    assert "345" not in caplog.text


def test_phone_failure_is_logged_without_the_number(app_down, dispatcher, caplog):
    caplog.set_level(logging.DEBUG)
    run(ActionRecordCallback(), dispatcher, tracker("inform_phone", "0912345678", {"callback_consent": True}))
    assert dispatcher.messages[0]["response"] == "utter_service_unavailable"
    assert "0912345678" not in caplog.text


def test_unreadable_phone_is_asked_again(app, dispatcher):
    run(ActionRecordCallback(), dispatcher, tracker("inform_phone", "số tôi là 12345", {"callback_consent": True}))
    assert app.requests == [] and dispatcher.messages[0]["response"] == "utter_invalid_phone"


def test_phone_and_code_helpers():
    assert normalize_phone("+84 912 345 678") == "0912345678"
    assert normalize_phone("0912.345.678") == "0912345678"
    assert normalize_phone("12345") is None
    assert normalize_dossier_code(f"xem {CODE}.") == CODE


def test_ask_more_after_the_overview_shows_the_documents(app, dispatcher):
    app.replies["/api/answer"] = (200, confident(text="Hồ sơ (phần 1/3)", has_more=True))
    slots = {"procedure_code": "1.000894", "doc_part": 1.0, "last_aspect": "general"}
    events = run(ActionAnswerProcedure(), dispatcher, tracker("ask_more", "còn gì nữa không", slots))
    assert app.bodies("/api/answer")[0] == {"sender": "web:test-0001", "question": "", "aspect": "documents",
                                            "procedure_code": "1.000894", "part": 1}
    assert SlotSet("last_aspect", "documents") in events and SlotSet("doc_part", 1.0) in events
