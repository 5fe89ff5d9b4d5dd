"""The answer composer (api/answers/) and POST /api/answer, on real catalog records and a real lexical index.

The shared catalog (../shared/data/catalog, beside the repository) is read at run time; a subset of it
(civil status, residence, household business, passports, roads) is indexed once per session.
"""
from __future__ import annotations

import json
import re
from pathlib import Path

import httpx
import pytest
import yaml
from fastapi import FastAPI

from api.answers.composer import ASPECTS, compose_answer, display_name, load_replies, paginate
from api.answers.service import AnswerRequest, answer_question
from api.answers.topic import content_syllables, decide_procedure, load_topic_rules, named_aspect
from api.deps import SearchNotReady
from api.routers.answers import build_router
from procedure_index.catalog import Procedure, load_catalogs, validate_record
from tests.support.servers import UvicornThread

REPO_ROOT = Path(__file__).resolve().parents[2]
SHARED_CATALOG = (REPO_ROOT / ".." / "shared" / "data" / "catalog" / "procedures.jsonl").resolve()
SUBSET_FIELDS = {"Hộ tịch", "Đăng ký, quản lý cư trú", "Thành lập và hoạt động doanh nghiệp (hộ kinh doanh)",
                 "Quản lý xuất nhập cảnh", "Đường bộ"}
SOURCE = "Nguồn: Cơ sở dữ liệu quốc gia về thủ tục hành chính"
MARRIAGE, BIRTH = "1.000894", "1.001193"
REPLIES = load_replies()

needs_catalog = pytest.mark.skipif(not SHARED_CATALOG.exists(), reason="../shared/data/catalog is not beside the repo")


@pytest.fixture(scope="session")
def catalog() -> dict[str, Procedure]:
    if not SHARED_CATALOG.exists():
        pytest.skip("../shared/data/catalog is not beside the repository")
    return {p.code: p for p in load_catalogs([SHARED_CATALOG]).procedures}


@pytest.fixture(scope="session")
def search(tmp_path_factory):
    """A real lexical ProcedureSearch over a few hundred shared-catalog records."""
    if not SHARED_CATALOG.exists():
        pytest.skip("../shared/data/catalog is not beside the repository")
    from procedure_index.build import build_index
    from procedure_index.search import ProcedureSearch

    subset = tmp_path_factory.mktemp("catalog") / "subset.jsonl"
    with open(SHARED_CATALOG, encoding="utf-8") as src, open(subset, "w", encoding="utf-8") as out:
        for line in src:
            if json.loads(line)["field"] in SUBSET_FIELDS:
                out.write(line)
    index = tmp_path_factory.mktemp("index")
    build_index([subset], index, embedding_model="none")
    return ProcedureSearch.load(index, embedding_model="none")


def bare(code: str = "9.999999", **fields) -> Procedure:
    """A record that lacks most fields, as summary-only catalog entries do."""
    base = {"code": code, "name": "Thủ tục thử nghiệm", "field": None, "levels": [], "issuing_body": None,
            "agencies": [], "decision": None, "kind": None, "subjects": [], "channels": [], "steps": None,
            "documents": None, "document_items": [], "requirements": None, "results": None, "legal_basis": [],
            "online_level": None, "detail": "summary", "province": None, "status": None, "source_url": None,
            "source": "test"}
    base.update(fields)
    return validate_record(base)


def text_of(procedure: Procedure, aspect: str, part: int = 1) -> str:
    return compose_answer(procedure, aspect, part).messages[0].text


# --- replies.yml ---------------------------------------------------------------------------------

def test_every_aspect_has_its_texts_and_says_when_the_catalog_lacks_it():
    data = yaml.safe_load((REPO_ROOT / "api" / "answers" / "replies.yml").read_text(encoding="utf-8"))
    assert set(data["aspects"]) == set(ASPECTS)
    for aspect, texts in data["aspects"].items():
        assert "{title}" in texts["intro"], aspect
        if aspect != "general":
            assert texts["missing"].startswith("Danh mục chưa có thông tin"), aspect
    assert data["limits"]["max_chars"] <= 1000


# --- composer on real records --------------------------------------------------------------------

