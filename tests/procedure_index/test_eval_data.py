"""Checks the hand-labelled evaluation sets in procedure_index/eval_data/.

The search benchmarks trust these labels, so a malformed line, a duplicated question or a code that is not
in the catalog would silently distort recall figures. The catalog check reads the shared catalog beside the
repository and is skipped (with the reason) when it is not there.
"""
from __future__ import annotations

import json
import re
import unicodedata
from collections import Counter
from pathlib import Path

import pytest

from tests.support.shared_data import shared_source_tags

REPO_ROOT = Path(__file__).resolve().parents[2]
EVAL_DIR = REPO_ROOT / "procedure_index" / "eval_data"
SHARED = REPO_ROOT.parent / "shared"
CATALOG_FILE = SHARED / "data" / "catalog" / "procedures.jsonl"
DEV_FILE = SHARED / "data" / "questions" / "dev.jsonl"

FIELDS = {"id", "question", "codes", "kind", "confidence", "aspect", "note", "split"}
CONFIDENCES = {"high", "medium", "low"}
ASPECTS = {"documents", "fee", "duration", "place", "steps", "eligibility", "result", "online", "general"}
SPLITS = {"calibration", "test"}
CODE_PATTERN = re.compile(r"^\d\.\d{6}$")
# Sector is the middle part of the id, e.g. "q-hotich-012" -> "hotich".
ID_PATTERN = re.compile(r"^(q|oos)-([a-z]+)-(\d{3})$")


def load_jsonl(path: Path) -> list[dict]:
    with path.open(encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


def has_letters(text: str) -> bool:
    return any(unicodedata.category(ch).startswith("L") for ch in text)


def is_typed_without_diacritics(text: str) -> bool:
    """True when every letter is plain ASCII (đ counts as a diacritic letter)."""
    return has_letters(text) and all(ord(ch) < 128 for ch in text if unicodedata.category(ch).startswith("L"))


def normalised(question: str) -> str:
    return " ".join(unicodedata.normalize("NFC", question).lower().split())


def sector_of(record: dict) -> str:
    return ID_PATTERN.match(record["id"]).group(2)


@pytest.fixture(scope="module")
def in_scope() -> list[dict]:
    return load_jsonl(EVAL_DIR / "questions.jsonl")


@pytest.fixture(scope="module")
def out_of_scope() -> list[dict]:
    return load_jsonl(EVAL_DIR / "out_of_scope.jsonl")


@pytest.fixture(scope="module")
def catalog_codes() -> set[str]:
    if not CATALOG_FILE.exists():
        pytest.skip(f"shared catalog not found at {CATALOG_FILE}; clone ../shared beside the repository")
    return {record["code"] for record in load_jsonl(CATALOG_FILE)}


def test_every_line_has_exactly_the_fields_and_valid_values(in_scope, out_of_scope):
    for record in in_scope + out_of_scope:
        assert set(record) == FIELDS, record["id"]
        assert ID_PATTERN.match(record["id"]), record["id"]
        assert isinstance(record["question"], str) and record["question"].strip(), record["id"]
        assert record["question"] == unicodedata.normalize("NFC", record["question"]), record["id"]
        assert isinstance(record["codes"], list), record["id"]
        assert record["confidence"] in CONFIDENCES, record["id"]
        assert record["aspect"] in ASPECTS, record["id"]
        assert record["split"] in SPLITS, record["id"]
        assert isinstance(record["note"], str) and record["note"].strip(), record["id"]


def test_in_scope_questions_are_labelled_procedures(in_scope):
    assert len(in_scope) >= 300
    for record in in_scope:
        assert record["id"].startswith("q-"), record["id"]
        assert record["kind"] == "procedure", record["id"]
        assert record["codes"], record["id"]
        assert all(CODE_PATTERN.match(code) for code in record["codes"]), record["id"]
        assert len(set(record["codes"])) == len(record["codes"]), f"repeated code in {record['id']}"


def test_out_of_scope_questions_have_no_codes(out_of_scope):
    assert len(out_of_scope) >= 100
    kinds = Counter(record["kind"] for record in out_of_scope)
    assert set(kinds) == {"not_in_catalog", "chitchat"}
    for record in out_of_scope:
        assert record["id"].startswith("oos-"), record["id"]
        assert record["codes"] == [], record["id"]


def test_half_of_in_scope_questions_are_typed_without_diacritics(in_scope):
    plain = sum(is_typed_without_diacritics(record["question"]) for record in in_scope)
    assert abs(plain - len(in_scope) / 2) <= 2, f"{plain} of {len(in_scope)} typed without diacritics"


def test_about_half_of_out_of_scope_text_is_typed_without_diacritics(out_of_scope):
    # Emoji, digits and punctuation have no letters, so they count on neither side.
    worded = [record for record in out_of_scope if has_letters(record["question"])]
    plain = sum(is_typed_without_diacritics(record["question"]) for record in worded)
    assert 0.4 <= plain / len(worded) <= 0.6, f"{plain} of {len(worded)} typed without diacritics"


def test_ids_are_unique_across_both_files(in_scope, out_of_scope):
    ids = Counter(record["id"] for record in in_scope + out_of_scope)
    assert [i for i, n in ids.items() if n > 1] == []


def test_no_question_appears_twice(in_scope, out_of_scope):
    questions = Counter(normalised(record["question"]) for record in in_scope + out_of_scope)
    assert [q for q, n in questions.items() if n > 1] == []


def test_split_is_about_forty_percent_calibration_in_every_sector(in_scope, out_of_scope):
    for records in (in_scope, out_of_scope):
        calibration = sum(record["split"] == "calibration" for record in records)
        assert 0.3 <= calibration / len(records) <= 0.5
        by_sector: dict[str, Counter] = {}
        for record in records:
            by_sector.setdefault(sector_of(record), Counter())[record["split"]] += 1
        for sector, splits in by_sector.items():
            if sum(splits.values()) >= 5:
                assert splits["calibration"] and splits["test"], f"sector {sector} is not stratified: {splits}"


def test_common_sectors_are_covered(in_scope):
    sectors = Counter(sector_of(record) for record in in_scope)
    for sector in ("hotich", "cutru", "chungthuc", "cancuoc", "datdai", "xaydung", "hokinhdoanh",
                   "doanhnghiep", "baotroxahoi", "lylichtuphap", "gplx", "hochieu", "baohiem"):
        assert sectors[sector] >= 10, f"only {sectors[sector]} questions for {sector}"


def test_every_code_exists_in_the_shared_catalog(in_scope, catalog_codes):
    unknown = {record["id"]: code for record in in_scope for code in record["codes"] if code not in catalog_codes}
    assert unknown == {}


def test_questions_are_not_copied_from_the_shared_dev_set(in_scope, out_of_scope):
    if not DEV_FILE.exists():
        pytest.skip(f"shared dev questions not found at {DEV_FILE}")
    dev = {normalised(record["question"]) for record in load_jsonl(DEV_FILE)}
    copied = [record["id"] for record in in_scope + out_of_scope if normalised(record["question"]) in dev]
    assert copied == []


def test_files_carry_no_source_tags_of_the_shared_data():
    tags = shared_source_tags()
    if not tags:
        pytest.skip("the shared catalog is not beside the repository")
    for path in EVAL_DIR.glob("*"):
        text = path.read_text(encoding="utf-8")
        assert not [tag for tag in tags if tag in text], path.name
