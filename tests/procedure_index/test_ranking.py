"""What to do (new, reissue, exchange, modify, end) as ranking evidence, and the listwise ranker fit."""
import numpy as np
import pytest

from procedure_index import actions, vntext
from procedure_index.build import build_index
from procedure_index.calibration import POLICY_FEATURES, _ranking_samples, fit_ranking
from procedure_index.evaluation import Question
from procedure_index.search import RANKING_FEATURES, ProcedureSearch
from pi_fixtures import record, write_jsonl


@pytest.mark.parametrize("name, action", [
    ("Thủ tục đăng ký khai sinh", "new"),
    ("Cấp thẻ căn cước cho người từ đủ 14 tuổi trở lên", "new"),
    ("Cấp đổi thẻ căn cước", "exchange"),
    ("Cấp lại Giấy chứng nhận do bị mất", "reissue"),
    ("Đăng ký lại khai tử", "reissue"),
    ("Đính chính Giấy chứng nhận đã cấp", "modify"),
    ("Xóa đăng ký thường trú", "end"),
    ("Tách hộ", None),
])
def test_a_name_states_its_action_in_its_first_words(name, action):
    assert actions.name_action(name) == action


@pytest.mark.parametrize("question, expected", [
    ("làm căn cước lần đầu", {"new"}),
    ("lam can cuoc lan dau", {"new"}),
    ("mất sổ đỏ làm lại thế nào", {"reissue"}),
    ("sổ đỏ ghi sai tên chủ", {"modify"}),
    ("the can cuoc het han roi", {"exchange"}),
    ("làm căn cước cần mang gì", set()),
])
def test_question_cues_typed_with_or_without_diacritics(question, expected):
    assert actions.question_actions(vntext.expand_all(vntext.syllables(question))) == expected


IDENTITY_CODES = {"new": "1.014061", "exchange": "1.014063", "reissue": "1.014064", "modify": "1.014060"}


def _identity_index(tmp_path_factory, memory: list[dict]) -> ProcedureSearch:
    documents = "Tờ khai căn cước; giấy tờ chứng minh nơi cư trú."
    folder = tmp_path_factory.mktemp("identity")
    catalog = write_jsonl(folder / "c.jsonl", [
        record("1.014061", "Cấp thẻ căn cước cho người từ đủ 14 tuổi trở lên", "Căn cước", documents=documents),
        record("1.014063", "Cấp đổi thẻ căn cước", "Căn cước", documents=documents),
        record("1.014064", "Cấp lại thẻ căn cước", "Căn cước", documents=documents),
        record("1.014060", "Tích hợp, cập nhật, điều chỉnh thông tin trên thẻ căn cước", "Căn cước",
               documents=documents),
    ])
    build_index([catalog], folder / "index", embedding_model="none",
                answered_path=write_jsonl(folder / "answered.jsonl", memory))
    return ProcedureSearch.load(folder / "index")


@pytest.fixture(scope="module")
def identity_search(tmp_path_factory) -> ProcedureSearch:
    """The catalog's evidence alone: no remembered questions (test_answered.py covers those)."""
    return _identity_index(tmp_path_factory, [])


@pytest.mark.parametrize("question, code", [
    ("làm căn cước lần đầu cần mang gì", "1.014061"),
    ("lam can cuoc cho con 14 tuoi", "1.014061"),
    ("bị mất thẻ căn cước thì làm sao", "1.014064"),
    ("can cuoc het han thi doi o dau", "1.014063"),
    ("cập nhật thông tin bhyt vào căn cước", "1.014060"),
])
def test_the_action_asked_for_picks_among_same_subject_procedures(identity_search, question, code):
    assert identity_search.search(question, k=4).results[0].code == code


# Remembered answers the catalog's evidence alone gets wrong: "làm lại" (reissue) for a first card; "đổi"
# (exchange) for a correction after the 2025 merger; "làm lại" for a broken card, which is exchanged.
REMEMBERED = [("lam lai can cuoc cho con vua du 14 tuoi", "new"),
              ("đổi thẻ căn cước theo tên xã mới sau sáp nhập", "modify"),
              ("the can cuoc bi gay mat goc, lam lai cai moi the nao", "exchange")]


