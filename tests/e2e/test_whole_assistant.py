"""The whole assistant, started as `make run` starts it: app + Rasa + action server + reference one-stop service.

No part is mocked: the question goes through the app to Rasa, whose custom action asks the app's search
over HTTP, and the reply comes back through the app.
"""
from __future__ import annotations

import json
import os
import signal
import socket
import time
import unicodedata

import httpx
import pytest

from procedure_index.vntext import fold_diacritics
from tests.e2e.conftest import ROOT, start_assistant, stop_assistant

pytestmark = pytest.mark.processes

BIRTH_CODE = "1.001193"
QUESTION = "Làm giấy khai sinh cho con cần những giấy tờ gì?"


def sample_record(code: str) -> dict:
    for path in sorted((ROOT / "sample_data" / "catalog").glob("*.jsonl")):
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.strip():
                record = json.loads(line)
                if record["code"] == code:
                    return record
    raise AssertionError(f"{code} is not in the sample catalog")


def joined(messages: list[dict]) -> str:
    return unicodedata.normalize("NFC", "\n".join(m["text"] for m in messages))


def test_healthz_is_ok_when_every_part_answers(assistant):
    resp = httpx.get(f"{assistant.url}/healthz", timeout=10)
    assert resp.status_code == 200
    assert resp.json()["status"] == "ok"


@pytest.mark.parametrize("question", [QUESTION, fold_diacritics(QUESTION)])
def test_birth_registration_question_is_answered_from_the_catalog(assistant, question):
    record = sample_record(BIRTH_CODE)
    text = joined(assistant.chat(f"e2e-birth-{hash(question)}", question))
    assert "đăng ký khai sinh" in text.lower()
    assert BIRTH_CODE in text
    assert record["source_url"] in text
    first_document = record["document_items"][0]["name"] if record["document_items"] else None
    assert first_document, "the sample record lists its documents"
    assert first_document.lower()[:40] in text.lower()


def test_procedure_search_api_answers(assistant):
    resp = httpx.get(f"{assistant.url}/api/procedures/search", params={"q": "gks cho con", "k": 3}, timeout=10)
    assert resp.status_code == 200
    body = resp.json()
    assert body["verdict"] in {"confident", "ambiguous", "none"}
    assert body["results"][0]["code"] == BIRTH_CODE
    record = httpx.get(f"{assistant.url}/api/procedures/{BIRTH_CODE}", timeout=10).json()
    assert record["code"] == BIRTH_CODE and record["source_url"]
    assert httpx.get(f"{assistant.url}/api/procedures/9.999999", timeout=10).status_code == 404


def _port_open(port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(0.5)
        return sock.connect_ex(("127.0.0.1", port)) == 0


def test_a_part_that_dies_stops_the_whole_group(tmp_path):
    """Supervision policy: one part dies -> the group is stopped and assistant-run exits non-zero."""
    running = start_assistant(tmp_path)
    try:
        pids = running.pids()
        assert {"app", "rasa", "actions"} <= set(pids)
        os.kill(pids["actions"], signal.SIGKILL)
        exit_code = running.process.wait(timeout=120)
    finally:
        stop_assistant(running)
    assert exit_code != 0
    assert any("actions exited" in line for line in running.output)
    time.sleep(1)
    assert not any(_port_open(p) for p in running.ports.values()), "every part is stopped"


def test_sigterm_stops_every_part(assistant):
    """Runs last in this module: it stops the module's assistant the way Ctrl-C / a service manager does."""
    running = assistant
    exit_code = stop_assistant(running)
    assert exit_code == 0
    time.sleep(1)
    assert not any(_port_open(p) for p in running.ports.values())
