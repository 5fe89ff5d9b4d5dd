"""Fielded BM25 over syllable unigrams and bigrams, stored as sparse matrices.

Each field gets a documents x vocabulary matrix of BM25 term weights; field weights are applied when the
index is loaded, so a query is one sparse column slice and a dot product.
"""
from __future__ import annotations

import json
from array import array
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterable

import numpy as np
import scipy.sparse as sp


def bm25_matrix(docs: Iterable[list[str]], vocab: dict[str, int], k1: float, b: float,
                grow_vocab: bool = False) -> sp.csr_matrix:
    """BM25 weight of every (document, term); terms missing from vocab are added when grow_vocab."""
    rows, cols, tfs = array("i"), array("i"), array("f")  # compact: millions of entries on a full catalog
    lengths = array("f")
    for row, terms in enumerate(docs):
        counts: dict[int, int] = {}
        for term in terms:
            column = vocab.get(term)
            if column is None:
                if not grow_vocab:
                    continue
                column = vocab[term] = len(vocab)
            counts[column] = counts.get(column, 0) + 1
        lengths.append(len(terms))
        rows.extend([row] * len(counts))
        cols.extend(counts.keys())
        tfs.extend(counts.values())
    n_docs = len(lengths)
    rows_a = np.frombuffer(rows, dtype=np.int32).astype(np.int64)
    cols_a = np.frombuffer(cols, dtype=np.int32).astype(np.int64)
    tf = np.frombuffer(tfs, dtype=np.float32)
    length = np.frombuffer(lengths, dtype=np.float32)
    df = np.bincount(cols_a, minlength=len(vocab)).astype(np.float32)
    idf = np.log(1.0 + (max(n_docs, 1) - df + 0.5) / (df + 0.5))
    avg = float(length.mean()) if n_docs and length.mean() > 0 else 1.0
    norm = k1 * (1.0 - b + b * length[rows_a] / avg)
    weights = idf[cols_a] * tf * (k1 + 1.0) / (tf + norm)
    return sp.csr_matrix((weights, (rows_a, cols_a)), shape=(n_docs, len(vocab)), dtype=np.float32)


@dataclass
class LexicalIndex:
    vocab: dict[str, int]
    fields: dict[str, sp.csr_matrix]

    @classmethod
    def build(cls, field_docs: dict[str, Callable[[], Iterable[list[str]]]], k1: float, b: float) -> "LexicalIndex":
        """field name -> a function yielding each document's terms (generated lazily to save memory)."""
        vocab: dict[str, int] = {}
        fields = {name: bm25_matrix(make_docs(), vocab, k1, b, grow_vocab=True) for name, make_docs in field_docs.items()}
        return cls(vocab=vocab, fields={name: m.tocsr() for name, m in
                                        ((n, sp.csr_matrix((m.data, m.indices, m.indptr), shape=(m.shape[0], len(vocab))))
                                         for n, m in fields.items())})

    def document_frequency_idf(self) -> np.ndarray:
        """idf of each term counting a procedure once whichever fields contain it."""
        present = None
        for matrix in self.fields.values():
            binary = (matrix > 0).astype(np.float32)
            present = binary if present is None else present + binary
        n_docs = present.shape[0]
        df = np.asarray((present > 0).sum(axis=0)).ravel().astype(np.float32)
        return np.log(1.0 + (n_docs - df + 0.5) / (df + 0.5)).astype(np.float32)

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
        self.field_matrices = {name: m.tocsc() for name, m in index.fields.items()}
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

    def field_scores(self, weights: dict[str, float], rows: np.ndarray) -> dict[str, np.ndarray]:
        """Unweighted BM25 score of each field, for the given document rows only."""
        cols, ws = self._columns(weights)
        out = {}
        for name, matrix in self.field_matrices.items():
            if len(cols) == 0:
                out[name] = np.zeros(len(rows), dtype=np.float32)
            else:
                out[name] = np.asarray(matrix[:, cols][rows] @ ws).ravel()
        return out

    def presence(self, terms: list[str], rows: np.ndarray, fields: tuple[str, ...]) -> np.ndarray:
        """rows x terms, 1.0 where the term occurs in any of the fields of that document."""
        out = np.zeros((len(rows), len(terms)), dtype=np.float32)
        known = [(i, self.vocab[t]) for i, t in enumerate(terms) if t in self.vocab]
        if not known or len(rows) == 0:
            return out
        positions, cols = (np.asarray(x, dtype=np.int64) for x in zip(*known))
        for name in fields:
            found = self.field_matrices[name][:, cols][rows].toarray() > 0
            out[:, positions] = np.maximum(out[:, positions], found)
        return out

    def name_frequency(self, term: str) -> int:
        """How many procedure names contain the term."""
        column = self.vocab.get(term)
        if column is None:
            return 0
        indptr = self.field_matrices["name"].indptr
        return int(indptr[column + 1] - indptr[column])

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
