"""Hybrid procedure search: normalise -> lexical + dense -> fuse -> group variants -> verdict.

``ProcedureSearch`` is read-only after loading, so one instance serves concurrent requests.
"""
from __future__ import annotations

import json
import math
import threading
from collections import OrderedDict
from collections.abc import Collection
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

import numpy as np

from procedure_index import actions, vntext
from procedure_index.analysis import QueryAnalysis, analyze_query, query_filler, query_terms
from procedure_index.answered import AnsweredMatcher, AnsweredMemory, Closeness, dense_query_text
from procedure_index.build import FIELD_NAMES, NAME_PHRASES_FILE
from procedure_index.catalog import Procedure
from procedure_index.config import load_search_config
from procedure_index.encoders import NO_ENCODER, Encoder, load_encoder
from procedure_index.lexical import LexicalIndex, LexicalScorer
from procedure_index.records import RecordFile
from procedure_index.restore import RestorationModel

CONFIDENT, AMBIGUOUS, NONE = "confident", "ambiguous", "none"
# Candidate features of the linear ranker; weights in search.yml (`ranking`), refitted by `calibrate`.
# Closeness to the questions a procedure already answered (answered.py): word overlap, question vectors.
# The *_close features (fourth powers) let a close match to an answered question count far more than a
# loose one, which is mostly a neighbouring procedure's question (chosen on the calibration split over
# squares: ADR 0001, Decision 8). answered_name_agree is the closeness where the procedure's name also
# explains the question's words (fitted negative: there the lexical features have counted those words
# already); answered_rank is the memory's vote, as lex_rank and dense_rank are the retrievers' (Decision 9).
ANSWERED_SIMILARITIES = ["answered_words", "answered_dense"]
ANSWERED_FEATURES = [*ANSWERED_SIMILARITIES, "answered_words_close", "answered_dense_close", "answered_name_agree",
                     "answered_rank"]
RANKING_FEATURES = ["lexical", "lex_name", "lex_meta", "lex_text", "dense", "dense_gap", "name_fit",
                    # how much of the question the procedure explains, and what its name adds unasked
                    "q_cov_name", "q_cov_all", "q_bigram_name", "name_head_extra", "name_length",
                    # agreement of the two retrievers, as reciprocal ranks within the pool
                    "lex_rank", "dense_rank",
                    *ANSWERED_FEATURES,
                    # what is to be done (data/actions.tsv): asked and done, asked and not done, done unasked
                    "action_match", "action_conflict", "action_unasked",
                    # variant qualifiers (data/qualifiers.tsv) in the name: asked for, or not
                    "qualifier_match", "qualifier_unasked",
                    "level_commune", "level_province",
                    "level_ministry_only", "no_level", "for_citizens", "other_province", "own_province",
                    "summary_only", "online_service", "variants"]
# Scale of the listwise ranker's softmax (calibration.fit_ranking); also turns fused scores into the top
# candidate's probability for the verdict.
RANKING_TEMPERATURE = 10.0
ANSWERED_COLUMNS = [RANKING_FEATURES.index(n) for n in ANSWERED_FEATURES]
SIMILARITY_COLUMNS = [RANKING_FEATURES.index(n) for n in ANSWERED_SIMILARITIES]
# The first syllables of a name say what is done ("cấp đổi", "cấp lại"): asked-for or not matters most.
NAME_HEAD_SYLLABLES = 5


@dataclass
class Hit:
    code: str
    name: str
    score: float

    def to_dict(self) -> dict:
        return {"code": self.code, "name": self.name, "score": round(float(self.score), 4)}


@dataclass
class SearchResponse:
    verdict: str
    results: list[Hit] = field(default_factory=list)
    features: dict[str, float] = field(default_factory=dict)  # what the verdict was decided on

    def to_dict(self) -> dict:
        return {"verdict": self.verdict, "results": [h.to_dict() for h in self.results]}


