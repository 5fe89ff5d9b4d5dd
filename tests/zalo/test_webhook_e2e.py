"""End to end: signed events posted to the running app; assertions on what the Zalo stand-in received."""
from __future__ import annotations

import json
import logging

from api.zalo.failures import list_delivery_failures
from api.zalo.signature import compute_signature
from tests.zalo.bot_standin import SOURCE, long_answer
from tests.zalo.harness import (
    APP_ID,
    OA_SECRET,
    Running,
    fast_config,
    follow_event,
    image_event,
    start_stack,
    sticker_event,
    submit_info_event,
    text_event,
    wait_for,
)

USER = "2468013579246801357"  # larger than 2**53: must stay a string end to end


def send_attempts(stack: Running, expected: int) -> list[dict]:
    """Send attempts recorded in the transcript, once `expected` of them are there (recorded after the send)."""
    def attempts() -> list[dict]:
        return [t["meta"] for t in stack.conversations.transcript(f"zalo:{USER}") if t["text"] == "zalo_send"]

    wait_for(lambda: len(attempts()) >= expected)
    return attempts()


def test_conversation_answers_each_message_once_in_order(stack: Running) -> None:
    questions = ["khai sinh", "thường trú", "kết hôn"]
    for q in questions:
        assert stack.post(text_event(USER, q)).status_code == 200

    assert wait_for(lambda: len(stack.zalo.received(USER)) >= 3)
    received = stack.zalo.received(USER)
    assert [r.text for r in received] == [f"Trả lời: {q}. {SOURCE}" for q in questions]
    assert stack.bot.calls == [(f"zalo:{USER}", q) for q in questions]
    assert all(r.access_token == "access-0" for r in received)

    transcript = stack.conversations.transcript(f"zalo:{USER}")
    assert [t["text"] for t in transcript if t["direction"] == "in"] == questions
    sends = send_attempts(stack, 3)
    assert len(sends) == 3 and all(a["ok"] for a in sends)


def test_bad_or_missing_signature_is_rejected_and_nothing_is_sent(stack: Running) -> None:
    body = text_event(USER, "khai sinh")
    assert stack.post(body, signature=None).status_code == 401
    assert stack.post(body, signature="mac=" + "0" * 64).status_code == 401
    # A signature made for the original body does not cover a tampered one.
    tampered = dict(body, message={**body["message"], "text": "sửa đổi"})
    sig = compute_signature(APP_ID, json.dumps(body, ensure_ascii=False).encode(), body["timestamp"], OA_SECRET)
    assert stack.post(tampered, signature=sig).status_code == 401

    # A valid event afterwards is processed, proving the channel was running while the bad ones were refused.
    assert stack.post(text_event(USER, "xin chào")).status_code == 200
    assert wait_for(lambda: len(stack.zalo.received(USER)) >= 1)
    assert [r.text for r in stack.zalo.received(USER)] == [f"Trả lời: xin chào. {SOURCE}"]
    assert stack.bot.calls == [(f"zalo:{USER}", "xin chào")]
    assert [t["text"] for t in stack.conversations.transcript(f"zalo:{USER}") if t["direction"] == "in"] == ["xin chào"]


def test_duplicate_delivery_is_answered_once(stack: Running) -> None:
    body = text_event(USER, "khai sinh", msg_id="9170368421837465123")
    first, second = stack.post(body), stack.post(body)
    assert (first.status_code, second.status_code) == (200, 200)
    assert (first.json()["status"], second.json()["status"]) == ("queued", "duplicate")
    stack.post(text_event(USER, "sau đó"))  # a later message marks the end of processing
    assert wait_for(lambda: len(stack.zalo.received(USER)) >= 2)
    assert [r.text.split(".")[0] for r in stack.zalo.received(USER)] == ["Trả lời: khai sinh", "Trả lời: sau đó"]
    assert [c[1] for c in stack.bot.calls] == ["khai sinh", "sau đó"]


