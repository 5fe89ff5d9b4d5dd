"""Checks the project's own sample catalog (sample_data/catalog/*.jsonl).

Two groups of checks:
- format: every record follows ../shared/data/catalog/SCHEMA.md, describes the two-level local government in
  force since 1 July 2025, and carries our own provenance tag;
- facts: every record agrees with the official national catalog (code, name, fee and duration per channel,
  source page) and its prose is written in our own words, not pasted from the portal.
The fact checks read the shared official catalog at run time and are skipped when it is absent.
"""
from __future__ import annotations

import json
import re
import unicodedata
from collections import defaultdict
from pathlib import Path
from typing import Any

import pytest

from tests.support.shared_data import shared_source_tags

REPO_ROOT = Path(__file__).resolve().parents[2]
SAMPLE_DIR = REPO_ROOT / "sample_data" / "catalog"
OFFICIAL_CATALOG = REPO_ROOT.parent / "shared" / "data" / "catalog" / "procedures.jsonl"

MIN_PROCEDURES = 150
COPY_NGRAM_WORDS = 12  # a run of this many words identical to the portal text counts as copied
PORTAL_PREFIX = "https://dichvucong.gov.vn/"

LEVELS = {"Cấp bộ", "Cấp tỉnh", "Cấp xã", "Cơ quan khác"}  # "Cấp huyện" is gone since 1 July 2025
METHODS = {"online", "direct", "postal"}
ONLINE_LEVELS = {"full", "partial", None}
DETAILS = {"full", "summary"}

# field -> accepted types; a list field is checked element by element below
STR, OPT_STR, STR_LIST, OBJ_LIST = "str", "optional str", "list of str", "list of objects"
SCHEMA: dict[str, str] = {
    "code": STR, "name": STR, "field": OPT_STR, "levels": STR_LIST, "issuing_body": OPT_STR,
    "agencies": STR_LIST, "decision": OPT_STR, "kind": OPT_STR, "subjects": STR_LIST,
    "channels": OBJ_LIST, "steps": OPT_STR, "documents": OPT_STR, "document_items": OBJ_LIST,
    "requirements": OPT_STR, "results": OPT_STR, "legal_basis": OBJ_LIST, "online_level": OPT_STR,
    "detail": STR, "province": OPT_STR, "status": OPT_STR, "source_url": OPT_STR, "source": STR,
}
OBJECT_SCHEMAS: dict[str, dict[str, str]] = {
    "channels": {"method": STR, "duration": OPT_STR, "fee": OPT_STR, "note": OPT_STR},
    "document_items": {"name": STR, "quantity": OPT_STR, "group": OPT_STR},
    "legal_basis": {"code": OPT_STR, "title": STR},
}
PROSE_FIELDS = ("steps", "documents", "requirements", "results")
# Prose we summarise in our own words. `results` is left out: it names the official result document
# ("Quyết định cho nhập quốc tịch Việt Nam của Chủ tịch nước"), which a summary must not rename.
OWN_WORDS_FIELDS = ("steps", "documents", "requirements")
# Official names of institutions and systems count as one word in the copy check: any summary has to
# name them, and at 5-8 words each they would otherwise fill most of a 12-word run on their own.
PROPER_NAMES = (
    "cơ sở dữ liệu quốc gia về dân cư", "cơ sở dữ liệu hộ tịch điện tử", "cơ sở dữ liệu về cư trú",
    "cơ sở dữ liệu căn cước", "trung tâm phục vụ hành chính công", "cổng dịch vụ công quốc gia",
    "cổng dịch vụ công bộ công an", "ủy ban nhân dân cấp xã", "ủy ban nhân dân cấp tỉnh",
    "ứng dụng định danh quốc gia", "văn phòng đăng ký đất đai",
    "phòng cảnh sát quản lý hành chính về trật tự xã hội",
)


# ------------------------------------------------------------------------------------------------
# loading


def sample_files() -> list[Path]:
    return sorted(SAMPLE_DIR.glob("*.jsonl"))


def read_lines(path: Path) -> list[tuple[int, str]]:
    text = path.read_text(encoding="utf-8")
    return [(n, line) for n, line in enumerate(text.splitlines(), start=1) if line.strip()]


def load_sample_records() -> list[tuple[str, dict[str, Any]]]:
    """(where, record) for every parseable record; `where` is 'file:line' for messages."""
    records = []
    for path in sample_files():
        for n, line in read_lines(path):
            try:
                record = json.loads(line)
            except json.JSONDecodeError:
                continue  # reported by test_every_line_is_a_json_object
            if isinstance(record, dict):
                records.append((f"{path.name}:{n}", record))
    return records


