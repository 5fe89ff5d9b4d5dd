import json

from api.zalo.events import EventKind, needs_processing, parse_event

BIG_ID = "9007199254740993123"  # beyond 2**53: a float would corrupt it


def test_text_event_keeps_ids_as_strings_and_normalises_text() -> None:
    raw = json.dumps({
        "app_id": "1", "event_name": "user_send_text", "timestamp": "1732700000000",
        "sender": {"id": BIG_ID}, "recipient": {"id": "2"},
        "message": {"msg_id": "a1b2c3", "text": "  Đăng ky\u0301 khai sinh  "},  # decomposed accent
    })
    event = parse_event(json.loads(raw))
    assert event.kind is EventKind.TEXT
    assert event.user_id == BIG_ID and event.sender == f"zalo:{BIG_ID}"
    assert event.dedupe_key == "msg:a1b2c3"
    assert event.text == "Đăng ký khai sinh"


def test_follow_uses_the_follower_and_a_dedupe_key_without_msg_id() -> None:
    event = parse_event({"event_name": "follow", "timestamp": "17", "follower": {"id": BIG_ID}})
    assert event.kind is EventKind.FOLLOW and event.user_id == BIG_ID
    assert event.dedupe_key == f"follow:{BIG_ID}:17"
    assert needs_processing(event)


def test_classification_of_other_events() -> None:
    kinds = {name: parse_event({"event_name": name, "sender": {"id": "5"}}, {"user_seen_message"}).kind
             for name in ["user_send_image", "user_send_sticker", "user_send_location", "user_submit_info",
                          "unfollow", "user_seen_message", "oa_send_text", "something_new"]}
    assert kinds == {
        "user_send_image": EventKind.IMAGE, "user_send_sticker": EventKind.NON_TEXT,
        "user_send_location": EventKind.NON_TEXT, "user_submit_info": EventKind.SUBMIT_INFO,
        "unfollow": EventKind.UNFOLLOW, "user_seen_message": EventKind.IGNORED,
        "oa_send_text": EventKind.IGNORED, "something_new": EventKind.UNKNOWN,
    }
    assert not needs_processing(parse_event({"event_name": "something_new", "sender": {"id": "5"}}))