def test_long_reply_is_split_in_order_under_the_limit(stack: Running) -> None:
    stack.post(text_event(USER, "hướng dẫn chi tiết"))
    expected = long_answer()
    assert wait_for(lambda: sum(len(r.text) for r in stack.zalo.received(USER)) >= len(expected) - 50)
    parts = [r.text for r in stack.zalo.received(USER)]
    assert len(parts) == 3
    assert all(len(p) <= 2000 for p in parts)
    assert "\n".join(parts) == expected  # split on line boundaries: nothing lost, nothing reordered
    assert parts[0].startswith("Hồ sơ gồm") and parts[-1].endswith("thủ tục hành chính.")


def test_buttons_become_a_template_and_taps_reach_the_bot_as_payloads(stack: Running) -> None:
    stack.post(text_event(USER, "nhiều lựa chọn"))
    assert wait_for(lambda: len(stack.zalo.received(USER)) >= 1)
    menu = stack.zalo.received(USER)[0]
    assert [b["title"] for b in menu.buttons] == [f"Thủ tục số {i}" for i in range(1, 6)]
    assert {b["type"] for b in menu.buttons} == {"oa.query.show"}
    assert "- Thủ tục số 6" in menu.text and "- Thủ tục số 7" in menu.text  # the choices beyond five

    stack.post(text_event(USER, "Thủ tục số 2"))  # what Zalo sends when the citizen taps the button
    stack.post(text_event(USER, "thủ tục số 7"))  # typed from the list in the text
    assert wait_for(lambda: len(stack.zalo.received(USER)) >= 3)
    assert [c[1] for c in stack.bot.calls] == ["nhiều lựa chọn", '/chon{"so":"2"}', "thủ tục số 7"]
    assert stack.zalo.received(USER)[1].text.startswith("Anh/Chị đã chọn thủ tục số 2")


def test_link_buttons_open_the_url(stack: Running) -> None:
    stack.post(text_event(USER, "liên kết"))
    assert wait_for(lambda: len(stack.zalo.received(USER)) >= 1)
    assert stack.zalo.received(USER)[0].buttons == [
        {"title": "Cổng Dịch vụ công", "type": "oa.open.url", "payload": {"url": "https://dichvucong.gov.vn"}}
    ]


def test_token_refresh_in_the_middle_of_a_conversation(stack: Running) -> None:
    stack.post(text_event(USER, "câu một"))
    assert wait_for(lambda: len(stack.zalo.received(USER)) >= 1)
    stack.zalo.expire_access_token()
    stack.post(text_event(USER, "câu hai"))
    stack.post(text_event(USER, "câu ba"))
    assert wait_for(lambda: len(stack.zalo.received(USER)) >= 3)

    received = stack.zalo.received(USER)
    assert [r.text.split(".")[0] for r in received] == ["Trả lời: câu một", "Trả lời: câu hai", "Trả lời: câu ba"]
    assert len(stack.zalo.state.refresh_calls) == 1
    assert stack.zalo.state.refresh_calls[0] == {"app_id": stack.settings.zalo_app_id,
                                                 "grant_type": "refresh_token", "refresh_token": "refresh-0"}
    new_access = stack.zalo.state.access_token
    assert received[1].access_token == new_access and received[2].access_token == new_access
    stored = stack.channel.token_store.current()
    assert (stored.access_token, stored.refresh_token) == (new_access, stack.zalo.state.refresh_token)
    assert [a["error"] for a in send_attempts(stack, 4)] == [0, -216, 0, 0]


