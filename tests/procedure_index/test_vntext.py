import subprocess
import sys

from procedure_index import vntext


def test_nfc_and_case_folding():
    decomposed = "Đăng ky\u0301"  # "ký" typed as k + y + combining acute
    assert vntext.syllables(decomposed) == ["đăng", "ký"]
    assert vntext.syllables("ĐĂNG KÝ") == ["đăng", "ký"]


def test_both_tone_mark_placements_are_the_same():
    assert vntext.syllables("hoà") == vntext.syllables("hòa")
    assert vntext.syllables("thuý") == vntext.syllables("thúy")
    assert vntext.syllables("hoá đơn") == vntext.syllables("hóa đơn")
    assert vntext.syllables("khoẻ") == vntext.syllables("khỏe")


def test_tone_placement_keeps_words_with_marked_vowels_and_final_consonants():
    for word in ["hoàng", "thuyết", "người", "quyết", "giữ", "gì", "được", "khuỷu"]:
        assert vntext.normalize_tone_placement(word) == word


def test_fold_diacritics():
    assert vntext.fold_diacritics("Đường Hoàng Văn Thụ") == "Duong Hoang Van Thu"
    assert vntext.fold_diacritics("đăng ký") == "dang ky"


def test_aliases_expand_everyday_words_and_abbreviations():
    assert vntext.normalize_for_matching("Làm GKS ko?") == "dang ky khai sinh khong"
    assert "can cuoc" in vntext.normalize_for_matching("làm lại cccd")
    assert "can cuoc" in vntext.normalize_for_matching("mất CMND")
    assert "giay chung nhan quyen su dung dat" in vntext.normalize_for_matching("sổ đỏ")
    assert "giay chung nhan quyen su dung dat" in vntext.normalize_for_matching("so hong")
    assert "thuong tru" in vntext.normalize_for_matching("nhập hộ khẩu")
    assert "ket hon" in vntext.normalize_for_matching("lấy vợ")
    assert "ho chieu" in vntext.normalize_for_matching("làm passport")
    assert "giay phep xay dung" in vntext.normalize_for_matching("xin gpxd")
    assert vntext.normalize_for_matching("đc không") == "duoc khong"


def test_alias_typed_with_diacritics_must_match_exactly():
    # "sơ đồ" (a diagram) is not "sổ đỏ" even though both fold to "so do".
    assert vntext.normalize_for_matching("sơ đồ") == "so do"


def test_one_syllable_alias_with_diacritics_matches_only_as_typed():
    # "hông" is "không", but typed plain "hong" may be "hỏng" (broken): restoration decides from context
    assert vntext.normalize_for_matching("hông biết") == "khong biet"
    assert vntext.expand_all(["bi", "hu", "hong"]) == ["bi", "hu", "hong"]
    assert vntext.expand_all(["chung", "chi", "hanh", "nghe", "duoc"])[-1] == "duoc"  # may be "dược"
    # abbreviations list their plain form too
    assert vntext.normalize_for_matching("hdnd xa") == vntext.normalize_for_matching("hđnd xã")


def test_dk_is_dang_ky_unless_it_follows_du():
    assert vntext.normalize_for_matching("dk tạm trú") == "dang ky tam tru"
    assert vntext.normalize_for_matching("đk kết hôn") == "dang ky ket hon"
    assert vntext.normalize_for_matching("giay du dk san xuat") == "giay du dieu kien san xuat"


def test_alias_file_is_data(tmp_path):
    extra = tmp_path / "aliases.tsv"
    extra.write_text("# comment\nbhtn\tbảo hiểm thất nghiệp\n", encoding="utf-8")
    assert vntext.expand_aliases(["bhtn"], path=extra) == ["bảo", "hiểm", "thất", "nghiệp"]


def test_vntext_imports_only_the_standard_library():
    code = ("import sys; import procedure_index.vntext; "
            "bad = [m for m in ('numpy', 'yaml', 'scipy', 'faiss', 'torch') if m in sys.modules]; print(bad)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
