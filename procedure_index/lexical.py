"""Fielded BM25 over syllable unigrams and bigrams, stored as sparse matrices.

Each field gets a documents x vocabulary matrix of BM25 term weights; field weights are applied when the
index is loaded, so a query is one sparse column slice and a dot product.
"""
from __future__ import annotations

import json
from array import array
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable

import numpy as np
import scipy.sparse as sp


# Rows, columns or entries per numpy step where a whole-matrix temporary would take hundreds of MB (the
# text field of a 50,000-record catalog has ~20 million (document, term) entries).
ROW_BLOCK = 4096
COLUMN_BLOCK = 4096
ENTRY_BLOCK = 1 << 20


class TermCounts:
    """Raw counts of one field's terms, document by document, in compressed-row layout with 4-byte columns
    and counts; `bm25` turns them into the weight matrix in place."""

    def __init__(self) -> None:
        self.row_ends = array("q")
        self.columns = array("i")
        self.counts = array("f")
        self.lengths = array("f")

    def add(self, terms: list[str], vocab: dict[str, int], grow_vocab: bool) -> None:
        """Count one document's terms; terms missing from vocab are added when grow_vocab, else skipped."""
        counts: dict[int, int] = {}
        for term in terms:
            column = vocab.get(term)
            if column is None:
                if not grow_vocab:
                    continue
                column = vocab[term] = len(vocab)
            counts[column] = counts.get(column, 0) + 1
        self.lengths.append(len(terms))
        self.columns.extend(counts.keys())
        self.counts.extend(counts.values())
        self.row_ends.append(len(self.columns))

    def renumber(self, new_columns: np.ndarray) -> None:
        """Replace every column id c by new_columns[c]."""
        columns = np.frombuffer(self.columns, dtype=np.int32)
        for start in range(0, len(columns), ENTRY_BLOCK):
            block = columns[start:start + ENTRY_BLOCK]
            block[:] = new_columns[block]

    def bm25(self, n_columns: int, k1: float, b: float) -> sp.csr_matrix:
        """BM25 weight of every (document, term), written over the counts (this object is spent after)."""
        n_docs = len(self.lengths)
        columns = np.frombuffer(self.columns, dtype=np.int32)
        weights = np.frombuffer(self.counts, dtype=np.float32)  # term frequencies until weighted
        length = np.frombuffer(self.lengths, dtype=np.float32)
        indptr = np.zeros(n_docs + 1, dtype=np.int64)
        indptr[1:] = np.frombuffer(self.row_ends, dtype=np.int64)
        df = np.zeros(n_columns, dtype=np.int64)
        for start in range(0, len(columns), ENTRY_BLOCK):
            df += np.bincount(columns[start:start + ENTRY_BLOCK], minlength=n_columns)
        df = df.astype(np.float32)
        idf = np.log(1.0 + (max(n_docs, 1) - df + 0.5) / (df + 0.5))
        avg = float(length.mean()) if n_docs and length.mean() > 0 else 1.0
        row_norm = k1 * (1.0 - b + b * length / avg)
        # Element by element the same float32 operations as on whole arrays: only the temporaries are smaller.
        for start in range(0, n_docs, ROW_BLOCK):
            stop = min(start + ROW_BLOCK, n_docs)
            first, last = indptr[start], indptr[stop]
            tf = weights[first:last]
            norm = np.repeat(row_norm[start:stop], np.diff(indptr[start:stop + 1]))
            weights[first:last] = idf[columns[first:last]] * tf * (k1 + 1.0) / (tf + norm)
        matrix = sp.csr_matrix((weights, columns, indptr), shape=(n_docs, n_columns), dtype=np.float32)
        matrix.sort_indices()  # columns in order within each row, as scipy's own conversions leave them
        return matrix


def bm25_matrix(docs: Iterable[list[str]], vocab: dict[str, int], k1: float, b: float,
                grow_vocab: bool = False) -> sp.csr_matrix:
    """BM25 weight of every (document, term); terms missing from vocab are added when grow_vocab."""
    counts = TermCounts()
    for terms in docs:
        counts.add(terms, vocab, grow_vocab)
    return counts.bm25(len(vocab), k1, b)


