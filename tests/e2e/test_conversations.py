"""Whole conversations through POST /api/chat against the running processes, on the project's sample
catalog and on the full national catalog (where many procedures share words).

Expectations are read from the catalog in use and from the reference one-stop service's demo dossiers,
never written out as answers.
"""
from __future__ import annotations

import json
import time
import unicodedata
import uuid
from pathlib import Path

import httpx
import pytest

from api.answers.topic import content_syllables, load_topic_rules
from api.db import Database
from api.handoff.store import HandoffStore
from procedure_index.catalog import load_catalogs
from procedure_index.vntext import syllables
from tests.e2e.conftest import ROOT, SHARED_CATALOG, start_assistant, stop_assistant

pytestmark = pytest.mark.processes

MARRIAGE = "1.000894"
BIRTH = "1.001193"
DEMO_DOSSIERS = json.loads((ROOT / "onestop_reference" / "demo_dossiers.json").read_text(encoding="utf-8"))["dossiers"]


@pytest.fixture(scope="module", params=["sample", "full"])
def bot(request, tmp_path_factory):
    if request.param == "full":
        if not SHARED_CATALOG.exists():
            pytest.skip("../shared/data/catalog/procedures.jsonl is not beside the repository")
        catalog = [SHARED_CATALOG]
    else:
        catalog = [ROOT / "sample_data" / "catalog"]
    data_dir = tmp_path_factory.mktemp(f"conv-{request.param}")
    running = start_assistant(data_dir, CATALOG=",".join(str(p) for p in catalog))
    running.catalog = {p.code: p for p in load_catalogs(catalog).procedures}
    running.data_dir = data_dir
    yield running
    stop_assistant(running)


class Conversation:
    def __init__(self, bot):
        self.bot = bot
        self.sender = f"e2e-{uuid.uuid4().hex[:10]}"
        self.last: list[dict] = []

    def say(self, text: str) -> str:
        self.last = self.bot.chat(self.sender, text)
        return unicodedata.normalize("NFC", "\n".join(m["text"] for m in self.last))

    @property
    def buttons(self) -> list[dict]:
        return [b for m in self.last for b in m["buttons"]]

    def choose(self, code: str) -> str | None:
        """Press the candidate button for `code` when the bot offered a choice, as a citizen would."""
        for button in self.buttons:
            if code in button["payload"] or code in button["title"]:
                return self.say(button["payload"])
        return None


def ask_about(conv: Conversation, question: str, code: str) -> str:
    text = conv.say(question)
    if code not in text:
        chosen = conv.choose(code)
        assert chosen is not None, f"{code} neither answered nor offered for {question!r}: {text}\n{conv.buttons}"
        text = chosen
    assert code in text
    return text


def test_follow_up_questions_stay_on_the_remembered_procedure(bot):
    record = bot.catalog[MARRIAGE]
    conv = Conversation(bot)
    ask_about(conv, "Đăng ký kết hôn cần gì?", MARRIAGE)

    fee = conv.say("Lệ phí bao nhiêu?")
    assert MARRIAGE in fee and "lệ phí" in fee.lower()
    official_fees = {c["fee"] for c in record.channels if c["fee"]}
    assert any(f in fee for f in official_fees), f"the fee comes from the catalog: {official_fees} / {fee}"

    online = conv.say("Nộp online được không?")
    assert MARRIAGE in online and "trực tuyến" in online.lower()
    assert record.source_url in online


def test_naming_another_procedure_switches_topic(bot):
    conv = Conversation(bot)
    ask_about(conv, "Đăng ký kết hôn cần gì?", MARRIAGE)
    switched = ask_about(conv, "thế còn làm giấy khai sinh cho con thì mất bao lâu?", BIRTH)
    assert MARRIAGE not in switched
    fee = conv.say("le phi bao nhieu")
    assert BIRTH in fee and MARRIAGE not in fee