def load_official() -> dict[str, dict[str, Any]]:
    by_code = {}
    with OFFICIAL_CATALOG.open(encoding="utf-8") as f:
        for line in f:
            if line.strip():
                record = json.loads(line)
                by_code[record["code"]] = record
    return by_code


@pytest.fixture(scope="module")
def records() -> list[tuple[str, dict[str, Any]]]:
    loaded = load_sample_records()
    assert loaded, f"no records found in {SAMPLE_DIR}/*.jsonl"
    return loaded


@pytest.fixture(scope="module")
def official() -> dict[str, dict[str, Any]]:
    if not OFFICIAL_CATALOG.is_file():
        pytest.skip(f"official catalog not found at {OFFICIAL_CATALOG}: fact checks need ../shared beside the repo")
    return load_official()


def report(problems: list[str], limit: int = 40) -> str:
    shown = "\n".join(problems[:limit])
    more = f"\n... and {len(problems) - limit} more" if len(problems) > limit else ""
    return f"{len(problems)} problem(s):\n{shown}{more}"


# ------------------------------------------------------------------------------------------------
# text helpers


def squash_spaces(value: str | None) -> str | None:
    return None if value is None else " ".join(unicodedata.normalize("NFC", value).split())


def words(text: str) -> list[str]:
    lowered = " ".join(re.findall(r"\w+", unicodedata.normalize("NFC", text).lower()))
    for name in PROPER_NAMES:
        lowered = re.sub(rf"\b{name}\b", name.replace(" ", "_"), lowered)
    return lowered.split()


def sentences(text: str) -> list[str]:
    # Lines, sentences and bracketed asides are separate units, so a run never spans e.g. "(1 bản chính)\n- ...".
    return re.split(r"[\n.;:()\[\]]+", unicodedata.normalize("NFC", text))


def ngrams(tokens: list[str], n: int) -> set[tuple[str, ...]]:
    return {tuple(tokens[i : i + n]) for i in range(len(tokens) - n + 1)}


def name_core(name: str) -> list[str]:
    tokens = words(name)
    return tokens[2:] if tokens[:2] == ["thủ", "tục"] else tokens


def cut_out(tokens: list[str], phrase: list[str]) -> list[list[str]]:
    """Split `tokens` wherever the whole `phrase` occurs, dropping the phrase."""
    if not phrase:
        return [tokens]
    pieces, start, i = [], 0, 0
    while i <= len(tokens) - len(phrase):
        if tokens[i : i + len(phrase)] == phrase:
            pieces.append(tokens[start:i])
            i = start = i + len(phrase)
        else:
            i += 1
    pieces.append(tokens[start:])
    return pieces


def sentence_ngrams(text: str, n: int, allowed: list[str] = ()) -> set[tuple[str, ...]]:
    return {
        gram
        for sentence in sentences(text)
        for piece in cut_out(words(sentence), list(allowed))
        for gram in ngrams(piece, n)
    }


def official_prose(record: dict[str, Any]) -> str:
    parts = [record.get(f) or "" for f in PROSE_FIELDS]
    parts += [item.get("name") or "" for item in record.get("document_items") or []]
    return "\n".join(parts)


def copied_runs(ours: str, theirs: str, allowed: str = "", n: int = COPY_NGRAM_WORDS) -> list[str]:
    """Runs of n words found in the same sentence of both texts. The official procedure name (`allowed`)
    is cut out first: forms and results are named after it ("Trích lục thay đổi, cải chính, ..."),
    which is naming, not copying."""
    core = name_core(allowed)
    shared = sentence_ngrams(ours, n, core) & sentence_ngrams(theirs, n, core)
    return sorted(" ".join(gram) for gram in shared)


def all_strings(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, list):
        return [s for item in value for s in all_strings(item)]
    if isinstance(value, dict):
        return [s for item in value.values() for s in all_strings(item)]
    return []


# ------------------------------------------------------------------------------------------------
# format checks


def type_problems(value: Any, kind: str) -> str | None:
    if kind == STR and not (isinstance(value, str) and value.strip()):
        return "must be a non-empty string"
    if kind == OPT_STR and not (value is None or isinstance(value, str)):
        return "must be a string or null"
    if kind == STR_LIST and not (isinstance(value, list) and all(isinstance(v, str) and v.strip() for v in value)):
        return "must be a list of non-empty strings"
    if kind == OBJ_LIST and not (isinstance(value, list) and all(isinstance(v, dict) for v in value)):
        return "must be a list of objects"
    return None