@needs_catalog
@pytest.mark.parametrize("aspect", ASPECTS)
def test_each_reply_names_the_procedure_and_code_and_links_the_source(catalog, aspect):
    procedure = catalog[MARRIAGE]
    text = text_of(procedure, aspect)
    assert "đăng ký kết hôn (mã 1.000894)" in text
    assert f"{SOURCE} – {procedure.source_url}" in text
    assert len(text) <= REPLIES.max_chars


@needs_catalog
def test_fee_comes_from_the_catalog_channels(catalog):
    text = text_of(catalog[MARRIAGE], "fee")
    assert "Nộp trực tuyến, nộp trực tiếp, nộp qua bưu chính: Miễn phí" in text
    assert "Thông tư số 281/2016/TT-BTC" in text  # the catalog's own note


@needs_catalog
def test_money_and_durations_in_replies_all_appear_in_the_record(catalog):
    """Never invent a fee or a time: every amount / number of days shown is in the record's channels."""
    checked = 0
    for procedure in list(catalog.values())[:1500]:
        source = json.dumps(procedure.channels, ensure_ascii=False) + procedure.name
        for aspect in ("general", "fee", "duration", "online"):
            text = text_of(procedure, aspect)
            for amount in re.findall(r"\d[\d.]*\s*(?:đồng|ngày|Ngày)", text):
                assert amount in source, (procedure.code, aspect, amount)
                checked += 1
    assert checked > 500


def test_missing_fields_are_said_honestly_not_invented():
    procedure = bare()
    for aspect, phrase in [("fee", "lệ phí"), ("duration", "thời hạn giải quyết"), ("documents", "thành phần hồ sơ"),
                           ("steps", "trình tự"), ("eligibility", "điều kiện"), ("result", "kết quả"),
                           ("place", "cơ quan thực hiện"), ("online", "việc nộp trực tuyến")]:
        text = text_of(procedure, aspect)
        assert text.startswith(f"Danh mục chưa có thông tin về {phrase}"), (aspect, text)
        assert "thử nghiệm (mã 9.999999)" in text
        assert text.endswith(SOURCE + ".")
    general = text_of(procedure, "general")
    assert "- Lệ phí: chưa có thông tin" in general and "- Thời hạn giải quyết: chưa có thông tin" in general


def test_fee_per_channel_when_they_differ():
    procedure = bare(channels=[
        {"method": "direct", "duration": "5 Ngày làm việc", "fee": "50.000 đồng", "note": None},
        {"method": "online", "duration": "5 Ngày làm việc", "fee": "25.000 đồng", "note": None}])
    text = text_of(procedure, "fee")
    assert "- Nộp trực tuyến: 25.000 đồng\n- Nộp trực tiếp: 50.000 đồng" in text
    assert "- Nộp trực tuyến, nộp trực tiếp: 5 Ngày làm việc" in text_of(procedure, "duration")


def test_online_reply_gives_the_level_and_the_online_channel():
    procedure = bare(online_level="full", source_url="https://dichvucong.gov.vn/p/1",
                     channels=[{"method": "online", "duration": "3 Ngày làm việc", "fee": "Miễn phí", "note": None}])
    text = text_of(procedure, "online")
    assert "toàn trình" in text and "thời hạn 3 Ngày làm việc; lệ phí Miễn phí" in text
    assert "https://dichvucong.gov.vn/p/1" in text
    offline = text_of(bare(channels=[{"method": "direct", "duration": None, "fee": None, "note": None}]), "online")
    assert "không ghi cách nộp trực tuyến" in offline


@needs_catalog
def test_long_document_list_comes_in_parts_that_cover_every_item(catalog):
    procedure = catalog[MARRIAGE]
    first = compose_answer(procedure, "documents", 1)
    assert first.has_more and first.parts > 1
    assert f"(phần 1/{first.parts})" in first.messages[0].text
    assert 'Anh/Chị nhắn "xem tiếp" để xem phần còn lại.' in first.messages[0].text
    bullets = []
    for part in range(1, first.parts + 1):
        answer = compose_answer(procedure, "documents", part)
        text = answer.messages[0].text
        assert len(text) <= REPLIES.max_chars
        assert answer.has_more == (part < first.parts) and ("xem tiếp" in text) == answer.has_more
        bullets += [line for line in text.split("\n") if line.startswith("- ")]
    assert len(bullets) == len(procedure.document_items)
    beyond = compose_answer(procedure, "documents", first.parts + 1)
    assert not beyond.has_more and "đã xem hết phần hồ sơ" in beyond.messages[0].text


