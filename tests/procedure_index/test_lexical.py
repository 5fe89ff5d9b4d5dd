import numpy as np
import pytest
import scipy.sparse as sp

from procedure_index import lexical
from procedure_index.lexical import LexicalIndex, bm25_matrix, weighted_sum

DOCS = [["a", "b", "a"], ["c"], [], ["b", "d", "d", "d", "a"], ["e", "a"]]


def reference_bm25(docs, k1, b):
    """Textbook BM25 over a dense matrix, columns numbered by first appearance."""
    vocab = {t: i for i, t in enumerate(dict.fromkeys(t for d in docs for t in d))}
    tf = np.zeros((len(docs), len(vocab)))
    for row, terms in enumerate(docs):
        for term in terms:
            tf[row, vocab[term]] += 1
    df = (tf > 0).sum(axis=0)
    idf = np.log(1.0 + (len(docs) - df + 0.5) / (df + 0.5))
    lengths = np.array([len(d) for d in docs], dtype=float)
    norm = k1 * (1.0 - b + b * lengths / lengths.mean())[:, None]
    return vocab, np.where(tf > 0, idf * tf * (k1 + 1.0) / (tf + norm), 0.0)


@pytest.fixture
def small_blocks(monkeypatch):
    """Blocks of two rows/columns/entries, so every blockwise loop takes several steps."""
    for name in ("ROW_BLOCK", "COLUMN_BLOCK", "ENTRY_BLOCK"):
        monkeypatch.setattr(lexical, name, 2)


def test_bm25_matrix_is_textbook_bm25_whatever_the_block_size(small_blocks):
    vocab: dict[str, int] = {}
    matrix = bm25_matrix(DOCS, vocab, k1=1.2, b=0.75, grow_vocab=True)
    expected_vocab, expected = reference_bm25(DOCS, 1.2, 0.75)
    assert vocab == expected_vocab
    assert matrix.dtype == np.float32 and matrix.has_sorted_indices
    np.testing.assert_allclose(matrix.toarray(), expected, rtol=1e-6)


def test_fixed_vocabulary_skips_unknown_terms():
    matrix = bm25_matrix([["a", "zzz"], ["b"]], {"a": 0, "b": 1}, k1=1.2, b=0.75)
    assert matrix.shape == (2, 2) and matrix.nnz == 2


def test_terms_are_numbered_as_if_fields_were_counted_one_after_another(small_blocks):
    documents = [{"name": ["x", "y"], "text": ["z", "x"]}, {"name": ["w"], "text": ["v", "y"]}]
    index = LexicalIndex.build(documents, ["name", "text"], k1=1.2, b=0.75)
    assert index.vocab == {"x": 0, "y": 1, "w": 2, "z": 3, "v": 4}
    one_field_at_a_time: dict[str, int] = {}
    for name in ("name", "text"):
        alone = bm25_matrix([d[name] for d in documents], one_field_at_a_time, 1.2, 0.75, grow_vocab=True)
        assert np.array_equal(index.fields[name][:, :alone.shape[1]].toarray(), alone.toarray())


def test_weighted_sum_by_column_blocks_equals_the_whole_sum(small_blocks):
    rng = np.random.default_rng(0)
    fields = {name: sp.random(7, 9, density=0.4, format="csc", dtype=np.float32, random_state=rng)
              for name in ("name", "meta", "text")}
    weights = {"name": 1.0, "meta": 0.35, "unknown": 2.0, "text": 0.12}
    whole = (fields["name"] * 1.0 + fields["meta"] * 0.35 + fields["text"] * 0.12).tocsc()
    blocks = weighted_sum(fields, weights)
    for part in ("data", "indices", "indptr"):
        assert np.array_equal(getattr(blocks, part), getattr(whole, part))


def test_idf_counts_a_document_once_whichever_fields_hold_the_term(small_blocks):
    name = sp.csr_matrix(np.array([[1, 0], [1, 0], [0, 0]], dtype=np.float32))
    text = sp.csr_matrix(np.array([[1, 1], [0, 0], [0, 1]], dtype=np.float32))
    idf = LexicalIndex(vocab={"p": 0, "q": 1}, fields={"name": name, "text": text}).document_frequency_idf()
    df = np.array([2, 2], dtype=np.float32)
    np.testing.assert_array_equal(idf, np.log(1.0 + (3 - df + 0.5) / (df + 0.5)).astype(np.float32))
