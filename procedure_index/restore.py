"""Diacritic restoration for questions typed without diacritics ("lam giay khai sinh" -> "làm giấy khai sinh").

A syllable bigram language model trained on the catalog's own text, decoded with Viterbi over the
accented forms each folded syllable was seen with. Standard library only; the model is a small pickle.
"""
from __future__ import annotations

import math
import pickle
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable

from procedure_index import vntext

BOUNDARY = "<s>"


@dataclass
class RestorationModel:
    candidates: dict[str, list[str]] = field(default_factory=dict)  # folded -> accented forms, likeliest first
    unigrams: dict[str, int] = field(default_factory=dict)
    bigrams: dict[tuple[str, str], int] = field(default_factory=dict)
    total: int = 0
    smoothing: float = 2.0  # weight of the unigram back-off in the interpolated bigram

    # --- training ---------------------------------------------------------------------------------

    @classmethod
    def train(cls, sentences: Iterable[list[str]], min_bigram_count: int = 1) -> "RestorationModel":
        unigrams: Counter[str] = Counter()
        bigrams: Counter[tuple[str, str]] = Counter()
        for tokens in sentences:
            previous = BOUNDARY
            for token in tokens:
                unigrams[token] += 1
                bigrams[(previous, token)] += 1
                previous = token
            unigrams[BOUNDARY] += 1
        by_fold: dict[str, Counter[str]] = defaultdict(Counter)
        for token, count in unigrams.items():
            if token != BOUNDARY:
                by_fold[vntext.fold_diacritics(token)][token] += count
        model = cls()
        model.candidates = {f: [t for t, _ in c.most_common()] for f, c in by_fold.items()}
        model.unigrams = dict(unigrams)
        model.bigrams = {k: v for k, v in bigrams.items() if v >= min_bigram_count}
        model.total = sum(unigrams.values())
        return model

    # --- scoring ----------------------------------------------------------------------------------

    def _log_prob(self, previous: str, token: str) -> float:
        unigram = (self.unigrams.get(token, 0) + 0.1) / (self.total + 1.0)
        context = self.unigrams.get(previous, 0)
        pair = self.bigrams.get((previous, token), 0)
        return math.log((pair + self.smoothing * unigram) / (context + self.smoothing))

    def restore_tokens(self, tokens: list[str]) -> list[str]:
        """Viterbi over candidates; tokens that already carry diacritics or are unknown stay as typed."""
        if not tokens:
            return []
        lattice: list[list[str]] = []
        for token in tokens:
            if vntext.has_diacritics(token):
                lattice.append([token])
            else:
                lattice.append(self.candidates.get(token, [token])[:8])
        # best[j] = (log prob, back pointer) for candidate j at the current position
        scores = {c: self._log_prob(BOUNDARY, c) for c in lattice[0]}
        back: list[dict[str, str]] = []
        for position in range(1, len(lattice)):
            new_scores: dict[str, float] = {}
            pointers: dict[str, str] = {}
            for candidate in lattice[position]:
                best_prev, best = None, -math.inf
                for prev, score in scores.items():
                    value = score + self._log_prob(prev, candidate)
                    if value > best:
                        best_prev, best = prev, value
                new_scores[candidate] = best
                pointers[candidate] = best_prev
            scores = new_scores
            back.append(pointers)
        last = max(scores, key=scores.get)
        path = [last]
        for pointers in reversed(back):
            path.append(pointers[path[-1]])
        return list(reversed(path))

    def restore(self, text: str) -> str:
        return " ".join(self.restore_tokens(vntext.syllables(text)))

    # --- storage ----------------------------------------------------------------------------------

    def save(self, path: Path) -> None:
        with Path(path).open("wb") as handle:
            pickle.dump({"candidates": self.candidates, "unigrams": self.unigrams, "bigrams": self.bigrams,
                         "total": self.total, "smoothing": self.smoothing}, handle, protocol=5)

    @classmethod
    def load(cls, path: Path) -> "RestorationModel":
        with Path(path).open("rb") as handle:
            return cls(**pickle.load(handle))


def syllable_accuracy(model: RestorationModel, sentences: Iterable[list[str]]) -> tuple[float, int]:
    """Share of syllables restored exactly, over held-out accented sentences; returns (accuracy, syllables)."""
    right = total = 0
    for tokens in sentences:
        folded = [vntext.fold_diacritics(t) for t in tokens]
        restored = model.restore_tokens(folded)
        right += sum(1 for a, b in zip(restored, tokens) if a == b)
        total += len(tokens)
    return (right / total if total else 0.0), total
