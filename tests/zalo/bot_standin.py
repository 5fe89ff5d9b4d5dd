"""A Rasa stand-in for channel tests: a real HTTP server speaking Rasa's REST webhook format.

POST /webhooks/rest/webhook {"sender","message"} -> [{"recipient_id","text","buttons"?}], with fixed answers
that exercise the channel: buttons beyond Zalo's five, a reply longer than one Zalo message, button payloads.
"""
from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler
from typing import Any

from tests.support.servers import LoopbackServer

SOURCE = "Nguồn: Cơ sở dữ liệu quốc gia về thủ tục hành chính."


def long_answer() -> str:
    """About 4,600 characters: numbered lines of full sentences, like a procedure's document list."""
    lines = [
        f"{i}. Bản sao giấy tờ số {i} có chứng thực, nộp kèm tờ khai theo mẫu quy định tại Bộ phận Một cửa. "
        f"Anh/Chị lưu ý kiểm tra kỹ họ tên và ngày sinh trước khi nộp hồ sơ."
        for i in range(1, 31)
    ]
    return "Hồ sơ gồm các giấy tờ sau:\n" + "\n".join(lines) + "\n" + SOURCE


def answer(sender: str, text: str) -> list[dict[str, Any]]:
    if text == "nhiều lựa chọn":
        buttons = [{"title": f"Thủ tục số {i}", "payload": f'/chon{{"so":"{i}"}}'} for i in range(1, 8)]
        return [{"recipient_id": sender, "text": "Anh/Chị muốn hỏi thủ tục nào?", "buttons": buttons}]
    if text.startswith("/chon"):
        number = json.loads(text[len("/chon"):])["so"]
        return [{"recipient_id": sender, "text": f"Anh/Chị đã chọn thủ tục số {number}. {SOURCE}"}]
    if text == "hướng dẫn chi tiết":
        return [{"recipient_id": sender, "text": long_answer()}]
    if text == "liên kết":
        return [{
            "recipient_id": sender,
            "text": "Anh/Chị có thể nộp hồ sơ trực tuyến.",
            "buttons": [{"title": "Cổng Dịch vụ công", "payload": "https://dichvucong.gov.vn"}],
        }]
    return [{"recipient_id": sender, "text": f"Trả lời: {text}. {SOURCE}"}]


class BotStandIn(LoopbackServer):
    def __init__(self, delay_s: float = 0.0):
        self.delay_s = delay_s
        self.calls: list[tuple[str, str]] = []
        self.lock = threading.Lock()
        super().__init__()


    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        standin = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: Any) -> None:
                return

            def do_POST(self) -> None:  # noqa: N802
                raw = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                if self.path != "/webhooks/rest/webhook":
                    self.send_response(404)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                body = json.loads(raw)
                with standin.lock:
                    standin.calls.append((body["sender"], body["message"]))
                if standin.delay_s:
                    time.sleep(standin.delay_s)
                data = json.dumps(answer(body["sender"], body["message"]), ensure_ascii=False).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        return Handler