def test_ambiguous_question_offers_at_most_three_choices_that_work(bot):
    rules = load_topic_rules()
    candidates = ["cấp lại giấy", "giấy chứng nhận", "đăng ký", "xác nhận", "cấp giấy phép", "thay đổi thông tin"]
    for question in candidates:
        if content_syllables(question, rules) != syllables(question):
            continue  # the answer path retries such a question without its aspect words ("giấy"): another search
        resp = httpx.get(f"{bot.url}/api/procedures/search", params={"q": question, "k": 3}, timeout=10).json()
        if resp["verdict"] == "ambiguous":
            break
    else:
        pytest.skip("no candidate question is ambiguous for this catalog's search")
    conv = Conversation(bot)
    conv.say(question)
    buttons = conv.buttons
    assert 1 <= len(buttons) <= 3, conv.last
    picked = buttons[0]
    code = next(c for c in bot.catalog if c in picked["payload"])
    answer = conv.say(picked["payload"])
    assert code in answer and bot.catalog[code].source_url in answer


def test_fallback_twice_then_an_officer_and_never_the_same_loop(bot):
    conv = Conversation(bot)
    first = conv.say("qưerty zxcv asdf")
    second = conv.say("lkjh poiu mnbv")
    assert first != second, "the second misunderstanding must not repeat the first fallback"
    assert "ví dụ" in first.lower()
    assert "cán bộ" in second.lower() or "đường dây nóng" in second.lower()
    assert any("request_human" in b["payload"] for b in conv.buttons) or "đường dây nóng" in second.lower()


def test_asking_for_an_officer_waits_for_one_and_the_bot_goes_quiet_when_held(bot):
    conv = Conversation(bot)
    reply = conv.say("cho tôi nói chuyện với cán bộ")
    assert "cán bộ" in reply.lower() or "đường dây nóng" in reply.lower()
    store = HandoffStore(Database(bot.data_dir / "assistant.sqlite3"), time.time)
    assert store.state(conv.sender) == "waiting_officer"
    store.take_over(conv.sender, "officer-1")
    assert bot.chat(conv.sender, "Alo, có ai không?") == []
    store.release(conv.sender)
    assert bot.chat(conv.sender, "Đăng ký kết hôn cần gì?") != []


def _dossier(status: str) -> dict:
    return next(d for d in DEMO_DOSSIERS if str(d["TrangThaiHoSo"]) == status)


def test_dossier_lookup_needs_the_right_digits_and_masks_the_applicant(bot):
    dossier = _dossier("5")  # asked for more documents
    digits = dossier["SoDienThoai"][-4:]
    wrong = f"{(int(digits) + 1) % 10000:04d}"
    conv = Conversation(bot)
    asked_code = conv.say("tra cứu hồ sơ")
    assert "mã hồ sơ" in asked_code.lower()
    asked_digits = conv.say(dossier["MaHoSo"])
    assert "4 số cuối" in asked_digits.lower() or "4 chữ số cuối" in asked_digits.lower()

    refused = conv.say(wrong)
    assert "chưa khớp" in refused.lower()
    assert dossier["ChuHoSo"].split()[-1] not in refused

    answer = conv.say(digits)
    assert dossier["MaHoSo"] in answer
    assert "bổ sung" in answer.lower()
    family, *others = dossier["ChuHoSo"].split()
    assert family in answer and dossier["ChuHoSo"] not in answer
    assert dossier["SoDienThoai"][-9:] not in answer and digits not in answer


def test_dossier_not_found_and_upstream_down_are_told_as_such(bot):
    conv = Conversation(bot)
    conv.say("tra cuu ho so")
    conv.say("000.00.31.H56-991231-9999")
    not_found = conv.say("1234")
    assert "không có hồ sơ" in not_found.lower()

    conv = Conversation(bot)
    conv.say(f"tra cứu hồ sơ 999.99.99.T99-000000-0002")
    down = conv.say("1234")
    assert "chưa kết nối được" in down.lower() or "thử lại sau" in down.lower()


def test_logs_of_every_part_hold_no_personal_data(bot):
    """Runs after the dossier conversations above: names and phone numbers never reach a log."""
    logs = "\n".join(p.read_text(errors="replace") for p in (bot.data_dir / "logs").glob("*.log"))
    assert "dossier" in logs.lower() or "hồ sơ" in logs.lower(), "the logs cover the lookups made above"
    for dossier in DEMO_DOSSIERS:
        assert dossier["ChuHoSo"] not in logs
        assert dossier["SoDienThoai"][-9:] not in logs