def _rank(search: ProcedureSearch, question: str, code: str) -> int:
    return [h.code for h in search.search(question, k=4).results].index(code) + 1


def test_a_question_the_memory_holds_word_for_word_lifts_the_remembered_procedure(tmp_path_factory):
    """What an officer corrects must count: asked again, the remembered procedure is never pushed down and
    mostly comes first. The memory is evidence, not a lookup table: against a strong cue ("làm lại" and a
    name with "cấp lại") it may stay second (ADR 0001, Decision 9)."""
    remembering = _identity_index(tmp_path_factory, [{"question": q, "codes": [IDENTITY_CODES[a]]}
                                                     for q, a in REMEMBERED])
    forgetting = _identity_index(tmp_path_factory, [])
    before = {q: _rank(forgetting, q, IDENTITY_CODES[a]) for q, a in REMEMBERED}
    after = {q: _rank(remembering, q, IDENTITY_CODES[a]) for q, a in REMEMBERED}
    assert all(rank > 1 for rank in before.values())  # the catalog's evidence alone misleads
    assert all(after[q] <= before[q] for q in before)
    assert [after[q] for q, _ in REMEMBERED[:2]] == [1, 1]


def _mrr(search: ProcedureSearch, questions: list[Question], weights: dict[str, float]) -> float:
    vector = np.asarray([weights.get(n, 0.0) for n in RANKING_FEATURES])
    total = 0.0
    for features, labels, _ in _ranking_samples(search, questions, unseen_weight=0.0):
        scores = features @ vector
        total += 1.0 / (1 + int((scores > scores[labels].max()).sum()))
    return total / len(questions)


def test_listwise_fit_learns_from_misleading_start_weights_and_keeps_policy(identity_search):
    questions = [Question(id=str(i), question=q, codes=[c]) for i, (q, c) in enumerate([
        ("căn cước lần đầu", "1.014061"), ("căn cước bị mất", "1.014064"), ("đổi căn cước", "1.014063"),
        ("sửa thông tin căn cước", "1.014060"), ("căn cước người 14 tuổi", "1.014061")])]
    policy = {n: identity_search.config["ranking"]["weights"].get(n, 0.0) for n in POLICY_FEATURES}
    start = {n: policy.get(n, 0.0) for n in RANKING_FEATURES}
    start.update(action_match=-1.0, action_conflict=1.0, action_unasked=1.0)  # misleading on purpose
    fitted = fit_ranking(identity_search, questions, start_weights=start)
    assert set(fitted) == set(RANKING_FEATURES)
    assert all(fitted[n] == start[n] for n in POLICY_FEATURES)
    assert _mrr(identity_search, questions, fitted) > _mrr(identity_search, questions, start)
    assert _mrr(identity_search, questions, fitted) == pytest.approx(1.0)


def test_fitted_ranking_keeps_the_policy_weights_of_search_yml():
    from procedure_index.config import RANKING_CONFIG, reasoned_ranking_weights
    import yaml

    reasoned = reasoned_ranking_weights()
    assert set(reasoned) == set(RANKING_FEATURES)
    if RANKING_CONFIG.exists():
        modes = yaml.safe_load(RANKING_CONFIG.read_text(encoding="utf-8"))
        assert set(modes) <= {"dense", "lexical"} and modes
        for mode in modes.values():
            assert set(mode["weights"]) == set(RANKING_FEATURES)
            assert all(mode["weights"][n] == reasoned[n] for n in POLICY_FEATURES)


def test_top_probability_grows_with_the_lead_of_the_first_candidate():
    from procedure_index.search import _top_probability

    assert _top_probability(np.asarray([1.0])) == pytest.approx(1.0)
    assert _top_probability(np.asarray([1.0, 1.0])) == pytest.approx(0.5)
    close, clear = _top_probability(np.asarray([1.0, 0.98, 0.5])), _top_probability(np.asarray([1.0, 0.7, 0.5]))
    assert 0.0 < close < clear < 1.0