def test_paginate_respects_count_and_budget():
    parts = paginate([f"giấy tờ số {i}" for i in range(14)], per_part=6, budget=1000, item_max=100)
    assert [len(p) for p in parts] == [6, 6, 2]
    parts = paginate(["x" * 90] * 5, per_part=6, budget=200, item_max=100)
    assert [len(p) for p in parts] == [2, 2, 1]


def test_display_name_drops_the_leading_thu_tuc():
    assert display_name("Thủ tục đăng ký kết hôn") == "đăng ký kết hôn"
    assert display_name("Đăng ký khai sinh") == "đăng ký khai sinh"
    assert display_name("UBND cấp xã chứng thực") == "UBND cấp xã chứng thực"


@pytest.mark.full_catalog
@needs_catalog
def test_every_reply_in_the_catalog_fits_names_the_code_and_ends_with_the_source(catalog):
    """All aspects and all parts of all records: within the limit, "(mã <code>)" in the first line, the source
    last, and no part of a document list ending on a dangling group heading."""
    for procedure in catalog.values():
        for aspect in ASPECTS:
            parts = compose_answer(procedure, aspect, 1).parts
            for part in range(1, parts + 1):
                lines = text_of(procedure, aspect, part).split("\n")
                assert len("\n".join(lines)) <= REPLIES.max_chars, (procedure.code, aspect, part)
                assert f"(mã {procedure.code})" in lines[0] and lines[-1].startswith(SOURCE), (procedure.code, aspect)
                body = [line for line in lines[1:-1] if not line.startswith("Anh/Chị nhắn")]
                if aspect == "documents" and body:
                    assert body[-1].startswith("- ") or not body[-1].endswith(":"), (procedure.code, part)


def test_document_groups_become_headings_that_do_not_count_as_items():
    items = [{"name": f"Giấy {i}", "quantity": "1 bản chính", "group": "Giấy tờ phải nộp" if i < 3 else "Lưu ý"}
             for i in range(6)]
    text = text_of(bare(document_items=items), "documents")
    assert "Giấy tờ phải nộp:\n- Giấy 0 (1 bản chính)" in text and "Lưu ý:\n- Giấy 3 (1 bản chính)" in text
    assert compose_answer(bare(document_items=items), "documents").parts == 1


def test_a_very_long_official_name_is_shortened_but_keeps_the_code():
    text = text_of(bare(name="Thủ tục " + "rất dài " * 100), "fee")
    assert len(text.split("\n")[0]) < 300 and "rất… (mã 9.999999)" in text


# --- topic: remembered procedure, switch, ambiguity ----------------------------------------------

def test_aspect_only_questions_name_nothing():
    rules = load_topic_rules()
    for question in ["Lệ phí bao nhiêu?", "Nộp online được không?", "le phi bao nhieu", "Mất bao lâu ạ?",
                     "Cần mang theo giấy tờ gì?", "xem tiếp", "Nhận kết quả ở đâu?"]:
        assert content_syllables(question, rules) == [], question
    assert content_syllables("Còn đăng ký khai sinh thì sao?", rules) == ["đăng", "ký", "khai", "sinh"]


def test_a_bare_syllable_in_an_accented_question_is_read_as_written():
    """"con" (child) in "nhận con nuôi" is not "còn" (still): folded matching is for questions typed
    without diacritics, not for the bare syllables every accented question has."""
    rules = load_topic_rules()
    assert "con" in content_syllables("Nhận con nuôi cần gì?", rules)
    assert content_syllables("nhan con nuoi can gi", rules) == ["nuoi"]  # typed bare: "con" may be "còn"
    assert content_syllables("le phi bao nhieu", rules) == []