@dataclass
class Candidates:
    groups: np.ndarray  # group ids, best first
    fused: np.ndarray
    lexical: np.ndarray  # raw lexical group scores
    dense: np.ndarray  # raw cosines (0 when no dense retrieval)
    features: np.ndarray  # ranking features, rows aligned with groups
    # how much closer the question is to a remembered question no procedure answers than to any procedure's
    unanswerable: float = 0.0


def _logistic(weights: dict[str, float], features: dict[str, float]) -> float:
    z = weights.get("bias", 0.0) + sum(w * features.get(name, 0.0) for name, w in weights.items() if name != "bias")
    return 1.0 / (1.0 + math.exp(-max(min(z, 50.0), -50.0)))


def _unknown_share(words: list[str], idf: dict[str, float]) -> float:
    worded = [w for w in words if not any(c.isdigit() for c in w)]
    return sum(f"f:{w}" not in idf for w in worded) / len(worded) if worded else 0.0


def _top_probability(scores: np.ndarray) -> float:
    """The ranker's softmax probability of its first candidate (what it was trained to produce)."""
    scaled = RANKING_TEMPERATURE * (scores - scores.max())
    return float(np.exp(scaled[0]) / np.exp(scaled).sum())


def _reciprocal_ranks(scores: np.ndarray) -> np.ndarray:
    """1 for the best score, 1/2 for the second, ...; 0 where the score is 0 (not retrieved)."""
    ranks = np.empty(len(scores), dtype=np.float32)
    ranks[np.argsort(-scores, kind="stable")] = np.arange(1, len(scores) + 1)
    return np.where(scores > 0, 1.0 / ranks, 0.0).astype(np.float32)