def test_image_gets_a_text_only_reply_and_is_kept_in_the_transcript(stack: Running) -> None:
    assert stack.post(image_event(USER)).status_code == 200
    assert wait_for(lambda: len(stack.zalo.received(USER)) >= 1)
    reply = stack.zalo.received(USER)[0].text
    assert "chỉ đọc được tin nhắn chữ" in reply and "không thể kiểm tra ảnh giấy tờ" in reply
    assert stack.settings.hotline in reply
    inbound = [t for t in stack.conversations.transcript(f"zalo:{USER}") if t["direction"] == "in"]
    assert inbound[0]["text"] == "[ảnh]"
    assert inbound[0]["meta"]["attachments"][0]["payload"]["url"] == "https://example.invalid/i.jpg"
    assert stack.bot.calls == []


def test_sticker_gets_the_text_only_reply(stack: Running) -> None:
    stack.post(sticker_event(USER))
    assert wait_for(lambda: len(stack.zalo.received(USER)) >= 1)
    reply = stack.zalo.received(USER)[0].text
    assert "chỉ đọc được tin nhắn chữ" in reply and "ảnh giấy tờ" not in reply


def test_follow_sends_welcome_with_menu_and_unfollow_is_only_recorded(stack: Running) -> None:
    stack.post(follow_event(USER))
    assert wait_for(lambda: len(stack.zalo.received(USER)) >= 1)
    welcome = stack.zalo.received(USER)[0]
    assert welcome.text.startswith("Chào mừng Anh/Chị") and stack.settings.province in welcome.text
    assert len(welcome.buttons) == 5 and welcome.buttons[0]["payload"] == welcome.buttons[0]["title"]

    stack.post(follow_event(USER, "unfollow"))
    stack.post(text_event(USER, "xong"))
    assert wait_for(lambda: len(stack.zalo.received(USER)) >= 2)
    assert len(stack.zalo.received(USER)) == 2  # nothing was sent for the unfollow
    kinds = [t["text"] for t in stack.conversations.transcript(f"zalo:{USER}") if t["direction"] == "event"]
    assert "follow" in kinds and "unfollow" in kinds


def test_submitted_contact_is_stored_with_consent_and_masked_in_logs(stack: Running, caplog) -> None:
    caplog.set_level(logging.INFO)
    stack.post(submit_info_event(USER, "Nguyễn Văn An", "0912345678"))
    assert wait_for(lambda: len(stack.zalo.received(USER)) >= 1)
    assert "gọi lại" in stack.zalo.received(USER)[0].text
    with stack.db.connect() as conn:
        rows = [dict(r) for r in conn.execute("SELECT sender, phone, name, consent FROM callback_contacts")]
    assert rows == [{"sender": f"zalo:{USER}", "phone": "0912345678", "name": "Nguyễn Văn An", "consent": 1}]
    assert "0912345678" not in caplog.text and "Văn An" not in caplog.text and USER not in caplog.text


def test_rate_limit_is_retried_with_backoff(stack: Running) -> None:
    stack.zalo.inject(("error", -32), ("error", -32))
    stack.post(text_event(USER, "khai sinh"))
    assert wait_for(lambda: len(stack.zalo.received(USER)) >= 1)
    assert [(a["attempt"], a["error"]) for a in send_attempts(stack, 3)] == [(1, -32), (2, -32), (3, 0)]
    assert list_delivery_failures(stack.db) == []


def test_give_up_after_bounded_server_errors_is_shown_to_officers(stack: Running) -> None:
    max_attempts = stack.channel.config.delivery.max_attempts
    stack.zalo.inject(*[("http", 503)] * max_attempts)
    stack.post(text_event(USER, "khai sinh"))
    assert wait_for(lambda: len(list_delivery_failures(stack.db)) == 1)
    failure = list_delivery_failures(stack.db)[0]
    assert failure["sender"] == f"zalo:{USER}" and failure["reason"] == "server"
    assert failure["attempts"] == max_attempts and failure["text"].startswith("Trả lời: khai sinh")
    assert stack.zalo.received(USER) == []
    # The next message goes through: the channel did not stall on the failure.
    stack.post(text_event(USER, "thử lại"))
    assert wait_for(lambda: len(stack.zalo.received(USER)) >= 1)


