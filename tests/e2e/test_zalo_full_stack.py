"""A citizen on Zalo, through the whole assistant (app + Rasa + actions), against the Zalo OA stand-in.

The channel's own tests (tests/zalo) cover signatures, retries, tokens and the queue with a Rasa stand-in;
this one checks that real answers reach Zalo from the real processes.
"""
from __future__ import annotations

import json

import httpx
import pytest

from api.zalo.signature import HEADER, compute_signature
from tests.e2e.conftest import start_assistant, stop_assistant
from tests.zalo.harness import APP_ID, APP_SECRET, OA_SECRET, follow_event, text_event, wait_for
from tests.zalo.standin import ZaloStandIn

pytestmark = pytest.mark.processes
BIRTH = "1.001193"


@pytest.fixture(scope="module")
def zalo_stack(tmp_path_factory):
    zalo = ZaloStandIn(APP_ID, APP_SECRET, access_token="at-1", refresh_token="rt-1").start()
    running = start_assistant(
        tmp_path_factory.mktemp("zalo-full"),
        ZALO_APP_ID=APP_ID, ZALO_OA_SECRET_KEY=OA_SECRET, ZALO_APP_SECRET=APP_SECRET,
        ZALO_ACCESS_TOKEN="at-1", ZALO_REFRESH_TOKEN="rt-1",
        ZALO_API_BASE=zalo.url, ZALO_OAUTH_BASE=zalo.url,
    )
    yield running, zalo
    stop_assistant(running)
    zalo.stop()


def post_signed(url: str, body: dict, signature: str | None = None) -> httpx.Response:
    raw = json.dumps(body, ensure_ascii=False).encode()
    mac = signature or compute_signature(APP_ID, raw, str(body["timestamp"]), OA_SECRET)
    return httpx.post(f"{url}/webhooks/zalo", content=raw, headers={"Content-Type": "application/json", HEADER: mac},
                      timeout=10)


def test_a_question_on_zalo_gets_the_catalog_answer_once(zalo_stack):
    running, zalo = zalo_stack
    user = "8123456789012345678"  # Zalo ids are strings larger than 2**53
    event = text_event(user, "lam giay khai sinh cho con can giay to gi")
    assert post_signed(running.url, event).status_code == 200
    assert post_signed(running.url, event).status_code == 200  # Zalo's retry of the same msg_id
    assert wait_for(lambda: any(BIRTH in r.text for r in zalo.received(user)), timeout_s=60)
    wait_for(lambda: False, timeout_s=2)  # give a duplicate answer the time to show up, if there were one
    answers = [r for r in zalo.received(user) if BIRTH in r.text]
    assert len({r.text for r in answers}) == len(answers), "the retried delivery was answered once"
    assert all(len(r.text) <= 2000 for r in zalo.received(user))


def test_bad_signature_is_refused_and_nothing_is_sent(zalo_stack):
    running, zalo = zalo_stack
    user = "8123456789012345679"
    resp = post_signed(running.url, text_event(user, "xin chào"), signature="mac=" + "0" * 64)
    assert resp.status_code == 401
    wait_for(lambda: False, timeout_s=2)
    assert zalo.received(user) == []


def test_follow_gets_a_welcome_with_a_menu(zalo_stack):
    running, zalo = zalo_stack
    user = "8123456789012345680"
    assert post_signed(running.url, follow_event(user)).status_code == 200
    assert wait_for(lambda: len(zalo.received(user)) > 0, timeout_s=30)
    assert any(r.buttons for r in zalo.received(user))