def schema_problems(record: dict[str, Any]) -> list[str]:
    problems = [f"missing field {f!r}" for f in SCHEMA if f not in record]
    problems += [f"unknown field {f!r}" for f in record if f not in SCHEMA]
    for field, kind in SCHEMA.items():
        if field in record and (why := type_problems(record[field], kind)):
            problems.append(f"{field} {why}")
    for field, item_schema in OBJECT_SCHEMAS.items():
        items = record.get(field)
        if not isinstance(items, list):
            continue
        for i, item in enumerate(items):
            if not isinstance(item, dict):
                continue
            if set(item) != set(item_schema):
                problems.append(f"{field}[{i}] keys {sorted(item)} != {sorted(item_schema)}")
            for key, kind in item_schema.items():
                if key in item and (why := type_problems(item[key], kind)):
                    problems.append(f"{field}[{i}].{key} {why}")
    return problems


def value_problems(record: dict[str, Any]) -> list[str]:
    problems = []
    if bad := [lv for lv in record.get("levels") or [] if lv not in LEVELS]:
        problems.append(f"levels {bad} not in {sorted(LEVELS)}")
    for ch in record.get("channels") or []:
        if isinstance(ch, dict) and ch.get("method") not in METHODS:
            problems.append(f"channel method {ch.get('method')!r} not in {sorted(METHODS)}")
    if record.get("online_level") not in ONLINE_LEVELS:
        problems.append(f"online_level {record.get('online_level')!r}")
    if record.get("detail") not in DETAILS:
        problems.append(f"detail {record.get('detail')!r}")
    if record.get("detail") == "full" and not (record.get("steps") or record.get("documents")):
        problems.append("detail is 'full' but steps and documents are both empty")
    return problems


def test_sample_folder_has_files() -> None:
    assert sample_files(), f"no *.jsonl in {SAMPLE_DIR}"


@pytest.mark.parametrize("path", sample_files(), ids=lambda p: p.name)
def test_every_line_is_a_json_object(path: Path) -> None:
    problems = []
    for n, line in read_lines(path):
        try:
            value = json.loads(line)
        except json.JSONDecodeError as exc:
            problems.append(f"{path.name}:{n}: invalid JSON ({exc})")
            continue
        if not isinstance(value, dict):
            problems.append(f"{path.name}:{n}: not a JSON object")
    assert not problems, report(problems)


@pytest.mark.parametrize("path", sample_files(), ids=lambda p: p.name)
def test_file_is_utf8_nfc(path: Path) -> None:
    text = path.read_bytes().decode("utf-8")
    bad = [n for n, line in enumerate(text.splitlines(), 1) if unicodedata.normalize("NFC", line) != line]
    assert not bad, f"{path.name}: lines not in Unicode NFC: {bad[:20]}"


def test_every_record_follows_the_schema(records) -> None:
    problems = [f"{where}: {p}" for where, r in records for p in schema_problems(r) + value_problems(r)]
    assert not problems, report(problems)


def test_codes_are_unique_across_files(records) -> None:
    seen: dict[str, list[str]] = defaultdict(list)
    for where, record in records:
        seen[str(record.get("code"))].append(where)
    duplicates = [f"{code}: {places}" for code, places in seen.items() if len(places) > 1]
    assert not duplicates, report(duplicates)


def test_describes_two_level_government(records) -> None:
    problems = []
    for where, record in records:
        if "Cấp huyện" in (record.get("levels") or []):
            problems.append(f"{where} {record.get('code')}: levels contain 'Cấp huyện'")
        for agency in record.get("agencies") or []:
            if "cấp huyện" in agency.lower():
                problems.append(f"{where} {record.get('code')}: agency {agency!r} names the district level")
    assert not problems, report(problems)


def test_provenance_is_our_own(records) -> None:
    problems = []
    for where, record in records:
        url = record.get("source_url")
        if not (isinstance(url, str) and url.startswith(PORTAL_PREFIX)):
            problems.append(f"{where} {record.get('code')}: source_url {url!r} is not a {PORTAL_PREFIX} page")
        tagged = [s for s in all_strings(record) if any(tag in s for tag in shared_source_tags())]
        if tagged:
            problems.append(f"{where} {record.get('code')}: carries a shared-data source tag: {tagged[:3]}")
    assert not problems, report(problems)


