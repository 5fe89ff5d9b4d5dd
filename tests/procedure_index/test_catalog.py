import json
import shutil

from procedure_index.catalog import load_catalogs

from pi_fixtures import FIXTURE_RECORDS, record, write_jsonl


def test_good_records_are_kept(fixture_catalog):
    report = load_catalogs([fixture_catalog])
    assert report.read == report.kept == len(FIXTURE_RECORDS)
    assert report.rejected == []
    birth = next(p for p in report.procedures if p.code == "1.001193")
    assert birth.name == "Thủ tục đăng ký khai sinh"
    assert birth.detail == "full"
    assert birth.to_dict()["channels"][0]["method"] == "direct"


def test_bad_records_are_reported_with_file_line_and_field(tmp_path):
    lines = [
        json.dumps(record("1.000001", "Thủ tục tốt", "Hộ tịch"), ensure_ascii=False),
        "{not json",
        json.dumps(record("abc", "Mã hỏng", "Hộ tịch"), ensure_ascii=False),
        json.dumps(record("1.000002", "   ", "Hộ tịch"), ensure_ascii=False),
        json.dumps(record("1.000003", "Cấp sai", "Hộ tịch", levels=["Cấp thôn"]), ensure_ascii=False),
        json.dumps(record("1.000004", "Kênh sai", "Hộ tịch",
                          channels=[{"method": "fax", "duration": None, "fee": None, "note": None}]), ensure_ascii=False),
        json.dumps(record("1.000001", "Trùng mã", "Hộ tịch"), ensure_ascii=False),
        json.dumps(record("1.000005", "Sai kiểu", "Hộ tịch", agencies="UBND xã"), ensure_ascii=False),
    ]
    path = tmp_path / "bad.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    report = load_catalogs([path])
    assert report.read == 8
    assert report.kept == 1
    assert [p.code for p in report.procedures] == ["1.000001"]
    found = {(line, field) for file, line, field, reason in report.rejected}
    assert found == {(2, "<json>"), (3, "code"), (4, "name"), (5, "levels"), (6, "channels"), (7, "code"),
                     (8, "agencies")}
    assert all(file == str(path) for file, *_ in report.rejected)
    summary = report.summary()
    assert "read 8, kept 1, merged 0, rejected 7" in summary
    assert f"{path}:5: field 'levels'" in summary


def test_missing_path_is_reported_not_raised(tmp_path):
    report = load_catalogs([tmp_path / "nope.jsonl"])
    assert report.procedures == [] and report.rejected[0].field == "<file>"


def test_later_catalog_overrides_and_extends_earlier(tmp_path):
    national = write_jsonl(tmp_path / "national.jsonl", [record("1.000001", "Thủ tục A", "Hộ tịch", documents="Giấy cũ")])
    province = tmp_path / "province"
    province.mkdir()
    write_jsonl(province / "tn.jsonl", [
        record("1.000001", "Thủ tục A", "Hộ tịch", documents=None, results="Kết quả mới"),
        record("2.000001", "Thủ tục riêng của tỉnh", "Hộ tịch", province="Tỉnh Thái Nguyên"),
    ])
    report = load_catalogs([national, province])
    assert (report.read, report.kept, report.merged) == (3, 3, 1)
    merged = {p.code: p for p in report.procedures}
    assert merged["1.000001"].documents == "Giấy cũ"  # an empty field does not erase
    assert merged["1.000001"].results == "Kết quả mới"
    assert merged["2.000001"].province == "Tỉnh Thái Nguyên"


def test_portal_api_json_is_imported(shared_catalog, tmp_path):
    portal = tmp_path / "portal"
    portal.mkdir()
    for code in ("2.000513.json", "1.000080.json"):
        shutil.copy(shared_catalog / "portal-api" / code, portal / code)
    (portal / "broken.json").write_text('{"code": "OK", "data": null}', encoding="utf-8")
    report = load_catalogs([portal])
    assert report.read == 3 and report.kept == 2
    assert report.rejected[0].file.endswith("broken.json") and report.rejected[0].field == "data"
    record_ = next(p for p in report.procedures if p.code == "2.000513")
    assert record_.name == "Thủ tục đăng ký lại kết hôn có yếu tố nước ngoài"
    assert record_.field == "Hộ tịch"
    assert record_.levels == ["Cấp xã"]
    assert record_.issuing_body == "Bộ Tư pháp"
    assert record_.decision == "163/QĐ-BTP"
    assert {c["method"] for c in record_.channels} == {"online", "direct", "postal"}
    assert record_.results == "Giấy chứng nhận kết hôn"
    assert record_.document_items and record_.documents
    assert record_.legal_basis[0]["code"] == "04/2024/TT-BTP"
    assert record_.source_url.startswith("https://dichvucong.gov.vn/thu-tuc-hanh-chinh/")
    assert record_.detail == "full"


def test_full_shared_catalog_with_portal_api_on_top(shared_catalog):
    report = load_catalogs([shared_catalog / "procedures.jsonl", shared_catalog / "portal-api"])
    assert report.read == 5772 + 502
    assert report.merged == 502
    assert len(report.procedures) + len(report.rejected) == 5772
