"""Fit the ranker's weights and the verdict thresholds on labeled calibration questions.

Nothing is tuned by hand to individual questions: both models are logistic regressions over generic
features, fitted on the calibration split (each question as written and with diacritics stripped), and
the thresholds are chosen to meet stated targets on that split:
- `none_below`: the highest threshold that sends at most `MAX_IN_SCOPE_NONE` of in-scope questions to none;
- `confident_above`: the lowest threshold at which answered-confidently questions are right at least
  `MIN_CONFIDENT_PRECISION` of the time.
The ranker is a listwise logistic model (see fit_ranking). Each question is also seen with its own
procedures unseen by the memory of answered questions, so that what is fitted holds for the procedures
the memory does not hold (MEMORY_CONDITIONS). The results are written to config/ranking.yml and
config/verdict.yml.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import yaml

from procedure_index.config import RANKING_CONFIG, VERDICT_CONFIG, reasoned_ranking_weights
from procedure_index.evaluation import Question, load_questions, with_stripped
from procedure_index.search import RANKING_FEATURES, RANKING_TEMPERATURE, ProcedureSearch

# Province order is policy (own province, then national, then others), not something to learn from labels.
POLICY_FEATURES = {"other_province", "own_province"}
# Is the question about a procedure at all; and, if so, is the first candidate the one.
IN_SCOPE_FEATURES = ["top_score", "margin", "coverage", "top_cosine", "lexical_strength", "content_tokens",
                     "top_probability", "unknown_words", "unanswerable"]
TOP1_FEATURES = IN_SCOPE_FEATURES + ["query_information", "top_name_fit", "answered_support"]
MAX_IN_SCOPE_NONE = 0.03  # 4% of 205 calibration questions sent 5.6% of test ones to none (ADR 0001, Decision 10)
MIN_CONFIDENT_PRECISION = 0.9
# Every calibration question is seen twice: with the memory of answered questions as it is, and with its
# own procedures unseen by the memory. The memory holds the common procedures only; fitted on the first
# alone, the ranker learnt to trust it so much that a question about a procedure it did not hold went to
# a neighbour it did (ADR 0001, Decision 8).
MEMORY_CONDITIONS = (False, True)
UNSEEN_WEIGHT = 1.0  # the ranker's weight of the unseen condition (chosen on the calibration split: ADR 0001)
VAGUE_NAME_SHARE = 0.01  # a phrase in at least 1% of names names none of them (see vague_questions)


@dataclass
class Sample:
    question: Question
    groups: np.ndarray
    features: np.ndarray


def _group_codes(search: ProcedureSearch, group: int) -> set[str]:
    return {search._procedures[r].code for r in search.group_rows(group)}


def _ranking_samples(search: ProcedureSearch, questions: list[Question],
                     unseen_weight: float) -> list[tuple[np.ndarray, np.ndarray, float]]:
    """(candidate features, is-gold labels, weight) per question whose gold is among the candidates: once
    with the memory of answered questions as it is, once (weighted `unseen_weight`) with the question's own
    procedures unseen by it."""
    samples = []
    for q in questions:
        query = search.analyze(q.question)
        if not query.tokens:
            continue
        gold = set(q.codes)
        for unseen in MEMORY_CONDITIONS:
            weight = unseen_weight if unseen else 1.0
            if weight <= 0.0:
                continue
            candidates = search.candidates(query, search.groups_of(gold) if unseen else frozenset())
            labels = np.asarray([bool(_group_codes(search, int(g)) & gold) for g in candidates.groups])
            if labels.any():
                samples.append((candidates.features, labels, weight))
    return samples


def fit_ranking(search: ProcedureSearch, questions: list[Question], temperature: float = RANKING_TEMPERATURE,
                l2: float = 0.01, start_weights: dict[str, float] | None = None,
                unseen_weight: float = UNSEEN_WEIGHT) -> dict[str, float]:
    """Listwise learning to rank: maximise the softmax probability of the right candidates among each
    question's pool (a linear ListNet-style model), with an L2 pull towards the reasoned weights of
    search.yml (or `start_weights`) so that features the calibration questions say little about keep those
    values. Policy features (province order) are not learnt."""
    from scipy.optimize import minimize

    samples = [(np.nan_to_num(f.astype(np.float64)), labels, w)
               for f, labels, w in _ranking_samples(search, questions, unseen_weight)]
    reasoned = start_weights if start_weights is not None else reasoned_ranking_weights()
    start = np.asarray([reasoned.get(n, 0.0) for n in RANKING_FEATURES], dtype=np.float64)
    fixed = np.asarray([n in POLICY_FEATURES for n in RANKING_FEATURES])

    def loss_and_gradient(weights: np.ndarray) -> tuple[float, np.ndarray]:
        loss, gradient = 0.0, np.zeros_like(weights)
        for features, labels, weight in samples:
            scores = temperature * (features @ weights)
            exp = np.exp(scores - scores.max())
            gold = exp[labels]
            loss += weight * (np.log(exp.sum()) - np.log(gold.sum()))
            gradient += weight * temperature * (exp / exp.sum() @ features - gold / gold.sum() @ features[labels])
        n = max(sum(w for _, _, w in samples), 1.0)
        loss, gradient = loss / n + l2 * ((weights - start) ** 2).sum(), gradient / n + 2 * l2 * (weights - start)
        gradient[fixed] = 0.0
        return loss, gradient

    fitted = minimize(loss_and_gradient, start, jac=True, method="L-BFGS-B").x if samples else start
    return {n: round(float(w), 4) for n, w in zip(RANKING_FEATURES, fitted)}


def _verdict_rows(search: ProcedureSearch, questions: list[Question]) -> tuple[np.ndarray, np.ndarray]:
    """Verdict features and whether the first result is right, per question and memory condition (an
    out-of-scope question has no procedures to hide, so its row is repeated: the classes keep their
    proportions)."""
    rows, correct = [], []
    for q in questions:
        for unseen in MEMORY_CONDITIONS:
            if unseen and not q.codes:
                rows.append(rows[-1])
                correct.append(correct[-1])
                continue
            response = search.search(q.question, k=5, unseen_codes=q.codes if unseen else ())
            f = response.features
            rows.append(f if "empty" not in f else None)
            correct.append(bool(response.results) and response.results[0].code in set(q.codes))
    return rows, np.asarray(correct)


def _matrix(rows: list, names: list[str]) -> np.ndarray:
    return np.asarray([[row.get(n, 0.0) for n in names] for row in rows], dtype=np.float64)


def _fit_logistic(rows: list[dict], y: np.ndarray, names: list[str]) -> dict[str, float]:
    from sklearn.linear_model import LogisticRegression

    x = _matrix(rows, names)
    mean, scale = x.mean(axis=0), x.std(axis=0) + 1e-6
    model = LogisticRegression(C=1.0, max_iter=2000).fit((x - mean) / scale, y)
    coef = model.coef_[0] / scale  # fold the standardisation back into plain weights
    bias = float(model.intercept_[0] - (coef * mean).sum())
    return {"bias": round(bias, 4), **{n: round(float(w), 4) for n, w in zip(names, coef)}}


def _probabilities(weights: dict[str, float], rows: list) -> np.ndarray:
    out = []
    for row in rows:
        if row is None:
            out.append(0.0)
            continue
        z = weights["bias"] + sum(w * row.get(n, 0.0) for n, w in weights.items() if n != "bias")
        out.append(1.0 / (1.0 + np.exp(-np.clip(z, -50, 50))))
    return np.asarray(out)


def vague_questions(search: ProcedureSearch, min_share: float = VAGUE_NAME_SHARE,
                    limit: int = 60) -> list[Question]:
    """Questions that are only a phrase hundreds of names share ("đăng ký", "giấy phép"). In scope, but no
    single procedure is the answer, so whatever comes first is not right: they teach the top-1 model that
    such a question is a guess. Drawn from the index's names, not written by hand; real questions rarely
    are this bare, so without them a bare phrase looked like a clear one."""
    phrases = search.common_name_phrases(min_share)[:limit]
    return [Question(id=f"vague-{i}", question=p, codes=[]) for i, p in enumerate(phrases)]


def fit_verdict(search: ProcedureSearch, in_scope: list[Question], out_of_scope: list[Question],
                vague: list[Question] = ()) -> dict:
    in_rows, in_correct = _verdict_rows(search, in_scope)
    out_rows, _ = _verdict_rows(search, out_of_scope)
    usable_in = [r for r in in_rows if r is not None]
    usable_out = [r for r in out_rows if r is not None]
    y = np.asarray([1] * len(usable_in) + [0] * len(usable_out))
    in_scope_weights = _fit_logistic(usable_in + usable_out, y, IN_SCOPE_FEATURES)
    p_in, p_out = _probabilities(in_scope_weights, in_rows), _probabilities(in_scope_weights, out_rows)
    none_below = float(np.quantile(p_in, MAX_IN_SCOPE_NONE)) if len(p_in) else 0.5

    # The top-1 model also learns from the vague questions, whose first candidate is never "the" answer.
    vague_rows = [r for r in _verdict_rows(search, list(vague))[0] if r is not None]
    rows = in_rows + vague_rows
    correct = np.concatenate([in_correct, np.zeros(len(vague_rows), dtype=bool)])
    usable = [i for i, r in enumerate(rows) if r is not None]
    top1_weights = _fit_logistic([rows[i] for i in usable], correct[usable], TOP1_FEATURES)
    p_correct = _probabilities(top1_weights, rows)
    answered = _probabilities(in_scope_weights, rows) >= none_below
    confident_above = 1.0
    for threshold in np.unique(np.round(p_correct, 4)):
        chosen = answered & (p_correct >= threshold)
        if chosen.sum() >= 5 and correct[chosen].mean() >= MIN_CONFIDENT_PRECISION:
            confident_above = float(threshold)
            break
    return {
        "model": {"in_scope": in_scope_weights, "top1_correct": top1_weights},
        "none_below": round(none_below, 4),
        "confident_above": round(confident_above, 4),
        "fitted_on": {"in_scope": len(in_scope), "out_of_scope": len(out_of_scope), "vague": len(vague_rows),
                      "out_of_scope_none_rate": round(float((p_out < none_below).mean()), 3) if len(p_out) else None,
                      "in_scope_none_rate": round(float((p_in < none_below).mean()), 3)},
    }


def _merge_mode(path: Path, mode: str, fitted: dict, header: str) -> None:
    """Replace one mode's section of a fitted-config file, keeping the other mode's."""
    existing = (yaml.safe_load(path.read_text(encoding="utf-8")) or {}) if path.exists() else {}
    existing = {k: v for k, v in existing.items() if k in ("dense", "lexical")}  # drop pre-mode layouts
    existing[mode] = fitted
    path.write_text(header + yaml.safe_dump(existing, sort_keys=False), encoding="utf-8")


def calibrate_to_file(search: ProcedureSearch, question_files: list[Path], out_dir: Path | None = None,
                      refit_ranking: bool = False) -> str:
    """Fit on the questions whose split is "calibration" (all questions when no split is given).

    Everything is fitted for the loaded search's mode (dense or lexical) and merged into that mode's
    section of the file. Ranking weights are refitted only when asked (`--refit-ranking`); the verdict is
    always refitted, after them, since its features come from the ranking (ADR 0001)."""
    questions = [q for path in question_files for q in load_questions(path)]
    chosen = [q for q in questions if q.split in (None, "calibration")]
    in_scope = [q for q in chosen if q.in_scope]
    out_of_scope = [q for q in chosen if not q.in_scope]
    both_in = in_scope + with_stripped(in_scope)
    both_out = out_of_scope + with_stripped(out_of_scope)

    header = "# Written by `procedure-index calibrate`; do not edit by hand (re-run it instead).\n"
    written = []
    weights = search.ranking_weights
    if refit_ranking:
        weights = fit_ranking(search, both_in)
        search.config["ranking"] = {**search.config["ranking"], search.mode: {"weights": weights}}
        ranking_path = (out_dir or RANKING_CONFIG.parent) / RANKING_CONFIG.name
        _merge_mode(ranking_path, search.mode, {"weights": weights}, header)
        written.append(ranking_path)
    vague = vague_questions(search)
    verdict = fit_verdict(search, both_in, both_out, vague + with_stripped(vague))
    search.config["verdict"] = {**search.config["verdict"], search.mode: verdict}

    verdict_path = (out_dir or VERDICT_CONFIG.parent) / VERDICT_CONFIG.name
    _merge_mode(verdict_path, search.mode, verdict, header)
    written.append(verdict_path)
    return (f"fitted on {len(in_scope)} in-scope and {len(out_of_scope)} out-of-scope calibration questions "
            f"(each also without diacritics), mode {search.mode}\nranking weights: {weights}\n"
            f"verdict: none_below={verdict['none_below']} confident_above={verdict['confident_above']} "
            f"{verdict['fitted_on']}\nwritten to {', '.join(map(str, written))}")