def test_reply_window_error_is_recorded_not_retried(stack: Running) -> None:
    stack.zalo.state.window_users.add(USER)
    stack.post(text_event(USER, "khai sinh"))
    assert wait_for(lambda: len(list_delivery_failures(stack.db)) == 1)
    assert stack.zalo.state.send_calls == 1
    assert list_delivery_failures(stack.db)[0]["reason"] == "window"
    def failed_events() -> list[dict]:
        return [t for t in stack.conversations.transcript(f"zalo:{USER}") if t["text"] == "zalo_delivery_failed"]

    assert wait_for(lambda: len(failed_events()) == 1)
    events = failed_events()
    assert events[0]["meta"]["delivery"] == "failed" and events[0]["meta"]["error"] == -230


def test_unknown_and_echo_events_are_acknowledged_without_replies(stack: Running) -> None:
    unknown = text_event(USER, "x")
    unknown["event_name"] = "user_reacted_message"
    echo = text_event(USER, "tin của OA")
    echo["event_name"] = "oa_send_text"
    assert stack.post(unknown).json() == {"status": "ignored"}
    assert stack.post(echo).json() == {"status": "ignored"}
    stack.post(text_event(USER, "sau cùng"))
    assert wait_for(lambda: len(stack.zalo.received(USER)) >= 1)
    assert [c[1] for c in stack.bot.calls] == ["sau cùng"]


def test_token_error_after_a_refresh_is_not_refreshed_again(stack: Running) -> None:
    stack.zalo.inject(("error", -216), ("error", -220))
    stack.post(text_event(USER, "khai sinh"))
    assert wait_for(lambda: len(list_delivery_failures(stack.db)) == 1)
    assert len(stack.zalo.state.refresh_calls) == 1 and stack.zalo.state.send_calls == 2
    assert list_delivery_failures(stack.db)[0]["reason"] == "token"


def test_refused_refresh_is_a_give_up_officers_see(tmp_path, zalo, bot) -> None:
    stack = start_stack(tmp_path, zalo, bot, zalo_app_secret="not-the-app-secret")
    try:
        zalo.expire_access_token()
        stack.post(text_event(USER, "khai sinh"))
        assert wait_for(lambda: len(list_delivery_failures(stack.db)) == 1)
    finally:
        stack.stop()
    failure = list_delivery_failures(stack.db)[0]
    assert failure["reason"] == "token" and failure["error_message"].startswith("token refresh failed")
    assert zalo.received() == []
    assert stack.channel.token_store.current().refresh_token == "refresh-0"  # nothing half-saved


def test_burst_above_zalo_rate_limit_is_delivered_after_backing_off(tmp_path, zalo, bot) -> None:
    config = fast_config(workers=6)
    config.delivery.max_attempts = 6
    config.delivery.backoff_initial_s = 0.3  # the stand-in's window is one second, like a per-second quota
    config.delivery.backoff_max_s = 1.0
    zalo.state.max_sends_per_s = 2
    users = [f"60000000000000000{n:02d}" for n in range(6)]
    stack = start_stack(tmp_path, zalo, bot, config=config)
    try:
        for user in users:
            stack.post(text_event(user, "khai sinh"))
        assert wait_for(lambda: len(zalo.received()) >= 6, timeout_s=30)
    finally:
        stack.stop()
    assert sorted(r.user_id for r in zalo.received()) == users  # each once
    assert zalo.state.send_calls > 6  # some sends were refused with -32 and retried
    assert list_delivery_failures(stack.db) == []


def test_oversized_body_is_refused_before_processing(stack: Running) -> None:
    body = text_event(USER, "x" * (stack.channel.config.webhook.max_body_bytes + 1))
    assert stack.post(body).status_code == 413
    stack.post(text_event(USER, "sau cùng"))
    assert wait_for(lambda: len(stack.zalo.received(USER)) >= 1)
    assert [c[1] for c in stack.bot.calls] == ["sau cùng"]
