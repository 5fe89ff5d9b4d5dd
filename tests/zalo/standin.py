"""A Zalo OA stand-in: a real HTTP server on loopback with the send and token endpoints.

It behaves like Zalo where the channel depends on it: `access_token` header (not Bearer), errors as HTTP 200
with `error != 0` (-216 invalid token, -32 rate limit, -230 outside the reply window, -201 bad parameters),
single-use rotating refresh tokens, and the OAuth form/`secret_key` header contract. Tests point
ZALO_API_BASE and ZALO_OAUTH_BASE at it and read back what it received.
"""
from __future__ import annotations

import itertools
import json
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from typing import Any

from tests.support.servers import LoopbackServer
from urllib.parse import parse_qs

MAX_TEXT = 2000
MAX_BUTTONS = 5
BUTTON_TYPES = {"oa.query.show", "oa.query.hide", "oa.open.url", "oa.open.phone", "oa.open.sms"}


@dataclass
class Received:
    user_id: str
    text: str
    buttons: list[dict[str, Any]]
    access_token: str
    at: float


@dataclass
class StandInState:
    app_id: str
    app_secret: str
    access_token: str
    refresh_token: str
    received: list[Received] = field(default_factory=list)
    send_calls: int = 0
    refresh_calls: list[dict[str, str]] = field(default_factory=list)
    injected: deque = field(default_factory=deque)  # ("error", code) or ("http", status), consumed per send
    window_users: set[str] = field(default_factory=set)
    max_sends_per_s: int = 0  # 0: no real rate limit
    send_delay_s: float = 0.0
    _window_start: float = 0.0
    _window_count: int = 0


class ZaloStandIn(LoopbackServer):
    def __init__(self, app_id: str, app_secret: str, access_token: str, refresh_token: str):
        self.state = StandInState(app_id, app_secret, access_token, refresh_token)
        self.lock = threading.Lock()
        self._ids = itertools.count(1)
        super().__init__()


    # --- controls used by tests ---------------------------------------------------------------------
    def expire_access_token(self) -> None:
        with self.lock:
            self.state.access_token = "expired-" + self.state.access_token

    def inject(self, *behaviours: tuple[str, int]) -> None:
        with self.lock:
            self.state.injected.extend(behaviours)

    def received(self, user_id: str | None = None) -> list[Received]:
        with self.lock:
            return [r for r in self.state.received if user_id is None or r.user_id == user_id]

    # --- behaviour ----------------------------------------------------------------------------------
    def _send(self, token: str, body: Any) -> tuple[int, dict[str, Any]]:
        with self.lock:
            st = self.state
            st.send_calls += 1
            if st.injected:
                kind, value = st.injected.popleft()
                if kind == "http":
                    return value, {"error": value, "message": "Service unavailable"}
                return 200, {"error": value, "message": _ERROR_MESSAGES.get(value, "error")}
            if token != st.access_token:
                return 200, {"error": -216, "message": "Access token is invalid"}
            if st.max_sends_per_s:
                now = time.monotonic()
                if now - st._window_start >= 1.0:
                    st._window_start, st._window_count = now, 0
                st._window_count += 1
                if st._window_count > st.max_sends_per_s:
                    return 200, {"error": -32, "message": "Request exceeds limit"}
            problem = _invalid_message(body)
            if problem:
                return 200, {"error": -201, "message": f"Parameters are invalid: {problem}"}
            user_id = body["recipient"]["user_id"]
            if user_id in st.window_users:
                return 200, {"error": -230, "message": "User has not interacted with the OA in the past 7 days"}
            message = body["message"]
            buttons = ((message.get("attachment") or {}).get("payload") or {}).get("buttons") or []
            st.received.append(Received(user_id, message["text"], buttons, token, time.time()))
            message_id = f"{next(self._ids):032x}"
        return 200, {"error": 0, "message": "Success", "data": {"message_id": message_id, "user_id": user_id}}

    def _refresh(self, secret_key: str, form: dict[str, str]) -> tuple[int, dict[str, Any]]:
        with self.lock:
            st = self.state
            st.refresh_calls.append(dict(form))
            if secret_key != st.app_secret or form.get("app_id") != st.app_id:
                return 200, {"error": -14001, "error_name": "Invalid app", "error_description": "app_id or secret_key"}
            if form.get("grant_type") != "refresh_token" or form.get("refresh_token") != st.refresh_token:
                return 200, {"error": -14014, "error_name": "Invalid refresh token"}
            n = len(st.refresh_calls)
            # Single use: the old refresh token and the old access token stop working now.
            st.access_token = f"access-{n}-{time.time_ns()}"
            st.refresh_token = f"refresh-{n}-{time.time_ns()}"
            return 200, {"access_token": st.access_token, "refresh_token": st.refresh_token, "expires_in": "90000"}

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        standin = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: Any) -> None:  # keep test output quiet
                return

            def _reply(self, status: int, payload: dict[str, Any]) -> None:
                data = json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_POST(self) -> None:  # noqa: N802 (http.server naming)
                length = int(self.headers.get("Content-Length", "0"))
                raw = self.rfile.read(length)
                if self.path == "/v3.0/oa/message/cs":
                    if standin.state.send_delay_s:
                        time.sleep(standin.state.send_delay_s)
                    try:
                        body = json.loads(raw)
                    except ValueError:
                        self._reply(200, {"error": -201, "message": "body is not JSON"})
                        return
                    self._reply(*standin._send(self.headers.get("access_token", ""), body))
                elif self.path == "/v4/oa/access_token":
                    form = {k: v[0] for k, v in parse_qs(raw.decode()).items()}
                    self._reply(*standin._refresh(self.headers.get("secret_key", ""), form))
                else:
                    self._reply(404, {"error": 404, "message": "not found"})

        return Handler


_ERROR_MESSAGES = {-32: "Request exceeds limit", -216: "Access token is invalid", -230: "Outside reply window"}


def _invalid_message(body: Any) -> str:
    if not isinstance(body, dict):
        return "body"
    recipient = body.get("recipient") or {}
    if not isinstance(recipient.get("user_id"), str) or not recipient["user_id"]:
        return "recipient.user_id must be a non-empty string"
    message = body.get("message") or {}
    text = message.get("text")
    if not isinstance(text, str) or not text or len(text) > MAX_TEXT:
        return "message.text must be 1..2000 characters"
    attachment = message.get("attachment")
    if attachment is not None:
        if attachment.get("type") != "template":
            return "attachment.type"
        buttons = (attachment.get("payload") or {}).get("buttons")
        if not isinstance(buttons, list) or not 1 <= len(buttons) <= MAX_BUTTONS:
            return "buttons: 1..5"
        for button in buttons:
            if button.get("type") not in BUTTON_TYPES or not button.get("title"):
                return "button type/title"
    return ""
