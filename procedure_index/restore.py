"""Diacritic restoration for questions typed without diacritics ("lam giay khai sinh" -> "làm giấy khai sinh").

Two syllable bigram language models, interpolated: one trained on the catalog's own text (the words of
procedures), one on everyday chat wording (how citizens ask: "bố", "cần gì", "sổ đỏ"), which legal text
alone gets wrong ("bộ", "cán gì", "số đỏ"). Decoded with Viterbi over the accented forms each folded
syllable was seen with. Standard library only; the model is a small pickle.
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
class BigramCounts:
    unigrams: dict[str, int] = field(default_factory=dict)
    bigrams: dict[tuple[str, str], int] = field(default_factory=dict)
    total: int = 0

    @classmethod
    def count(cls, sentences: Iterable[list[str]]) -> "BigramCounts":
        unigrams: Counter[str] = Counter()
        bigrams: Counter[tuple[str, str]] = Counter()
        for tokens in sentences:
            previous = BOUNDARY
            for token in tokens:
                unigrams[token] += 1
                bigrams[(previous, token)] += 1
                previous = token
            unigrams[BOUNDARY] += 1
        return cls(dict(unigrams), dict(bigrams), sum(unigrams.values()))

    def probability(self, previous: str, token: str, smoothing: float) -> float:
        """Bigram interpolated with the unigram (add-0.1), so unseen pairs keep a small probability."""
        unigram = (self.unigrams.get(token, 0) + 0.1) / (self.total + 1.0)
        context = self.unigrams.get(previous, 0)
        pair = self.bigrams.get((previous, token), 0)
        return (pair + smoothing * unigram) / (context + smoothing)


@dataclass
class RestorationModel:
    candidates: dict[str, list[str]] = field(default_factory=dict)  # folded -> accented forms, likeliest first
    catalog: BigramCounts = field(default_factory=BigramCounts)
    everyday: BigramCounts = field(default_factory=BigramCounts)
    everyday_weight: float = 0.3  # share of the everyday model in the interpolation
    smoothing: float = 2.0  # weight of the unigram back-off in each bigram model

    # --- training ---------------------------------------------------------------------------------

    @classmethod
    def train(cls, sentences: Iterable[list[str]], everyday: Iterable[list[str]] = (),
              everyday_weight: float = 0.3) -> "RestorationModel":
        model = cls(catalog=BigramCounts.count(sentences), everyday=BigramCounts.count(everyday),
                    everyday_weight=everyday_weight if everyday else 0.0)
        by_fold: dict[str, Counter[str]] = defaultdict(Counter)
        for counts in (model.catalog, model.everyday):
            for token, count in counts.unigrams.items():
                if token != BOUNDARY:
                    by_fold[vntext.fold_diacritics(token)][token] += count
        model.candidates = {f: [t for t, _ in c.most_common()] for f, c in by_fold.items()}
        return model

    # --- scoring ----------------------------------------------------------------------------------

    def _log_prob(self, previous: str, token: str) -> float:
        weight = self.everyday_weight if self.everyday.total else 0.0
        probability = (1.0 - weight) * self.catalog.probability(previous, token, self.smoothing)
        if weight:
            probability += weight * self.everyday.probability(previous, token, self.smoothing)
        return math.log(probability)

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
            pickle.dump(self, handle, protocol=5)

    @classmethod
    def load(cls, path: Path) -> "RestorationModel":
        with Path(path).open("rb") as handle:
            model = pickle.load(handle)
        if not isinstance(model, cls):
            raise ValueError(f"{path} does not hold a restoration model; rebuild the index")
        return model


def syllable_accuracy(model: RestorationModel, sentences: Iterable[list[str]]) -> tuple[float, int]:
    """Share of syllables restored exactly, over held-out accented sentences; returns (accuracy, syllables)."""
    right = total = 0
    for tokens in sentences:
        folded = [vntext.fold_diacritics(t) for t in tokens]
        restored = model.restore_tokens(folded)
        right += sum(1 for a, b in zip(restored, tokens) if a == b)
        total += len(tokens)
    return (right / total if total else 0.0), total
