"""The internal API the action server uses is closed to anyone without the shared token."""
from __future__ import annotations

import httpx
import pytest

from api.main import create_app
from api.settings import Settings
from tests.support.servers import UvicornThread

INTERNAL_CALLS = [
    ("/api/dossiers/lookup", {"sender": "s", "code": "000.00.31.H56-261120-0001", "phone_last4": "0101"}),
    ("/api/handoff", {"sender": "s", "reason": "test", "phone": None, "consent": False}),
    ("/api/answer", {"sender": "s", "question": "đăng ký kết hôn", "aspect": "fee", "procedure_code": None, "part": 1}),
]


@pytest.fixture()
def app_url(tmp_path):
    settings = Settings(data_dir=tmp_path, internal_api_token="s3cret-token", dossier_api_url="http://127.0.0.1:9/x")
    with UvicornThread(create_app(settings)) as server:
        yield server.url


@pytest.mark.parametrize("path, body", INTERNAL_CALLS)
def test_internal_calls_without_the_token_are_refused(app_url, path, body):
    for headers in ({}, {"X-Internal-Token": "guess"}):
        resp = httpx.post(f"{app_url}{path}", json=body, headers=headers, timeout=10)
        assert resp.status_code == 401, (path, resp.text)


def test_the_token_opens_the_internal_api(app_url):
    resp = httpx.post(f"{app_url}/api/handoff", json=INTERNAL_CALLS[1][1],
                      headers={"X-Internal-Token": "s3cret-token"}, timeout=10)
    assert resp.status_code == 200
    assert resp.json()["message"]


def test_public_endpoints_need_no_token(app_url):
    assert httpx.post(f"{app_url}/api/chat", json={"sender": "s", "message": ""}, timeout=10).status_code == 422
    assert httpx.get(f"{app_url}/", timeout=10).status_code == 200