def weighted_sum(matrices: dict[str, sp.csc_matrix], weights: dict[str, float]) -> sp.csc_matrix:
    """Sum of weight x matrix over the weighted fields, a block of columns at a time. Every element is
    added in the same order as in a whole-matrix sum, so the values are the same; the whole-matrix sum
    holds a weighted copy of each field and an over-sized result (~0.7 GB more on 50,000 records)."""
    parts = [(matrices[name], weight) for name, weight in weights.items() if name in matrices and weight]
    n_rows, n_columns = parts[0][0].shape
    # Room for every field's entries (the sum has fewer): pages never written take no memory.
    capacity = sum(matrix.nnz for matrix, _ in parts)
    data = np.empty(capacity, dtype=np.float32)
    indices = np.empty(capacity, dtype=np.int32)
    indptr = np.zeros(n_columns + 1, dtype=np.int64)
    filled = 0
    for start in range(0, n_columns, COLUMN_BLOCK):
        stop = min(start + COLUMN_BLOCK, n_columns)
        block = None
        for matrix, weight in parts:
            part = matrix[:, start:stop] * weight
            block = part if block is None else block + part
        data[filled:filled + block.nnz] = block.data
        indices[filled:filled + block.nnz] = block.indices
        indptr[start + 1:stop + 1] = filled + block.indptr[1:]
        filled += block.nnz
    data.resize(filled, refcheck=False)
    indices.resize(filled, refcheck=False)
    return sp.csc_matrix((data, indices, indptr), shape=(n_rows, n_columns))


@dataclass
class LexicalIndex:
    vocab: dict[str, int]
    fields: dict[str, sp.csr_matrix]

    @classmethod
    def build(cls, documents: Iterable[dict[str, list[str]]], field_names: list[str], k1: float,
              b: float) -> "LexicalIndex":
        """documents: each document's terms by field name, generated lazily (one pass, so each record is
        decoded once). Term ids are as if the fields were counted one after the other: the first field's
        terms in order of first appearance, then the next field's new terms, and so on."""
        counts = {name: TermCounts() for name in field_names}
        field_vocabs: dict[str, dict[str, int]] = {name: {} for name in field_names}
        for document in documents:
            for name in field_names:
                counts[name].add(document[name], field_vocabs[name], grow_vocab=True)
        vocab: dict[str, int] = {}
        for name in field_names:
            for term in field_vocabs[name]:
                vocab.setdefault(term, len(vocab))
        fields = {}
        for name in field_names:
            field_vocab = field_vocabs.pop(name)
            field_counts = counts.pop(name)
            field_counts.renumber(np.fromiter((vocab[t] for t in field_vocab), dtype=np.int32, count=len(field_vocab)))
            fields[name] = field_counts.bm25(len(vocab), k1, b)
        return cls(vocab=vocab, fields=fields)

    def document_frequency_idf(self) -> np.ndarray:
        """idf of each term counting a procedure once whichever fields contain it (a block of rows at a
        time: whole-matrix temporaries took ~0.5 GB on 50,000 records)."""
        n_docs, n_terms = next(iter(self.fields.values())).shape
        df = np.zeros(n_terms, dtype=np.int64)
        for start in range(0, n_docs, ROW_BLOCK):
            present = None
            for matrix in self.fields.values():
                binary = (matrix[start:start + ROW_BLOCK] > 0).astype(np.float32)
                present = binary if present is None else present + binary
            df += np.asarray((present > 0).sum(axis=0)).ravel()
        df = df.astype(np.float32)
        return np.log(1.0 + (n_docs - df + 0.5) / (df + 0.5)).astype(np.float32)

    def save(self, out_dir: Path) -> None:
        (out_dir / "lexical_vocab.json").write_text(json.dumps(self.vocab, ensure_ascii=False), encoding="utf-8")
        for name, matrix in self.fields.items():
            sp.save_npz(out_dir / f"lexical_{name}.npz", matrix)

    @classmethod
    def load(cls, out_dir: Path, field_names: list[str], layout: str = "csr") -> "LexicalIndex":
        """layout "csc" converts each field as it is read, so only one is ever held in both layouts."""
        vocab = json.loads((out_dir / "lexical_vocab.json").read_text(encoding="utf-8"))
        return cls(vocab=vocab, fields={n: sp.load_npz(out_dir / f"lexical_{n}.npz").asformat(layout)
                                        for n in field_names})


class LexicalScorer:
    """Weighted sum of the fields' BM25 scores; read-only after construction, so safe across threads."""

    def __init__(self, index: LexicalIndex, field_weights: dict[str, float]):
        self.vocab = index.vocab
        self.field_matrices = {name: m.tocsc() for name, m in index.fields.items()}
        self.matrix = weighted_sum(self.field_matrices, field_weights)
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