def test_aspect_words_inside_a_procedure_name_phrase_are_kept(search):
    """"nhận" (receive) and "mất" (take time) are aspect words, but not inside "giấy chứng nhận" or
    "bị mất": the catalog's names say which neighbours make a phrase."""
    rules = load_topic_rules()
    glued = search.is_name_phrase
    assert content_syllables("giấy chứng nhận", rules) == ["giấy", "chứng"]
    assert content_syllables("giấy chứng nhận", rules, glued) == ["giấy", "chứng", "nhận"]
    assert content_syllables("giay chung nhan", rules, glued) == ["giay", "chung", "nhan"]
    assert content_syllables("hộ chiếu bị mất thì làm sao", rules, glued)[:4] == ["hộ", "chiếu", "bị", "mất"]
    for question in ["Nhận kết quả ở đâu?", "Lệ phí bao nhiêu?", "Mất bao lâu ạ?", "nhan ket qua o dau"]:
        assert content_syllables(question, rules, glued) == [], question


def test_follow_ups_stay_on_the_remembered_procedure(search):
    for question in ["Lệ phí bao nhiêu?", "Nộp online được không?", "Mất bao lâu?", ""]:
        decision = decide_procedure(search, question, MARRIAGE)
        assert (decision.verdict, decision.procedure.code, decision.switched) == ("confident", MARRIAGE, False)


def test_naming_another_procedure_switches(search):
    decision = decide_procedure(search, "thủ tục đăng ký khai sinh mất bao lâu", MARRIAGE)
    assert (decision.verdict, decision.procedure.code, decision.switched) == ("confident", BIRTH, True)


def test_aspect_question_without_a_remembered_procedure_is_not_guessed(search):
    assert decide_procedure(search, "Lệ phí bao nhiêu?", None).verdict == "none"
    assert decide_procedure(search, "asdf qwer", None).verdict == "none"


# Broad on purpose: words shared by many procedure names ("đăng ký", "giấy phép") are ambiguous by nature.
AMBIGUOUS_TRIES = ["mở hộ kinh doanh", "cấp lại hộ chiếu", "giấy khai sinh", "làm giấy khai sinh thế nào", "đăng ký",
                   "giấy phép"]


def test_ambiguous_question_offers_at_most_three_candidates(search):
    """The search's own verdict decides ambiguity; take the first question it finds ambiguous."""
    rules = load_topic_rules()
    question = next((q for q in AMBIGUOUS_TRIES if search.search(q).verdict == "ambiguous"
                     and search.search(" ".join(content_syllables(q, rules))).verdict == "ambiguous"), None)
    assert question is not None, "none of the questions is ambiguous for the search any more"
    top = search.search(question).results[0].code
    body = answer_question(search, AnswerRequest("s", question, "general"))
    assert body["verdict"] == "ambiguous" and body["procedure"] is None
    buttons = body["messages"][0]["buttons"]
    assert 1 < len(buttons) <= 3
    assert buttons[0]["payload"] == '/ask_procedure{"procedure_code":"' + top + '"}'
    assert all(len(b["title"]) <= 60 for b in buttons)
    assert [c["code"] for c in body["candidates"]][:1] == [top]


# --- POST /api/answer over HTTP ------------------------------------------------------------------

@pytest.fixture(scope="module")
def api(search):
    app = FastAPI()
    app.include_router(build_router(lambda: search))
    with UvicornThread(app) as server, httpx.Client(base_url=server.url, timeout=30) as client:
        yield client


def ask(api, question: str, aspect: str, code: str | None = None, part: int = 1) -> dict:
    resp = api.post("/api/answer", json={"sender": "web:t1", "question": question, "aspect": aspect,
                                         "procedure_code": code, "part": part})
    assert resp.status_code == 200, resp.text
    return resp.json()


