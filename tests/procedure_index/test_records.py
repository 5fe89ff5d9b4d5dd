import json

import pytest

from procedure_index.catalog import load_catalogs, validate_record
from procedure_index.records import RecordFile, RecordStore
from pi_fixtures import FIXTURE_RECORDS, record, write_jsonl


@pytest.fixture
def procedures():
    return [validate_record(r) for r in FIXTURE_RECORDS]


def test_store_gives_back_each_record_by_code_in_insertion_order(procedures):
    store = RecordStore(procedures)
    assert len(store) == len(procedures)
    assert list(store) == [p.code for p in procedures]
    for procedure in procedures:
        assert store[procedure.code] == procedure
        assert store.line(procedure.code) == json.dumps(procedure.to_dict(), ensure_ascii=False)
        assert store.summary(procedure.code).name == procedure.name
    assert "1.001193" in store and "9.999999" not in store
    assert store.get("9.999999") is None


def test_replaced_record_keeps_its_place(procedures):
    store = RecordStore(procedures)
    changed = validate_record({**FIXTURE_RECORDS[1], "results": "Giấy khai sinh mới", "province": "Tỉnh Thái Nguyên"})
    store[changed.code] = changed
    assert list(store) == [p.code for p in procedures]
    assert store[changed.code].results == "Giấy khai sinh mới"
    assert store.summary(changed.code).province == "Tỉnh Thái Nguyên"


def test_import_into_a_store_merges_as_the_plain_import(tmp_path):
    national = write_jsonl(tmp_path / "national.jsonl", [
        record("1.000001", "Thủ tục A", "Hộ tịch", documents="Giấy cũ"),
        record("1.000002", "Thủ tục B", "Hộ tịch"),
    ])
    province = write_jsonl(tmp_path / "province.jsonl", [
        record("1.000001", "Thủ tục A", "Hộ tịch", documents=None, results="Kết quả mới"),
        record("2.000001", "Thủ tục riêng của tỉnh", "Hộ tịch", province="Tỉnh Thái Nguyên"),
    ])
    plain = load_catalogs([national, province])
    store = RecordStore()
    stored = load_catalogs([national, province], store)
    assert list(stored.procedures) == plain.procedures
    assert stored.summary() == plain.summary()
    merged = store["1.000001"]
    assert (merged.documents, merged.results) == ("Giấy cũ", "Kết quả mới")
    assert list(store) == ["1.000001", "1.000002", "2.000001"]


def test_record_file_keeps_summaries_and_reads_full_records(tmp_path, procedures):
    path = tmp_path / "procedures.jsonl"
    path.write_text("".join(RecordStore(procedures).line(p.code) + "\n" for p in procedures), encoding="utf-8")
    records = RecordFile(path)
    assert len(records) == len(procedures)
    assert [s.code for s in records.summaries] == [p.code for p in procedures]
    birth = records.summaries[0]
    assert (birth.name, birth.levels, birth.detail) == ("Thủ tục đăng ký khai sinh", ["Cấp xã"], "full")
    assert not hasattr(birth, "documents")  # long text is read with get()
    for procedure in reversed(procedures):
        assert records.get(procedure.code) == procedure
    assert records.get("9.999999") is None


def test_record_file_reads_the_file_it_loaded_after_a_rebuild_replaces_it(tmp_path, procedures):
    path = tmp_path / "procedures.jsonl"
    path.write_text("".join(RecordStore(procedures).line(p.code) + "\n" for p in procedures), encoding="utf-8")
    records = RecordFile(path)
    rebuilt = tmp_path / "procedures.tmp"
    write_jsonl(rebuilt, [record("1.000001", "Thủ tục khác hẳn", "Hộ tịch")] + FIXTURE_RECORDS)
    rebuilt.replace(path)  # as the build writes it
    assert records.get("1.000894") == next(p for p in procedures if p.code == "1.000894")
