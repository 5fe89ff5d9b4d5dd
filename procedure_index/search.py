"""Hybrid procedure search: normalise -> lexical + dense -> fuse -> group variants -> verdict.

``ProcedureSearch`` is read-only after loading, so one instance serves concurrent requests.
"""
from __future__ import annotations

import json
import math
import threading
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from procedure_index import vntext
from procedure_index.analysis import QueryAnalysis, analyze_query, query_terms
from procedure_index.build import FIELD_NAMES
from procedure_index.catalog import Procedure
from procedure_index.config import load_search_config
from procedure_index.encoders import NO_ENCODER, Encoder, load_encoder
from procedure_index.lexical import LexicalIndex, LexicalScorer
from procedure_index.restore import RestorationModel

CONFIDENT, AMBIGUOUS, NONE = "confident", "ambiguous", "none"
# Candidate features of the linear ranker; weights in search.yml (`ranking`), refitted by `calibrate`.
RANKING_FEATURES = ["lexical", "lex_name", "lex_meta", "lex_text", "dense", "dense_gap", "name_fit", "level_commune", "level_province",
                    "level_ministry_only", "no_level", "for_citizens", "other_province", "own_province",
                    "summary_only"]


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


def _logistic(weights: dict[str, float], features: dict[str, float]) -> float:
    z = weights.get("bias", 0.0) + sum(w * features.get(name, 0.0) for name, w in weights.items() if name != "bias")
    return 1.0 / (1.0 + math.exp(-max(min(z, 50.0), -50.0)))


