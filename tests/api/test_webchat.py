"""POST /api/chat and GET / against the app, with a loopback server speaking Rasa's REST channel."""
from __future__ import annotations

import time

import httpx
import pytest

from api.main import create_app
from api.settings import Settings
from tests.support.servers import JsonServer, UvicornThread, free_port


def rasa_echo(method: str, path: str, body):
    """Rasa REST channel stand-in: answers 'echo: <message>' with one button."""
    if path == "/webhooks/rest/webhook":
        return 200, [
            {"recipient_id": body["sender"], "text": f"echo: {body['message']}",
             "buttons": [{"title": "Gặp cán bộ", "payload": "/request_human"}]}
        ]
    return 404, {}


@pytest.fixture()
def rasa():
    with JsonServer(rasa_echo) as server:
        yield server


def make_app(tmp_path, rasa_url: str):
    settings = Settings(data_dir=tmp_path, rasa_url=rasa_url, catalog=str(tmp_path / "none.jsonl"))
    return create_app(settings)


@pytest.fixture()
def client(tmp_path, rasa):
    app = make_app(tmp_path, rasa.url)
    with UvicornThread(app) as server:
        with httpx.Client(base_url=server.url, timeout=10) as c:
            yield c, app


def test_chat_round_trip_with_buttons_and_transcript(client, rasa):
    c, app = client
    resp = c.post("/api/chat", json={"sender": "staff-1", "message": "Xin chào"})
    assert resp.status_code == 200
    assert resp.json() == {"messages": [{"text": "echo: Xin chào",
                                         "buttons": [{"title": "Gặp cán bộ", "payload": "/request_human"}]}]}
    assert rasa.requests[-1][2]["sender"] == "staff-1"
    transcript = app.state.conversations.transcript("staff-1")
    assert [(t["direction"], t["text"]) for t in transcript] == [("in", "Xin chào"), ("out", "echo: Xin chào")]


def test_text_is_normalised_to_nfc_before_the_bot(client, rasa):
    c, _ = client
    decomposed = "Hoa\u0300"  # "Hoà" typed with a combining grave accent
    c.post("/api/chat", json={"sender": "s", "message": decomposed})
    assert rasa.requests[-1][2]["message"] == "Hoà"


@pytest.mark.parametrize(
    "payload, status",
    [
        ({"sender": "s", "message": ""}, 422),
        ({"sender": "s", "message": "   \n "}, 422),
        ({"sender": "s", "message": "a" * 2001}, 413),
        ({"sender": "s"}, 422),
        ({"message": "hi"}, 422),
        ({"sender": "", "message": "hi"}, 422),
        ({"sender": "s", "message": 12}, 422),
    ],
)
def test_bad_input_gets_a_clear_4xx(client, rasa, payload, status):
    c, _ = client
    before = len(rasa.requests)
    resp = c.post("/api/chat", json=payload)
    assert resp.status_code == status
    assert "detail" in resp.json() and resp.json()["detail"]
    assert len(rasa.requests) == before, "invalid input must not reach the bot"


def test_malformed_json_is_400_not_500(client):
    c, _ = client
    resp = c.post("/api/chat", content=b'{"sender": "s", "message": ', headers={"Content-Type": "application/json"})
    assert resp.status_code == 400
    assert "JSON" in resp.json()["detail"]


def test_exactly_2000_characters_is_accepted(client):
    c, _ = client
    assert c.post("/api/chat", json={"sender": "s", "message": "b" * 2000}).status_code == 200


def test_emoji_and_markup_pass_through_as_text(client, rasa):
    c, _ = client
    text = "<script>alert(1)</script> 😀 khai sinh"
    resp = c.post("/api/chat", json={"sender": "s", "message": text})
    assert resp.status_code == 200
    assert rasa.requests[-1][2]["message"] == text


def test_bot_down_gives_a_polite_answer_and_keeps_the_message(tmp_path):
    app = make_app(tmp_path, f"http://127.0.0.1:{free_port()}")  # nothing listens there
    with UvicornThread(app) as server:
        resp = httpx.post(f"{server.url}/api/chat", json={"sender": "s", "message": "Còn ai không?"}, timeout=10)
    assert resp.status_code == 200
    text = resp.json()["messages"][0]["text"]
    assert "gián đoạn" in text and app.state.settings.hotline in text
    transcript = app.state.conversations.transcript("s")
    assert transcript[0]["direction"] == "in" and transcript[0]["text"] == "Còn ai không?"


def test_chat_page_is_served(client):
    c, _ = client
    resp = c.get("/")
    assert resp.status_code == 200
    assert "/api/chat" in resp.text and "textContent" in resp.text


def test_healthz_names_the_parts_that_are_down(client):
    c, _ = client
    resp = c.get("/healthz")
    assert resp.status_code == 503
    body = resp.json()
    assert "actions" in body["down"] and "procedure_index" in body["down"]
