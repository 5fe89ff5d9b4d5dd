"""The memory of answered questions (procedure_index/answered.py, data/answered.jsonl)."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from procedure_index import vntext
from procedure_index.answered import ANSWERED_FILE, load_answered
from procedure_index.build import build_index
from procedure_index.search import ANSWERED_FEATURES, RANKING_FEATURES, ProcedureSearch
from pi_fixtures import SHARED_DATA

REPO_ROOT = Path(__file__).resolve().parents[2]
EVAL_FILES = [REPO_ROOT / "procedure_index" / "eval_data" / "questions.jsonl",
              REPO_ROOT / "procedure_index" / "eval_data" / "out_of_scope.jsonl",
              SHARED_DATA / "questions" / "dev.jsonl"]
RESIDENCE = "1.004222"  # "Đăng ký thường trú" in the fixture catalog
# The remembered question below reworded and typed without diacritics. Close rewordings win; a loose one
# would not, since the ranker is also trained for procedures the memory does not hold (ADR 0001, Decision 8).
ASKED = "ve o han nha chong thi khai bao cong an xa the nao"


def _words(question: str) -> frozenset[str]:
    return frozenset(vntext.fold_diacritics(t) for t in vntext.syllables(question))


def _write_memory(path: Path, items: list[dict]) -> Path:
    path.write_text("".join(json.dumps(i, ensure_ascii=False) + "\n" for i in items), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def with_and_without_memory(fixture_catalog, tmp_path_factory) -> tuple[ProcedureSearch, ProcedureSearch]:
    folder = tmp_path_factory.mktemp("answered")
    memory = _write_memory(folder / "answered.jsonl", [
        {"question": "về ở hẳn bên nhà chồng thì khai báo với công an xã thế nào", "codes": [RESIDENCE]},
        {"question": "con đi học xa cần giấy gì", "codes": ["9.999999"]},  # not in this catalog: ignored
        {"question": "mở tài khoản ngân hàng cho con cần giấy tờ gì", "codes": []},  # no procedure answers it
    ])
    empty = _write_memory(folder / "empty.jsonl", [])
    indexes = []
    for name, path in (("with", memory), ("without", empty)):
        build_index([fixture_catalog], folder / name, embedding_model="none", answered_path=path)
        indexes.append(ProcedureSearch.load(folder / name))
    return indexes[0], indexes[1]


def test_an_answered_question_teaches_how_citizens_name_a_procedure(with_and_without_memory):
    with_memory, without_memory = with_and_without_memory
    asked = ASKED
    assert without_memory.search(asked, 3).results[0].code != RESIDENCE  # the catalog's words alone miss it
    assert with_memory.search(asked, 3).results[0].code == RESIDENCE


def test_unrelated_questions_are_not_pulled_towards_the_memory(with_and_without_memory):
    with_memory, without_memory = with_and_without_memory
    for question in ("làm giấy khai sinh cho con cần gì", "xin giấy phép xây dựng nhà ở",
                     "con mới sinh thì khai báo với công an xã ở đâu"):  # shares "khai báo với công an xã"
        assert with_memory.search(question, 1).results[0].code == without_memory.search(question, 1).results[0].code


def test_the_memory_never_holds_an_evaluation_question():
    """Otherwise the evaluation would measure recall of the memory, not search. A line without words
    (emoji, punctuation) is compared as it is written."""
    evaluation = {}
    for path in EVAL_FILES:
        if path.exists():
            for line in path.read_text(encoding="utf-8").splitlines():
                if line.strip():
                    question = json.loads(line)["question"]
                    evaluation[_words(question) or question.strip()] = question
    assert len(evaluation) > 500
    answered = load_answered()
    assert len(answered) >= 300
    for item in answered:
        words = _words(item.question) or item.question.strip()
        for asked_words, asked in evaluation.items():
            if isinstance(words, str) or isinstance(asked_words, str):
                assert words != asked_words, f"answered question {item.question!r} copies {asked!r}"
                continue
            overlap = len(words & asked_words) / len(words | asked_words)
            assert overlap < 0.8, f"answered question {item.question!r} copies evaluation question {asked!r}"


def test_every_answered_line_is_a_question_with_catalog_codes_or_none():
    lines = [line for line in ANSWERED_FILE.read_text(encoding="utf-8").splitlines() if line.strip()]
    assert len(load_answered()) == len(lines), "a line without a question or codes would be skipped silently"
    catalog = SHARED_DATA / "catalog" / "procedures.jsonl"
    if not catalog.exists():
        pytest.skip("../shared/data/catalog is not beside the repository")
    codes = {json.loads(line)["code"] for line in catalog.read_text(encoding="utf-8").splitlines() if line.strip()}
    unknown = {c for a in load_answered() for c in a.codes if c not in codes}
    assert not unknown, f"codes not in the national catalog: {sorted(unknown)}"


def test_the_verdict_weighs_the_catalog_evidence_not_the_memory(with_and_without_memory):
    """Whether a question is about a procedure at all must not depend on whether someone asked about that
    procedure before: the memory covers common procedures only. It may only make the top choice surer."""
    with_memory, _ = with_and_without_memory
    asked = ASKED
    response = with_memory.search(asked, 3)
    assert response.results[0].code == RESIDENCE
    assert response.features["answered_support"] > 0
    query = with_memory.analyze(asked)
    candidates = with_memory.candidates(query)
    weights = with_memory.ranking_weights
    memory_part = sum(weights.get(name, 0.0) * float(candidates.features[0][RANKING_FEATURES.index(name)])
                      for name in ANSWERED_FEATURES)
    assert memory_part > 0
    assert response.features["top_score"] == pytest.approx(float(candidates.fused[0]) - memory_part, abs=1e-5)


def test_a_remembered_question_no_procedure_answers_counts_against_answering(with_and_without_memory):
    with_memory, without_memory = with_and_without_memory
    asked = "mo tai khoan ngan hang cho con o dau"
    assert without_memory.search(asked, 3).features.get("unanswerable", 0.0) == 0.0
    response = with_memory.search(asked, 3)
    assert response.features["unanswerable"] > 0.3
    assert response.verdict == "none"
    # a question closer to a procedure's answered question than to the unanswerable one is not affected
    assert with_memory.search(ASKED, 3).features["unanswerable"] == 0.0


def test_a_procedure_can_be_searched_as_if_the_memory_never_held_it(with_and_without_memory):
    """Leave-procedure-out (evaluation and calibration): the memory ignores the given procedures' answered
    questions, so the search ranks as it would for a procedure nobody asked about before."""
    with_memory, without_memory = with_and_without_memory
    unseen = with_memory.search(ASKED, 3, unseen_codes=[RESIDENCE])
    assert unseen.results[0].code != RESIDENCE
    assert [h.code for h in unseen.results] == [h.code for h in without_memory.search(ASKED, 3).results]
    assert unseen.features["answered_support"] == 0.0
    # hiding another procedure changes nothing
    other = with_memory.search(ASKED, 3, unseen_codes=["1.001193"])
    assert other.results[0].code == RESIDENCE and other.features["answered_support"] > 0


def test_the_ranker_is_fitted_also_for_procedures_the_memory_does_not_hold(with_and_without_memory):
    from procedure_index.calibration import _ranking_samples
    from procedure_index.evaluation import Question

    with_memory, _ = with_and_without_memory
    question = [Question(id="1", question=ASKED, codes=[RESIDENCE])]
    columns = [RANKING_FEATURES.index(n) for n in ANSWERED_FEATURES]
    seen_only = _ranking_samples(with_memory, question, unseen_weight=0.0)
    both = _ranking_samples(with_memory, question, unseen_weight=0.5)
    assert len(seen_only) == 1 and len(both) == 2
    (seen_features, seen_labels, seen_weight), (unseen_features, unseen_labels, unseen_weight) = both
    assert (seen_weight, unseen_weight) == (1.0, 0.5)
    assert seen_features[seen_labels][:, columns].max() > 0  # the gold's answered question counts ...
    assert unseen_features[unseen_labels][:, columns].max() == 0  # ... unless the memory is to ignore it


def test_the_memory_features_follow_how_close_each_candidate_is_to_a_remembered_question(with_and_without_memory):
    """answered_rank votes for the candidate the memory ranks first; answered_name_agree is the memory's
    closeness where the candidate's name also explains the question's words (ADR 0001, Decision 9)."""
    with_memory, _ = with_and_without_memory
    column = {name: RANKING_FEATURES.index(name) for name in RANKING_FEATURES}
    query = with_memory.analyze(ASKED)
    for unseen in (frozenset(), with_memory.groups_of([RESIDENCE])):
        candidates = with_memory.candidates(query, unseen)
        features = candidates.features
        remembered = features[:, [column["answered_words"], column["answered_dense"]]].max(axis=1)
        assert features[:, column["answered_name_agree"]] == pytest.approx(
            remembered * features[:, column["q_cov_name"]], abs=1e-6)
        ranked_first = features[:, column["answered_rank"]] == 1.0
        if unseen:  # nothing remembered: no candidate gets either
            assert not remembered.any() and not ranked_first.any()
            assert not features[:, column["answered_name_agree"]].any()
        else:
            residence = [i for i, g in enumerate(candidates.groups)
                         if g in with_memory.groups_of([RESIDENCE])]
            assert ranked_first.sum() == 1 and ranked_first[residence[0]]
            assert (features[remembered == 0, column["answered_rank"]] == 0).all()