class ProcedureSearch:
    def __init__(self, index_dir: Path, procedures: list[Procedure], group_starts: list[int], scorer: LexicalScorer,
                 idf: dict[str, float], restorer: RestorationModel, encoder: Encoder | None, dense_index,
                 province: str | None, config: dict):
        self.index_dir = index_dir
        self._procedures = procedures
        self._by_code = {p.code: p for p in procedures}
        self._starts = np.asarray(group_starts, dtype=np.int64)
        self._group_of_row = np.repeat(np.arange(len(group_starts)), np.diff(np.append(self._starts, len(procedures))))
        self._scorer = scorer
        self._idf = idf
        self._restorer = restorer
        self._encoder = encoder
        self._dense_index = dense_index
        self._encode_lock = threading.Lock()  # the native encoders are not documented as re-entrant
        self.province = province
        self.config = config
        query_config = config["query"]
        self._filler_phrases = sorted((tuple(vntext.syllables(p)) for p in query_config["filler_phrases"]),
                                      key=len, reverse=True)
        self._filler_words = {s for w in query_config["filler_words"] for s in vntext.syllables(w)}
        self._row_factor = self._province_factors(province, config["fusion"])
        self._group_names = [self._name_terms(self._procedures[int(s)].name) for s in self._starts]
        self._group_priors = np.asarray([self._prior_features(self._representative(g))
                                         for g in range(len(self._starts))], dtype=np.float32)

    # --- loading ----------------------------------------------------------------------------------

    @classmethod
    def load(cls, index_dir: Path | str, province: str | None = "Thái Nguyên",
             embedding_model: str | None = None) -> "ProcedureSearch":
        index_dir = Path(index_dir)
        manifest = json.loads((index_dir / "manifest.json").read_text(encoding="utf-8"))
        config = load_search_config()
        procedures = [Procedure(**json.loads(line)) for line in
                      (index_dir / "procedures.jsonl").read_text(encoding="utf-8").splitlines() if line]
        starts = json.loads((index_dir / "groups.json").read_text(encoding="utf-8"))
        lexical = LexicalIndex.load(index_dir, FIELD_NAMES)
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
        return cls(index_dir, procedures, starts, scorer, idf, restorer, encoder, dense_index, province, config)

    # --- public API -------------------------------------------------------------------------------

    @property
    def procedures(self) -> int:
        return len(self._procedures)

    def get(self, code: str) -> Procedure | None:
        return self._by_code.get(code)

    def search(self, question: str, k: int = 5) -> SearchResponse:
        query = analyze_query(question, self._restorer, self._filler_phrases, self._filler_words)
        if not query.tokens:
            return SearchResponse(verdict=NONE, features={"empty": 1.0})
        candidates = self.candidates(query)
        if len(candidates.groups) == 0:
            return SearchResponse(verdict=NONE, features={"empty": 1.0})
        hits = [self._hit(int(g), float(s)) for g, s in zip(candidates.groups[:k], candidates.fused[:k])]
        features = self.verdict_features(query, candidates)
        return SearchResponse(verdict=self.decide(features), results=hits, features=features)

    # --- stages -----------------------------------------------------------------------------------

    def candidates(self, query: QueryAnalysis) -> Candidates:
        """Pool the best groups of both retrievers, then rank them by a linear model over their features."""
        lex_config = self.config["lexical"]
        accented_weight = (lex_config["restored_accented_weight"] if query.restored
                           else lex_config["accented_weight"])
        terms = query_terms(query, lex_config["bigram_weight"], accented_weight)
        row_scores = self._scorer.scores(terms)
        group_lex = np.maximum.reduceat(row_scores, self._starts) if len(row_scores) else row_scores
        pool = set(np.argsort(-group_lex)[: lex_config["candidates"]].tolist())
        pool = {g for g in pool if group_lex[g] > 0}
        group_dense: dict[int, float] = {}
        if self._encoder is not None:
            group_dense = self._dense_search(query, self.config["dense"]["candidates"])
            pool |= set(group_dense)
        if not pool:
            return Candidates(np.empty(0, np.int64), np.empty(0), np.empty(0), np.empty(0), np.empty((0, 0)))
        groups = np.fromiter(sorted(pool), dtype=np.int64)
        lexical = group_lex[groups]
        dense = np.asarray([group_dense.get(int(g), 0.0) for g in groups], dtype=np.float32)
        rows = np.asarray([self._best_row(int(g), row_scores) for g in groups], dtype=np.int64)
        per_field = self._scorer.field_scores(terms, rows)
        features = self.ranking_features(query, groups, lexical, dense, per_field)
        weights = self.config["ranking"]["weights"]
        vector = np.asarray([weights.get(name, 0.0) for name in RANKING_FEATURES], dtype=np.float32)
        fused = features @ vector
        order = np.argsort(-fused, kind="stable")
        return Candidates(groups[order], fused[order], lexical[order], dense[order], features[order])

    def ranking_features(self, query: QueryAnalysis, groups: np.ndarray, lexical: np.ndarray,
                         dense: np.ndarray, per_field: dict[str, np.ndarray]) -> np.ndarray:
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
        priors = self._group_priors[groups]
        return np.column_stack(columns + [priors[:, i] for i in range(priors.shape[1])]).astype(np.float32)

    def _dense_search(self, query: QueryAnalysis, n: int) -> dict[int, float]:
        text = " ".join(query.tokens) or query.text
        with self._encode_lock:
            vector = self._encoder.encode_queries([text])
        scores, ids = self._dense_index.search(np.asarray(vector, dtype=np.float32), n)
        return {int(i): float(s) for i, s in zip(ids[0], scores[0]) if i >= 0}

    def verdict_features(self, query: QueryAnalysis, candidates: Candidates) -> dict[str, float]:
        """Generic evidence that the question is about a procedure and that the top one is right."""
        idf = self._idf
        top_row = self._representative(int(candidates.groups[0]))
        coverage = self._scorer.name_coverage(top_row, [f"f:{t}" for t in query.folded], idf)
        second = float(candidates.fused[1]) if len(candidates.fused) > 1 else 0.0
        query_weight = sum(idf.get(f"f:{t}", 0.0) for t in query.folded) or 1.0
        return {
            "top_score": float(candidates.fused[0]),
            "margin": float(candidates.fused[0]) - second,
            "coverage": coverage,
            "top_cosine": float(candidates.dense[0]),
            "lexical_strength": math.log1p(float(candidates.lexical[0]) / query_weight),
            "content_tokens": math.log1p(len(query.tokens)),
        }

    @property
    def mode(self) -> str:
        """"dense" or "lexical": verdict models are fitted per mode (their features differ)."""
        return "dense" if self._encoder is not None else "lexical"

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

    def _name_terms(self, name: str) -> tuple[dict[str, float], float]:
        """Folded name syllables (without the generic "thủ tục") with their idf, and the idf total."""
        tokens = [t for t in vntext.normalize_tokens(name, fold=True) if t not in ("thu", "tuc")]
        head = self.config["ranking"].get("name_fit_head_syllables")
        if head:
            tokens = tokens[:head]  # long names end in lists of cases; the head says what the procedure is
        weights = {t: self._idf.get(f"f:{t}", 0.0) for t in tokens}
        return weights, sum(weights.values()) or 1.0

    def _name_fit(self, group: int, query: QueryAnalysis) -> float:
        """Share of the procedure name the question covers: favours "Đăng ký khai sinh" over its long variants."""
        weights, total = self._group_names[group]
        asked = set(query.folded)
        return sum(w for t, w in weights.items() if t in asked) / total

    def _best_row(self, group: int, row_scores: np.ndarray) -> int:
        start = int(self._starts[group])
        end = int(self._starts[group + 1]) if group + 1 < len(self._starts) else len(self._procedures)
        return start + int(np.argmax(row_scores[start:end]))

    def _prior_features(self, row: int) -> list[float]:
        """What kind of procedure this is: citizens mostly ask about commune- and province-level ones."""
        procedure = self._procedures[row]
        levels = set(procedure.levels)
        own = self._row_factor[row] > 1.0
        return [float("Cấp xã" in levels), float(bool(levels & {"Cấp tỉnh", "Cấp huyện"})),
                float(levels == {"Cấp bộ"}), float(not levels),
                float(any("Công dân" in s or "Hộ gia đình" in s or "Cá nhân" in s for s in procedure.subjects)),
                float(bool(procedure.province) and not own), float(own), float(procedure.detail != "full")]

    def _hit(self, group: int, score: float) -> Hit:
        procedure = self._procedures[self._representative(group)]
        return Hit(code=procedure.code, name=procedure.name, score=score)

    def _representative(self, group: int) -> int:
        """The configured province's variant, else the national record, else the first one."""
        start = int(self._starts[group])
        end = int(self._starts[group + 1]) if group + 1 < len(self._starts) else len(self._procedures)
        rows = range(start, end)
        return max(rows, key=lambda r: (self._row_factor[r], -r))

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
