"""Retrieval metrics (top-1/3/5, MRR) and verdict rates over labeled questions (dev.jsonl format)."""
from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterable

from procedure_index import vntext

Ranker = Callable[[str], list[str]]  # question -> ranked codes


@dataclass
class Question:
    id: str
    question: str
    codes: list[str]
    kind: str = "procedure"
    split: str | None = None

    @property
    def in_scope(self) -> bool:
        return bool(self.codes)


def load_questions(path: Path) -> list[Question]:
    questions = []
    for number, line in enumerate(Path(path).read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        raw = json.loads(line)
        questions.append(Question(id=str(raw.get("id", number)), question=raw["question"],
                                  codes=list(raw.get("codes") or []), kind=raw.get("kind", "procedure"),
                                  split=raw.get("split")))
    return questions


def strip_diacritics(text: str) -> str:
    return vntext.fold_diacritics(text)


@dataclass
class Metrics:
    n: int
    top1: float
    top3: float
    top5: float
    mrr: float

    def row(self) -> str:
        return f"{self.n:>4}  {self.top1:.3f}  {self.top3:.3f}  {self.top5:.3f}  {self.mrr:.3f}"


def rank_metrics(questions: Iterable[Question], ranker: Ranker) -> Metrics:
    """A question counts as found at rank r when any of its labeled codes is at rank r."""
    hits = {1: 0, 3: 0, 5: 0}
    reciprocal = 0.0
    n = 0
    for q in questions:
        if not q.in_scope:
            continue
        n += 1
        ranked = ranker(q.question)
        wanted = set(q.codes)
        rank = next((i + 1 for i, code in enumerate(ranked) if code in wanted), None)
        if rank is not None:
            reciprocal += 1.0 / rank
            for cut in hits:
                if rank <= cut:
                    hits[cut] += 1
    div = n or 1
    return Metrics(n, hits[1] / div, hits[3] / div, hits[5] / div, reciprocal / div)


def with_stripped(questions: list[Question]) -> list[Question]:
    return [Question(q.id, strip_diacritics(q.question), q.codes, q.kind, q.split) for q in questions]


def codes_by_text(questions: list[Question]) -> dict[str, list[str]]:
    """Each question's text, as written and without diacritics, to its codes: what a leave-procedure-out
    ranker hides from the memory (rankers see the text only). Identical texts labeled differently hide
    the procedures of both."""
    codes: dict[str, list[str]] = {}
    for q in questions + with_stripped(questions):
        known = codes.setdefault(q.question, [])
        known.extend(c for c in q.codes if c not in known)
    return codes