def test_marriage_conversation_over_http(api):
    """The issue's example: three questions, one procedure remembered by the caller."""
    first = ask(api, "Đăng ký kết hôn cần gì?", "documents")
    assert first["verdict"] == "confident" and first["procedure"]["code"] == MARRIAGE and first["has_more"]
    fee = ask(api, "Lệ phí bao nhiêu?", "fee", MARRIAGE)
    assert fee["procedure"]["code"] == MARRIAGE and "Miễn phí" in fee["messages"][0]["text"]
    online = ask(api, "Nộp online được không?", "online", MARRIAGE)
    assert online["procedure"]["code"] == MARRIAGE and "một phần" in online["messages"][0]["text"]
    more = ask(api, "", "documents", MARRIAGE, part=2)
    assert more["part"] == 2 and "(phần 2/" in more["messages"][0]["text"]
    switched = ask(api, "thủ tục đăng ký khai sinh mất bao lâu", "duration", MARRIAGE, part=3)
    assert switched["procedure"]["code"] == BIRTH and switched["switched"] and switched["part"] == 1


def test_bad_requests_are_refused(api):
    assert api.post("/api/answer", json={"question": "x", "aspect": "weather"}).status_code == 422
    assert api.post("/api/answer", json={"question": "x", "part": 0}).status_code == 422


def test_index_not_ready_is_503():
    def not_ready():
        raise SearchNotReady("no index")

    app = FastAPI()
    app.include_router(build_router(not_ready))
    with UvicornThread(app) as server:
        resp = httpx.post(f"{server.url}/api/answer", json={"question": "khai sinh"}, timeout=10)
    assert resp.status_code == 503


@needs_catalog
def test_more_after_a_short_answer_says_everything_was_sent(catalog):
    answer = compose_answer(catalog[MARRIAGE], "fee", 2)
    assert not answer.has_more
    assert answer.messages[0].text.startswith("Anh/Chị đã xem hết phần lệ phí của thủ tục đăng ký kết hôn (mã 1.000894).")


def test_follow_up_with_filler_words_still_switches(search):
    decision = decide_procedure(search, "thế còn đăng ký khai sinh mất bao lâu", MARRIAGE)
    assert decision.switched and decision.procedure.code == BIRTH


# --- a "general" question that names one aspect (the NLU could not tell which) ---------------------

def test_named_aspect_is_read_with_or_without_diacritics():
    rules = load_topic_rules()
    cases = {
        "thế còn làm giấy khai sinh cho con thì mất bao lâu?": "duration",
        "the con lam giay khai sinh cho con thi mat bao lau": "duration",
        "đăng ký kết hôn lệ phí thế nào": "fee", "dang ky ket hon le phi the nao": "fee",
        "cấp hộ chiếu nộp ở đâu": "place", "cap ho chieu nop o dau": "place",
        "đăng ký tạm trú cần giấy tờ gì": "documents", "dang ky tam tru can giay to gi": "documents",
        "khai sinh làm online được không": "online",
        "Đăng ký kết hôn cần gì?": "documents",
        "đăng ký kết hôn": None,                       # names no aspect: the overview
        "lệ phí và thời gian giải quyết kết hôn": None,  # two aspects: the overview covers both
    }
    for question, aspect in cases.items():
        assert named_aspect(question, rules) == aspect, question


def test_general_request_that_names_an_aspect_answers_that_aspect(search):
    body = answer_question(search, AnswerRequest("s", "thế còn làm giấy khai sinh cho con thì mất bao lâu?",
                                                 "general", MARRIAGE))
    assert body["verdict"] == "confident" and body["procedure"]["code"] == BIRTH and body["switched"]
    assert body["aspect"] == "duration"
    assert body["messages"][0]["text"].startswith("Thời hạn giải quyết thủ tục")
    overview = answer_question(search, AnswerRequest("s", "đăng ký kết hôn", "general"))
    assert overview["aspect"] == "general" and overview["messages"][0]["buttons"]


def test_an_explicit_aspect_is_not_overridden_by_the_question(search):
    body = answer_question(search, AnswerRequest("s", "lệ phí đăng ký kết hôn bao lâu thì có", "fee"))
    assert body["aspect"] == "fee" and body["messages"][0]["text"].startswith("Lệ phí")


def test_answer_over_http_says_which_aspect_it_answered(api):
    body = ask(api, "dang ky ket hon mat bao lau", "general")
    assert body["procedure"]["code"] == MARRIAGE and body["aspect"] == "duration"