class ProcedureSearch:
    def __init__(self, index_dir: Path, records: RecordFile, group_starts: list[int], scorer: LexicalScorer,
                 idf: dict[str, float], restorer: RestorationModel, encoder: Encoder | None, dense_index,
                 province: str | None, config: dict, answered: AnsweredMemory | None = None):
        self.index_dir = index_dir
        self._records = records
        # What ranking reads of every row: the short fields only (ProcedureSummary); get() reads the rest.
        self._procedures = records.summaries
        self._starts = np.asarray(group_starts, dtype=np.int64)
        self._group_of_row = np.repeat(np.arange(len(group_starts)),
                                       np.diff(np.append(self._starts, len(self._procedures))))
        self._scorer = scorer
        self._idf = idf
        self._restorer = restorer
        self._encoder = encoder
        self._dense_index = dense_index
        self._group_vectors = (dense_index.reconstruct_n(0, dense_index.ntotal) if dense_index is not None
                               else None)
        self._encode_lock = threading.Lock()  # the native encoders are not documented as re-entrant
        self.province = province
        self.config = config
        phrases_path = index_dir / NAME_PHRASES_FILE  # absent from an index built before it existed
        self._filler = query_filler(config["query"], json.loads(phrases_path.read_text(encoding="utf-8"))
                                    if phrases_path.exists() else ())
        self._row_factor = self._province_factors(province, config["fusion"])
        self._group_names = [self._name_terms(self._procedures[int(s)].name) for s in self._starts]
        self._group_heads = [self._name_terms(self._procedures[int(s)].name, NAME_HEAD_SYLLABLES)
                             for s in self._starts]
        self._group_actions = [actions.name_action(self._procedures[int(s)].name) for s in self._starts]
        self._group_name_length = np.asarray(
            [min(len(vntext.syllables(self._procedures[int(s)].name)), 40) / 40.0 for s in self._starts],
            dtype=np.float32)
        self._group_of_code = {p.code: int(self._group_of_row[row]) for row, p in enumerate(self._procedures)}
        self._answered = (AnsweredMatcher(answered, self._group_of_code, idf, config["answered"]["word_floor"],
                                          config["answered"]["floor"])
                          if answered is not None else None)
        self._group_priors = np.asarray([self._prior_features(self._representative(g))
                                         for g in range(len(self._starts))], dtype=np.float32)

    # --- loading ----------------------------------------------------------------------------------

    @classmethod
    def load(cls, index_dir: Path | str, province: str | None = "Thái Nguyên",
             embedding_model: str | None = None) -> "ProcedureSearch":
        index_dir = Path(index_dir)
        manifest = json.loads((index_dir / "manifest.json").read_text(encoding="utf-8"))
        config = load_search_config()
        records = RecordFile(index_dir / "procedures.jsonl")
        starts = json.loads((index_dir / "groups.json").read_text(encoding="utf-8"))
        lexical = LexicalIndex.load(index_dir, FIELD_NAMES, layout="csc")  # the layout queries slice
        scorer = LexicalScorer(lexical, config["lexical"]["fields"])
        idf_array = np.load(index_dir / "idf.npy")
        idf = {term: float(idf_array[i]) for term, i in lexical.vocab.items() if term.startswith("f:") and "_" not in term}
        restorer = RestorationModel.load(index_dir / "restoration.pkl")
        built_with = manifest.get("embedding_model", NO_ENCODER)
        wanted = built_with if embedding_model is None else embedding_model
        encoder, dense_index = None, None
        if wanted != NO_ENCODER:
            if wanted != built_with:
                raise ValueError(f"index {index_dir} was built with embedding model {built_with!r}, not {wanted!r}; "
                                 "rebuild it with that model or pass embedding_model=None")
            import faiss

            dense_index = faiss.read_index(str(index_dir / "dense.faiss"))
            encoder = load_encoder(wanted)
        return cls(index_dir, records, starts, scorer, idf, restorer, encoder, dense_index, province, config,
                   AnsweredMemory.load(index_dir))

    # --- public API -------------------------------------------------------------------------------

    @property
    def procedures(self) -> int:
        return len(self._procedures)

    def get(self, code: str) -> Procedure | None:
        return self._records.get(code)

    def common_name_phrases(self, min_share: float) -> list[str]:
        """Two-syllable phrases (accented) found in at least `min_share` of procedure names, most common
        first: "đăng ký", "giấy phép", "chứng nhận"."""
        indptr = self._scorer.field_matrices["name"].indptr
        minimum = min_share * self._scorer.n_docs
        found = [(int(indptr[c + 1] - indptr[c]), t) for t, c in self._scorer.vocab.items()
                 if t.startswith("a:") and "_" in t]
        return [t[2:].replace("_", " ") for n, t in sorted(found, reverse=True) if n >= minimum]

    def is_name_phrase(self, first: str, second: str, min_names: int = 2) -> bool:
        """Whether the two syllables, in this order, are a phrase of procedure names ("chứng nhận",
        "bị mất", "tặng cho"), compared without diacritics."""
        term = f"f:{vntext.fold_diacritics(first)}_{vntext.fold_diacritics(second)}"
        return self._scorer.name_frequency(term) >= min_names

    def analyze(self, question: str) -> QueryAnalysis:
        """The question as search reads it: aliases applied, diacritics restored, chat filler removed."""
        return analyze_query(question, self._restorer, self._filler,
                             self.config["query"]["restore_below_accented_share"])

    def search(self, question: str, k: int = 5, unseen_codes: Collection[str] = ()) -> SearchResponse:
        """`unseen_codes`: procedures whose answered questions the memory ignores for this search, as if
        never asked about. Evaluation and calibration use it to measure and train for the procedures the
        memory does not hold (leave-procedure-out); the app never passes it."""
        query = self.analyze(question)
        if not query.tokens:
            return SearchResponse(verdict=NONE, features={"empty": 1.0})
        candidates = self.candidates(query, self.groups_of(unseen_codes))
        if len(candidates.groups) == 0:
            return SearchResponse(verdict=NONE, features={"empty": 1.0})
        hits = [self._hit(int(g), float(s)) for g, s in zip(candidates.groups[:k], candidates.fused[:k])]
        features = self.verdict_features(query, candidates)
        return SearchResponse(verdict=self.decide(features), results=hits, features=features)

    # --- stages -----------------------------------------------------------------------------------

    def groups_of(self, codes: Collection[str]) -> frozenset[int]:
        return frozenset(self._group_of_code[c] for c in codes if c in self._group_of_code)

    def candidates(self, query: QueryAnalysis, unseen: frozenset[int] = frozenset()) -> Candidates:
        """Pool the best groups of both retrievers, then rank them by a linear model over their features.
        `unseen`: groups the memory of answered questions ignores (see search)."""
        lex_config = self.config["lexical"]
        accented_weight = (lex_config["restored_accented_weight"] if query.restored
                           else lex_config["accented_weight"])
        terms = query_terms(query, lex_config["bigram_weight"], accented_weight)
        row_scores = self._scorer.scores(terms)
        group_lex = np.maximum.reduceat(row_scores, self._starts) if len(row_scores) else row_scores
        pool = set(np.argsort(-group_lex)[: lex_config["candidates"]].tolist())
        pool = {g for g in pool if group_lex[g] > 0}
        cosines, vector = None, None
        if self._encoder is not None:
            vector = self._query_vector(dense_query_text(query, self.config["dense"]["max_query_syllables"]))
            # einsum, not `@`: a BLAS matrix-vector product this size wakes OpenBLAS's threads, whose spinning
            # then slows the next encoding by ~3x on a 2-core machine (measured: p50 60 ms instead of 20 ms).
            cosines = np.einsum("ij,j->i", self._group_vectors, vector)
            pool |= set(np.argsort(-cosines)[: self.config["dense"]["candidates"]].tolist())
        memory = self._answered.closeness(query, vector, unseen) if self._answered else Closeness({}, {})
        answered_words, answered_dense = memory.words, memory.vectors
        closest = {**answered_words, **{g: max(v, answered_words.get(g, 0.0)) for g, v in answered_dense.items()}}
        pool |= set(sorted(closest, key=closest.get, reverse=True)[: self.config["answered"]["candidates"]])
        if not pool:
            return Candidates(np.empty(0, np.int64), np.empty(0), np.empty(0), np.empty(0), np.empty((0, 0)))
        groups = np.fromiter(sorted(pool), dtype=np.int64)
        lexical = group_lex[groups]
        # Every pooled candidate gets its true cosine, also those only the lexical side found.
        dense = cosines[groups] if cosines is not None else np.zeros(len(groups), dtype=np.float32)
        rows = np.asarray([self._best_row(int(g), row_scores) for g in groups], dtype=np.int64)
        per_field = self._scorer.field_scores(terms, rows)
        answered = np.asarray([[answered_words.get(int(g), 0.0), answered_dense.get(int(g), 0.0)] for g in groups],
                              dtype=np.float32).reshape(len(groups), 2)
        features = self.ranking_features(query, groups, rows, lexical, dense, per_field, answered)
        weights = self.ranking_weights
        vector = np.asarray([weights.get(name, 0.0) for name in RANKING_FEATURES], dtype=np.float32)
        fused = features @ vector
        order = np.argsort(-fused, kind="stable")
        # Closer to a question no procedure answers than to any procedure's question: a nearest-neighbour
        # vote, so "nộp hồ sơ online" near a complaint about a dossier is still near the procedures' questions.
        unanswerable = max(0.0, memory.unanswerable - max(closest.values(), default=0.0))
        return Candidates(groups[order], fused[order], lexical[order], dense[order], features[order], unanswerable)

    def ranking_features(self, query: QueryAnalysis, groups: np.ndarray, rows: np.ndarray, lexical: np.ndarray,
                         dense: np.ndarray, per_field: dict[str, np.ndarray], answered: np.ndarray) -> np.ndarray:
        """One row per candidate group, columns in RANKING_FEATURES order."""
        top_lex = float(lexical.max()) if len(lexical) and lexical.max() > 0 else 1.0
        has_dense = self._encoder is not None
        floor = self.config["dense"]["floor"]
        dense_rel = np.clip((dense - floor) / (1.0 - floor), 0.0, 1.0) if has_dense else np.zeros_like(dense)
        top_dense = float(dense.max()) if has_dense and len(dense) else 0.0
        dense_gap = (dense - top_dense) if has_dense else np.zeros_like(dense)
        name_fit = np.asarray([self._name_fit(int(g), query) for g in groups], dtype=np.float32)
        field_columns = [per_field[n] / (float(per_field[n].max()) or 1.0) for n in ("name", "meta", "text")]
        columns = [lexical / top_lex, *field_columns, dense_rel, np.clip(dense_gap, -0.2, 0.0) * 5.0, name_fit]
        coverage = self._coverage_columns(query, rows)
        columns += coverage
        asked = set(query.folded)
        columns.append(np.asarray([self._unasked_share(self._group_heads[int(g)], asked) for g in groups],
                                  dtype=np.float32))
        columns.append(self._group_name_length[groups])
        columns.append(_reciprocal_ranks(lexical))
        columns.append(_reciprocal_ranks(dense) if has_dense else np.zeros_like(lexical))
        remembered = answered.max(axis=1)
        columns += [answered[:, 0], answered[:, 1], answered[:, 0] ** 4, answered[:, 1] ** 4,
                    remembered * coverage[0], _reciprocal_ranks(remembered)]
        columns += self._action_columns(query, groups)
        columns += self._qualifier_columns(query, groups)
        priors = self._group_priors[groups]
        return np.column_stack(columns + [priors[:, i] for i in range(priors.shape[1])]).astype(np.float32)

    def _coverage_columns(self, query: QueryAnalysis, rows: np.ndarray) -> list[np.ndarray]:
        """idf-weighted share of the question's words found in the name, in any field; and of its word pairs
        found in the name. BM25 saturates on one repeated word; these ask whether every word is explained."""
        words = list(dict.fromkeys(query.folded))
        weights = np.asarray([self._idf.get(f"f:{t}", 0.0) for t in words], dtype=np.float64)
        total = float(weights.sum()) or 1.0
        terms = [f"f:{t}" for t in words]
        in_name = self._scorer.presence(terms, rows, ("name",))
        anywhere = np.maximum(in_name, self._scorer.presence(terms, rows, ("meta", "text")))
        pairs = list(dict.fromkeys(f"f:{a}_{b}" for a, b in zip(words, words[1:])))
        pair_share = (self._scorer.presence(pairs, rows, ("name",)).mean(axis=1) if pairs
                      else np.zeros(len(rows), dtype=np.float32))
        # float64: float32 matmul of 0/1 rows has been seen to warn spuriously on this BLAS
        return [np.nan_to_num(in_name.astype(np.float64) @ weights / total).astype(np.float32),
                np.nan_to_num(anywhere.astype(np.float64) @ weights / total).astype(np.float32),
                pair_share.astype(np.float32)]

    def _action_columns(self, query: QueryAnalysis, groups: np.ndarray) -> list[np.ndarray]:
        asked = actions.question_actions(query.tokens)
        done = [self._group_actions[int(g)] for g in groups]
        match = [float(a in asked) for a in done]
        conflict = [float(bool(asked) and a is not None and a not in asked) for a in done]
        unasked = [float(not asked and a not in (None, "new")) for a in done]
        return [np.asarray(c, dtype=np.float32) for c in (match, conflict, unasked)]

    def _qualifier_columns(self, query: QueryAnalysis, groups: np.ndarray) -> list[np.ndarray]:
        asked = actions.question_qualifiers(query.tokens)
        named = [self._group_qualifiers[int(g)] for g in groups]
        match = [float(bool(q & asked)) for q in named]
        unasked = [float(bool(q - asked)) for q in named]
        return [np.asarray(c, dtype=np.float32) for c in (match, unasked)]

    @cached_property
    def _group_qualifiers(self) -> list[frozenset[str]]:
        return [actions.name_qualifiers(self._procedures[int(s)].name) for s in self._starts]

    @staticmethod
    def _unasked_share(name_terms: tuple[dict[str, float], float], asked: set[str]) -> float:
        weights, total = name_terms
        return sum(w for t, w in weights.items() if t not in asked) / total

    def _query_vector(self, text: str) -> np.ndarray:
        """The encoder's vector for the text; recent ones are kept, since citizens ask the same few
        questions over and over and encoding is most of a hybrid search's time."""
        with self._encode_lock:
            vector = self._recent_vectors.get(text)
            if vector is not None:
                self._recent_vectors.move_to_end(text)
                return vector
            vector = np.asarray(self._encoder.encode_queries([text]), dtype=np.float32)[0]
            self._recent_vectors[text] = vector
            if len(self._recent_vectors) > self.config["dense"]["recent_queries"]:
                self._recent_vectors.popitem(last=False)
            return vector

    @cached_property
    def _recent_vectors(self) -> OrderedDict[str, np.ndarray]:
        return OrderedDict()

    def verdict_features(self, query: QueryAnalysis, candidates: Candidates) -> dict[str, float]:
        """Generic evidence that the question is about a procedure and that the top one is right."""
        idf = self._idf
        top_row = self._representative(int(candidates.groups[0]))
        coverage = self._scorer.name_coverage(top_row, [f"f:{t}" for t in query.folded], idf)
        # Scores from the catalog's evidence alone: whether a question is about a procedure must not depend
        # on whether someone asked about that procedure before (the memory covers the common ones only).
        weights = self.ranking_weights
        memory = candidates.features[:, ANSWERED_COLUMNS] @ np.asarray([weights.get(n, 0.0) for n in ANSWERED_FEATURES],
                                                                        dtype=np.float32)
        catalog = candidates.fused - memory
        second = float(catalog[1:].max()) if len(catalog) > 1 else 0.0
        query_weight = sum(idf.get(f"f:{t}", 0.0) for t in query.folded) or 1.0
        return {
            "top_score": float(catalog[0]),
            "margin": float(catalog[0]) - second,
            "coverage": coverage,
            "top_cosine": float(candidates.dense[0]),
            "lexical_strength": math.log1p(float(candidates.lexical[0]) / query_weight),
            "content_tokens": math.log1p(len(query.tokens)),
            "top_probability": _top_probability(catalog),
            # how close the question is to one the top candidate answered before (answered.py) ...
            "answered_support": float(candidates.features[0, SIMILARITY_COLUMNS].max()),
            # ... or to one no procedure answers ("mở tài khoản ngân hàng")
            "unanswerable": candidates.unanswerable,
            # how much the words say at all: "đăng ký" alone fits thousands of names and picks none of them
            "query_information": math.log1p(query_weight),
            # ... unless they are most of a name: "đăng ký kết hôn" is one
            "top_name_fit": float(candidates.features[0][RANKING_FEATURES.index("name_fit")]),
            # words no procedure uses (brands, foreign words, keyboard mash) say the question is about
            # something else; numbers ("80m2", "1990") say nothing either way
            "unknown_words": _unknown_share(query.folded, idf),
        }

    @property
    def mode(self) -> str:
        """"dense" or "lexical": verdict models are fitted per mode (their features differ)."""
        return "dense" if self._encoder is not None else "lexical"

    @property
    def ranking_weights(self) -> dict[str, float]:
        """Fitted for this mode by `calibrate --refit-ranking` (ranking.yml), else the reasoned ones: without
        the dense features, the lexical ones must carry more, so each mode has its own."""
        ranking = self.config["ranking"]
        return (ranking.get(self.mode) or {}).get("weights") or ranking["weights"]

    def decide(self, features: dict[str, float]) -> str:
        verdict = {**self.config["verdict"], **self.config["verdict"].get(self.mode, {})}
        model = verdict.get("model")
        if model:
            in_scope = _logistic(model["in_scope"], features)
            correct = _logistic(model["top1_correct"], features)
        else:  # before calibration: coverage alone
            in_scope = features["coverage"]
            correct = features["coverage"] * min(1.0, 0.5 + features["margin"] * 2)
        features["p_in_scope"], features["p_top1_correct"] = in_scope, correct
        if in_scope < verdict["none_below"]:
            return NONE
        return CONFIDENT if correct >= verdict["confident_above"] else AMBIGUOUS

    # --- helpers ----------------------------------------------------------------------------------

    def _name_terms(self, name: str, head: int | None = None) -> tuple[dict[str, float], float]:
        """Folded name syllables (without the generic "thủ tục") with their idf, and the idf total."""
        tokens = [t for t in vntext.normalize_tokens(name, fold=True) if t not in ("thu", "tuc")]
        head = head or self.config["ranking"].get("name_fit_head_syllables")
        if head:
            tokens = tokens[:head]  # long names end in lists of cases; the head says what the procedure is
        weights = {t: self._idf.get(f"f:{t}", 0.0) for t in tokens}
        return weights, sum(weights.values()) or 1.0

    def _name_fit(self, group: int, query: QueryAnalysis) -> float:
        """Share of the procedure name the question covers: favours "Đăng ký khai sinh" over its long variants."""
        weights, total = self._group_names[group]
        asked = set(query.folded)
        return sum(w for t, w in weights.items() if t in asked) / total

    def group_rows(self, group: int) -> range:
        """The rows (procedure records) of one group of same-name variants."""
        start = int(self._starts[group])
        end = int(self._starts[group + 1]) if group + 1 < len(self._starts) else len(self._procedures)
        return range(start, end)

    def _best_row(self, group: int, row_scores: np.ndarray) -> int:
        rows = self.group_rows(group)
        return rows.start + int(np.argmax(row_scores[rows.start:rows.stop]))

    def _prior_features(self, row: int) -> list[float]:
        """What kind of procedure this is: citizens mostly ask about commune- and province-level ones."""
        procedure = self._procedures[row]
        levels = set(procedure.levels)
        own = self._row_factor[row] > 1.0
        return [float("Cấp xã" in levels), float(bool(levels & {"Cấp tỉnh", "Cấp huyện"})),
                float(levels == {"Cấp bộ"}), float(not levels),
                float(any("Công dân" in s or "Hộ gia đình" in s or "Cá nhân" in s for s in procedure.subjects)),
                float(bool(procedure.province) and not own), float(own), float(procedure.detail != "full"),
                # offered online, or kept by several provinces: procedures people actually do
                float(procedure.online_level is not None), math.log1p(self._group_size(row)) / math.log(10)]

    def _group_size(self, row: int) -> int:
        return len(self.group_rows(int(self._group_of_row[row])))

    def _hit(self, group: int, score: float) -> Hit:
        procedure = self._procedures[self._representative(group)]
        return Hit(code=procedure.code, name=procedure.name, score=score)

    def _representative(self, group: int) -> int:
        """The configured province's variant, else the national record, else the first one."""
        return max(self.group_rows(group), key=lambda r: (self._row_factor[r], -r))

    def _province_factors(self, province: str | None, fusion: dict) -> np.ndarray:
        wanted = vntext.fold_diacritics(province or "").lower().strip()
        factors = np.ones(len(self._procedures), dtype=np.float32)
        for row, procedure in enumerate(self._procedures):
            if procedure.province:
                own = bool(wanted) and wanted in vntext.fold_diacritics(procedure.province).lower()
                factors[row] = 1.02 if own else fusion["other_province_factor"]
            elif procedure.detail != "full":
                factors[row] = fusion["summary_only_factor"]
        return factors
