"""Answered questions: a memory of citizens' questions, each with the procedure(s) that answered it.

How citizens name a procedure is best learnt from questions already answered: "sang tên sổ đỏ" is an
"Đăng ký biến động ..." procedure, "tiền thất nghiệp" is "Hưởng trợ cấp thất nghiệp". The memory is data
(`data/answered.jsonl`, one `{"question", "codes"}` per line) that officers extend without code. The ranker
reads how close a question is to the answered questions of each candidate, in words (idf-weighted overlap)
and, with an encoder, in e5 vectors. A line with no codes (`"codes": []`) is a question no procedure
answers (a bank account, a foreign visa, chit-chat): closeness to those is evidence for the verdict
`none`. The memory must never hold evaluation questions (a test checks it), or the evaluation would
measure memory instead of search.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from scipy import sparse

from procedure_index.analysis import QueryAnalysis

ANSWERED_FILE = Path(__file__).parent / "data" / "answered.jsonl"
INDEX_FILE, VECTORS_FILE = "answered.json", "answered.npy"


@dataclass(frozen=True)
class AnsweredQuestion:
    question: str
    codes: list[str]


def load_answered(path: Path = ANSWERED_FILE) -> list[AnsweredQuestion]:
    """The memory file; lines that are not a question with a list of codes are skipped (the test counts
    them). An empty list marks a question no procedure answers."""
    answered = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        item = json.loads(line)
        if item.get("question") and isinstance(item.get("codes"), list):
            answered.append(AnsweredQuestion(item["question"], list(item["codes"])))
    return answered


@dataclass
class Closeness:
    """How close a question is to the memory: per group of procedures, the best word and vector
    similarity to one of its answered questions; and the best similarity to a question no procedure
    answers."""
    words: dict[int, float]
    vectors: dict[int, float]
    unanswerable: float = 0.0


def dense_query_text(query: QueryAnalysis, max_syllables: int) -> str:
    """What the encoder sees of a question (the first content syllables; see search.yml `dense`)."""
    return " ".join(query.tokens[:max_syllables]) or query.text


@dataclass
class AnsweredMemory:
    """The analysed memory as stored in an index: content syllables and, with an encoder, vectors."""
    codes: list[list[str]]
    folded: list[list[str]]
    vectors: np.ndarray | None = None

    def save(self, out_dir: Path) -> None:
        payload = [{"codes": c, "folded": f} for c, f in zip(self.codes, self.folded)]
        (out_dir / INDEX_FILE).write_text(json.dumps(payload, ensure_ascii=False), encoding="utf-8")
        vectors_path = out_dir / VECTORS_FILE
        if self.vectors is not None:
            np.save(vectors_path, self.vectors.astype(np.float32))
        elif vectors_path.exists():
            vectors_path.unlink()

    @classmethod
    def load(cls, index_dir: Path) -> "AnsweredMemory | None":
        path = index_dir / INDEX_FILE
        if not path.exists():
            return None  # an index built before the memory existed still searches
        payload = json.loads(path.read_text(encoding="utf-8"))
        vectors_path = index_dir / VECTORS_FILE
        vectors = np.load(vectors_path) if vectors_path.exists() else None
        return cls([p["codes"] for p in payload], [p["folded"] for p in payload], vectors)


class AnsweredMatcher:
    """Per group of procedures: how close a question is to the group's answered questions."""

    def __init__(self, memory: AnsweredMemory, group_of_code: dict[str, int], idf: dict[str, float],
                 word_floor: float, dense_floor: float):
        self._groups: list[list[int]] = []  # empty for a question no procedure answers
        kept: list[int] = []
        for i, codes in enumerate(memory.codes):
            groups = sorted({group_of_code[c] for c in codes if c in group_of_code})
            if groups or not codes:  # a catalog without the procedure (a small test catalog) ignores it
                self._groups.append(groups)
                kept.append(i)
        self._idf = idf
        # A word no procedure uses weighs as much as the rarest one: "móc túi" is what the memory teaches.
        self._unknown_weight = max(idf.values(), default=1.0)
        words = [set(memory.folded[i]) for i in kept]
        self._totals = np.asarray([sum(self._weight(t) for t in w) for w in words], dtype=np.float64)
        # Which answered question holds which word, as a sparse matrix: one product gives every overlap
        # (a loop over the postings of common words cost more than the rest of a lexical search).
        self._vocabulary: dict[str, int] = {}
        rows, columns = [], []
        for e, entry_words in enumerate(words):
            for term in entry_words:
                rows.append(e)
                columns.append(self._vocabulary.setdefault(term, len(self._vocabulary)))
        self._holds = sparse.csc_matrix((np.ones(len(rows), dtype=np.float64), (rows, columns)),
                                        shape=(len(words), len(self._vocabulary)))
        self._vectors = memory.vectors[kept] if memory.vectors is not None and kept else None
        self._word_floor, self._dense_floor = word_floor, dense_floor

    def _weight(self, word: str) -> float:
        return self._idf.get(f"f:{word}", self._unknown_weight)

    def closeness(self, query: QueryAnalysis, vector: np.ndarray | None,
                  unseen: frozenset[int] = frozenset()) -> Closeness:
        """Group -> best word similarity and group -> best vector similarity over its answered questions,
        and the best of either over the questions no procedure answers. Groups in `unseen` are treated as
        never asked about: how search does on a procedure the memory does not hold (leave-procedure-out).

        Words: idf-weighted Dice overlap of the content syllables (both sides must be explained), rescaled
        from a floor: sharing "thành lập" with a question about another kind of company is no evidence.
        Vectors: cosine rescaled from the floor (question-to-question cosines of unrelated texts are high)."""
        asked = {t: self._weight(t) for t in query.folded}
        asked_total = sum(asked.values())
        found = Closeness({}, {})
        known = [t for t in asked if t in self._vocabulary]
        if known:
            overlap = self._holds[:, [self._vocabulary[t] for t in known]] @ np.asarray([asked[t] for t in known])
            dice = 2.0 * overlap / np.maximum(asked_total + self._totals, 1e-9)
            for e in np.flatnonzero(dice > self._word_floor):
                self._credit(int(e), _above(float(dice[e]), self._word_floor), found, found.words, unseen)
        if self._vectors is not None and vector is not None:
            cosines = np.einsum("ij,j->i", self._vectors, vector)  # einsum, not `@`: see ProcedureSearch.candidates
            for e in np.flatnonzero(cosines > self._dense_floor):
                self._credit(int(e), _above(float(cosines[e]), self._dense_floor), found, found.vectors, unseen)
        return found

    def _credit(self, entry: int, score: float, found: Closeness, per_group: dict[int, float],
                unseen: frozenset[int]) -> None:
        if score <= 0.0:
            return
        if not self._groups[entry]:
            found.unanswerable = max(found.unanswerable, score)
        for g in self._groups[entry]:
            if g not in unseen:
                per_group[g] = max(per_group.get(g, 0.0), score)


def _above(value: float, floor: float) -> float:
    """0 at or below the floor, rising to 1 at 1."""
    return max(0.0, (value - floor) / (1.0 - floor))
