import json

from procedure_index.build import build_index
from procedure_index.search import ProcedureSearch
from pi_fixtures import FIXTURE_RECORDS, record, write_jsonl


def test_rebuild_with_nothing_changed_does_nothing(fixture_catalog, tmp_path):
    out = tmp_path / "index"
    first = build_index([fixture_catalog], out, embedding_model="none")
    assert not first.unchanged and first.procedures == len(FIXTURE_RECORDS)
    stamp = (out / "lexical_name.npz").stat().st_mtime_ns
    again = build_index([fixture_catalog], out, embedding_model="none")
    assert again.unchanged
    assert (out / "lexical_name.npz").stat().st_mtime_ns == stamp


def test_changed_catalog_is_rebuilt(tmp_path):
    catalog = write_jsonl(tmp_path / "c.jsonl", FIXTURE_RECORDS)
    out = tmp_path / "index"
    build_index([catalog], out, embedding_model="none")
    write_jsonl(catalog, FIXTURE_RECORDS + [record("1.009999", "Đăng ký nuôi con nuôi trong nước", "Nuôi con nuôi")])
    report = build_index([catalog], out, embedding_model="none")
    assert not report.unchanged and report.procedures == len(FIXTURE_RECORDS) + 1
    assert ProcedureSearch.load(out).search("xin nhận con nuôi").results[0].code == "1.009999"


def test_manifest_and_groups(lexical_index):
    manifest = json.loads((lexical_index / "manifest.json").read_text())
    assert manifest["embedding_model"] == "none"
    assert manifest["report"]["procedures"] == len(FIXTURE_RECORDS)
    assert manifest["report"]["groups"] == len(FIXTURE_RECORDS) - 2  # three same-name variants, one group
