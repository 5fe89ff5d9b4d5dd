"""How a question is read before matching: restoration when typed (mostly) without diacritics, and chat
filler removed except where it is part of a phrase procedure names use."""
from procedure_index import vntext
from procedure_index.analysis import analyze_query, document_terms, name_phrases, query_filler
from procedure_index.config import load_search_config
from procedure_index.lexical import LexicalIndex
from procedure_index.restore import RestorationModel

NAMES = [
    "Cấp bản sao văn bằng, chứng chỉ từ sổ gốc",
    "Cấp bản sao trích lục hộ tịch",
    "Chứng thực bản sao từ bản chính",
    "Chứng thực hợp đồng tặng cho quyền sử dụng đất",
    "Đăng ký thế chấp quyền sử dụng đất",
    "Cấp giấy phép cho người nước ngoài",
    "Cấp thẻ cho người lao động",
    "Cấp giấy phép lái xe cho người khuyết tật",
    "Trợ cấp cho người cao tuổi",
    "Tách hộ",
]


def _name_index() -> LexicalIndex:
    documents = ({"name": document_terms(vntext.normalize_tokens(n))} for n in NAMES)
    return LexicalIndex.build(documents, ["name"], k1=1.2, b=0.75)


def _filler(phrases=()):
    return query_filler(load_search_config()["query"], phrases)


def test_a_filler_word_that_names_use_as_a_phrase_is_kept_there_only():
    index = _name_index()
    phrases = name_phrases(index.vocab, index.fields["name"], _filler().words, min_names=2, min_share=0.3)
    # "sao" is filler ("làm sao"), but every name holding it says "bản sao"; "cho" follows "tặng" in all
    # the names holding "tặng"; "cho người" is in 4 of 5 names with "cho" but 4 of 4 with "người", so
    # it is a phrase too; "thế chấp" is in one name only (fewer than min_names).
    assert ("bản", "sao") in phrases and ("cho", "người") in phrases
    assert ("thế", "chấp") not in phrases
    filler = _filler(phrases)
    assert filler.remove(vntext.syllables("xin bản sao bằng đại học")) == ["xin", "bản", "sao", "bằng", "đại", "học"]
    assert filler.remove(vntext.syllables("sao tôi chưa nhận được bằng")) == ["chưa", "nhận", "được", "bằng"]
    # without the phrases, the filler word goes wherever it is
    assert "sao" not in _filler().remove(vntext.syllables("xin bản sao bằng đại học"))


def test_a_question_typed_mostly_without_diacritics_is_restored_despite_one_marked_syllable():
    restorer = RestorationModel.train([vntext.syllables(s) for s in ["Tách hộ", "Thủ tục tách hộ cần giấy tờ gì"]])
    filler = _filler()
    share = load_search_config()["query"]["restore_below_accented_share"]
    mostly_plain = analyze_query("tach ho can nhung gi ạ", restorer, filler, share)
    assert mostly_plain.restored and mostly_plain.tokens[:2] == ["tách", "hộ"]
    # typed with diacritics (even with a few plain syllables): left as typed
    typed = analyze_query("tách hộ cho con", restorer, filler, share)
    assert not typed.restored and typed.tokens[:2] == ["tách", "hộ"]


def test_filler_words_are_compared_as_spelt():
    # "bạn", "vậy", "mà", "đã" are filler; "ban" (ủy ban), "vay" (borrow), "ma" (ma túy), "da" (da cam) are not
    filler = _filler()
    assert filler.remove(vntext.syllables("ủy ban nhân dân xã")) == ["ủy", "ban", "nhân", "dân", "xã"]
    assert filler.remove(vntext.syllables("vay vốn nhà ở xã hội vậy")) == ["vay", "vốn", "nhà", "xã", "hội"]
    assert filler.remove(vntext.syllables("cai nghiện ma túy mà bạn")) == ["cai", "nghiện", "ma", "túy"]
