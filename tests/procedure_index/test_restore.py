from procedure_index import vntext
from procedure_index.analysis import training_sentences
from procedure_index.catalog import load_catalogs
from procedure_index.restore import RestorationModel, syllable_accuracy

TRAINING = [
    "Thủ tục đăng ký khai sinh cho trẻ em",
    "Người đi đăng ký khai sinh nộp tờ khai đăng ký khai sinh",
    "Thủ tục đăng ký kết hôn tại Ủy ban nhân dân cấp xã",
    "Giấy chứng nhận quyền sử dụng đất bị mất",
    "Cấp lại giấy chứng nhận quyền sử dụng đất",
    "Đăng ký thường trú cho con",
    "Hồ sơ gồm tờ khai và giấy tờ chứng minh chỗ ở hợp pháp",
]


def test_restores_diacritics_from_context():
    model = RestorationModel.train([vntext.syllables(s) for s in TRAINING])
    assert model.restore("dang ky khai sinh cho tre em") == "đăng ký khai sinh cho trẻ em"
    assert model.restore("cap lai giay chung nhan quyen su dung dat") == "cấp lại giấy chứng nhận quyền sử dụng đất"


def test_keeps_typed_diacritics_and_unknown_syllables():
    model = RestorationModel.train([vntext.syllables(s) for s in TRAINING])
    assert model.restore_tokens(["đăng", "ky", "xyz"]) == ["đăng", "ký", "xyz"]


def test_save_and_load(tmp_path):
    model = RestorationModel.train([vntext.syllables(s) for s in TRAINING])
    model.save(tmp_path / "m.pkl")
    assert RestorationModel.load(tmp_path / "m.pkl").restore("dang ky ket hon") == "đăng ký kết hôn"


def test_accuracy_on_held_out_catalog_sentences(shared_catalog):
    """Train on most of the catalog's records and restore sentences from records never seen in training."""
    procedures = [p for p in load_catalogs([shared_catalog / "procedures.jsonl"]).procedures if p.detail == "full"]
    train = [s for i, p in enumerate(procedures[:1500]) if i % 10 for s in training_sentences(p)]
    held_out = [s for i, p in enumerate(procedures[:1500]) if i % 10 == 0 for s in training_sentences(p)][:400]
    model = RestorationModel.train(train)
    accuracy, syllables = syllable_accuracy(model, held_out)
    assert syllables > 2000
    assert accuracy > 0.85