def test_catalog_covers_enough_procedures(records) -> None:
    # Fails until both halves of the sample catalog are written; kept as one plain assert on purpose.
    assert len(records) >= MIN_PROCEDURES, f"{len(records)} procedures, want at least {MIN_PROCEDURES}"


# ------------------------------------------------------------------------------------------------
# fact checks against the official national catalog


def channel_problems(ours: list[dict[str, Any]], theirs: list[dict[str, Any]]) -> list[str]:
    """Each of our channels must equal (fee and duration) an official channel of the same method."""
    problems = []
    for ch in ours:
        method = ch.get("method")
        candidates = [c for c in theirs if c.get("method") == method]
        if not candidates:
            problems.append(f"channel {method!r} does not exist in the official record")
            continue
        wanted = (squash_spaces(ch.get("fee")), squash_spaces(ch.get("duration")))
        offered = [(squash_spaces(c.get("fee")), squash_spaces(c.get("duration"))) for c in candidates]
        if wanted not in offered:
            problems.append(f"channel {method!r} fee/duration {wanted} not among official {offered}")
    return problems


def fact_problems(record: dict[str, Any], official_record: dict[str, Any]) -> list[str]:
    problems = []
    if squash_spaces(record.get("name")) != squash_spaces(official_record.get("name")):
        problems.append(f"name {record.get('name')!r} != official {official_record.get('name')!r}")
    if record.get("source_url") != official_record.get("source_url"):
        problems.append(f"source_url {record.get('source_url')!r} != official {official_record.get('source_url')!r}")
    problems += channel_problems(record.get("channels") or [], official_record.get("channels") or [])
    return problems


@pytest.mark.full_catalog
def test_codes_exist_in_official_catalog(records, official) -> None:
    missing = [f"{where}: {r.get('code')}" for where, r in records if r.get("code") not in official]
    assert not missing, report(missing)


@pytest.mark.full_catalog
def test_facts_match_official_catalog(records, official) -> None:
    problems = []
    for where, record in records:
        official_record = official.get(record.get("code"))
        if official_record is not None:  # unknown codes are reported by test_codes_exist_in_official_catalog
            problems += [f"{where} {record['code']}: {p}" for p in fact_problems(record, official_record)]
    assert not problems, report(problems)


@pytest.mark.full_catalog
def test_prose_is_written_in_our_own_words(records, official) -> None:
    problems = []
    for where, record in records:
        official_record = official.get(record.get("code"))
        if official_record is None:
            continue
        theirs = official_prose(official_record)
        for field in OWN_WORDS_FIELDS:
            if record.get(field) and (runs := copied_runs(record[field], theirs, official_record["name"])):
                problems.append(f"{where} {record['code']}: {field} copies the portal text: {runs[0]!r}")
    assert not problems, report(problems)


def test_copy_check_catches_a_pasted_sentence() -> None:
    # The own-words check must be able to fail: a pasted 12-word run is caught, a paraphrase is not.
    portal = "Người yêu cầu đăng ký khai sinh nộp hồ sơ tại Trung tâm Phục vụ hành chính công có thẩm quyền."
    pasted = "1. Người yêu cầu đăng ký khai sinh nộp hồ sơ tại Trung tâm Phục vụ hành chính công."
    paraphrase = "1. Anh/Chị nộp hồ sơ khai sinh ở bộ phận một cửa của UBND xã."
    assert copied_runs(pasted, portal)
    assert not copied_runs(paraphrase, portal)
    name = "Thủ tục thay đổi, cải chính, bổ sung thông tin hộ tịch, xác định lại dân tộc"
    result = "Trích lục thay đổi, cải chính, bổ sung thông tin hộ tịch, xác định lại dân tộc"
    assert copied_runs(result, result)
    assert not copied_runs(result, result, allowed=name)
    assert words("Tra cứu Cơ sở dữ liệu quốc gia về dân cư") == ["tra", "cứu", "cơ_sở_dữ_liệu_quốc_gia_về_dân_cư"]


def test_channel_check_catches_a_wrong_fee() -> None:
    official_channels = [{"method": "direct", "fee": "Miễn phí", "duration": "1 Ngày làm việc", "note": None}]
    right = [{"method": "direct", "fee": "Miễn  phí", "duration": "1 Ngày làm việc", "note": "khác"}]
    wrong = [{"method": "direct", "fee": "8.000 đồng", "duration": "1 Ngày làm việc", "note": None}]
    assert not channel_problems(right, official_channels)
    assert channel_problems(wrong, official_channels)
    assert channel_problems([{"method": "online", "fee": None, "duration": None, "note": None}], official_channels)
