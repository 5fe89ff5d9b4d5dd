"""Fielded BM25 over syllable unigrams and bigrams, stored as sparse matrices.

Each field gets a documents x vocabulary matrix of BM25 term weights; field weights are applied when the
index is loaded, so a query is one sparse column slice and a dot product.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import scipy.sparse as sp


def bm25_matrix(docs: list[list[str]], vocab: dict[str, int], k1: float, b: float) -> sp.csr_matrix:
    rows, cols, tfs = [], [], []
    lengths = np.zeros(len(docs), dtype=np.float32)
    for row, terms in enumerate(docs):
        counts: dict[int, int] = {}
        for term in terms:
            counts[vocab[term]] = counts.get(vocab[term], 0) + 1
        lengths[row] = len(terms)
        rows.extend([row] * len(counts))
        cols.extend(counts.keys())
        tfs.extend(counts.values())
    rows_a = np.asarray(rows, dtype=np.int64)
    cols_a = np.asarray(cols, dtype=np.int64)
    tf = np.asarray(tfs, dtype=np.float32)
    n_docs = max(len(docs), 1)
    df = np.bincount(cols_a, minlength=len(vocab)).astype(np.float32)
    idf = np.log(1.0 + (n_docs - df + 0.5) / (df + 0.5))
    avg = float(lengths.mean()) if len(docs) and lengths.mean() > 0 else 1.0
    norm = k1 * (1.0 - b + b * lengths[rows_a] / avg)
    weights = idf[cols_a] * tf * (k1 + 1.0) / (tf + norm)
    return sp.csr_matrix((weights, (rows_a, cols_a)), shape=(len(docs), len(vocab)), dtype=np.float32)


@dataclass
class LexicalIndex:
    vocab: dict[str, int]
    fields: dict[str, sp.csr_matrix]

    @classmethod
    def build(cls, field_docs: dict[str, list[list[str]]], k1: float, b: float) -> "LexicalIndex":
        vocab: dict[str, int] = {}
        for docs in field_docs.values():
            for terms in docs:
                for term in terms:
                    if term not in vocab:
                        vocab[term] = len(vocab)
        return cls(vocab=vocab, fields={name: bm25_matrix(docs, vocab, k1, b) for name, docs in field_docs.items()})

    def save(self, out_dir: Path) -> None:
        (out_dir / "lexical_vocab.json").write_text(json.dumps(self.vocab, ensure_ascii=False), encoding="utf-8")
        for name, matrix in self.fields.items():
            sp.save_npz(out_dir / f"lexical_{name}.npz", matrix)

    @classmethod
    def load(cls, out_dir: Path, field_names: list[str]) -> "LexicalIndex":
        vocab = json.loads((out_dir / "lexical_vocab.json").read_text(encoding="utf-8"))
        return cls(vocab=vocab, fields={n: sp.load_npz(out_dir / f"lexical_{n}.npz").tocsr() for n in field_names})


class LexicalScorer:
    """Weighted sum of the fields' BM25 scores; read-only after construction, so safe across threads."""

    def __init__(self, index: LexicalIndex, field_weights: dict[str, float]):
        self.vocab = index.vocab
        combined = None
        for name, weight in field_weights.items():
            if name in index.fields and weight:
                part = index.fields[name] * weight
                combined = part if combined is None else combined + part
        self.matrix = combined.tocsc()
        self.name_matrix = index.fields["name"].tocsr()
        self.n_docs = self.matrix.shape[0]

    def _columns(self, weights: dict[str, float]) -> tuple[np.ndarray, np.ndarray]:
        pairs = [(self.vocab[t], w) for t, w in weights.items() if t in self.vocab]
        if not pairs:
            return np.empty(0, dtype=np.int64), np.empty(0, dtype=np.float32)
        cols, ws = zip(*pairs)
        return np.asarray(cols, dtype=np.int64), np.asarray(ws, dtype=np.float32)

    def scores(self, weights: dict[str, float]) -> np.ndarray:
        cols, ws = self._columns(weights)
        if len(cols) == 0:
            return np.zeros(self.n_docs, dtype=np.float32)
        return np.asarray(self.matrix[:, cols] @ ws).ravel()

    def name_coverage(self, doc: int, terms: list[str], idf_weights: dict[str, float]) -> float:
        """Share of the query's unigram weight whose term appears in the procedure's name."""
        row = self.name_matrix.getrow(doc)
        present = set(row.indices.tolist())
        total = hit = 0.0
        for term in terms:
            w = idf_weights.get(term, 0.0)
            total += w
            if self.vocab.get(term, -1) in present:
                hit += w
        return hit / total if total else 0.0
