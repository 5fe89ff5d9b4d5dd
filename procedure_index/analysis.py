"""Turning procedures and questions into lexical terms.

Terms are syllable unigrams and bigrams, each twice: folded ("f:dang_ky") so questions typed without
diacritics match, and accented ("a:đăng_ký") so exact spelling still counts for more.
"""
from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cached_property

import numpy as np

from procedure_index import vntext
from procedure_index.catalog import Procedure
from procedure_index.restore import RestorationModel

_SENTENCE_SPLIT = re.compile(r"[\n.;:!?()\[\]\"“”]+")


@dataclass(frozen=True)
class QueryAnalysis:
    text: str
    tokens: list[str]  # accented syllables after aliases, restoration and filler removal
    typed_with_diacritics: bool
    restored: bool

    @cached_property  # read once per candidate by the ranker: fold once per question
    def folded(self) -> list[str]:
        return [vntext.fold_diacritics(t) for t in self.tokens]


def ngram_terms(tokens: list[str], prefix: str) -> list[str]:
    unigrams = [f"{prefix}{t}" for t in tokens]
    bigrams = [f"{prefix}{a}_{b}" for a, b in zip(tokens, tokens[1:])]
    return unigrams + bigrams


def document_terms(tokens: list[str]) -> list[str]:
    folded = [vntext.fold_diacritics(t) for t in tokens]
    return ngram_terms(folded, "f:") + ngram_terms(tokens, "a:")


def procedure_field(procedure: Procedure, name: str, text_max_syllables: int) -> list[str]:
    """Accented, alias-expanded syllables of one searchable field: name, meta or text."""
    if name == "name":
        return vntext.normalize_tokens(procedure.name)
    if name == "meta":
        return vntext.normalize_tokens(" . ".join(filter(None, [procedure.field, procedure.results,
                                                                " . ".join(procedure.subjects)])))
    long_text = " . ".join(filter(None, [procedure.documents, procedure.requirements, procedure.steps]))
    # Cut the raw text first: normalising whole legal texts would cost more than it brings.
    return vntext.normalize_tokens(" ".join(long_text.split()[: text_max_syllables * 2]))[:text_max_syllables]


def training_sentences(procedure: Procedure) -> list[list[str]]:
    """Accented syllable sequences for the restoration model (punctuation splits sentences)."""
    texts = [procedure.name, procedure.field, procedure.results, procedure.documents, procedure.steps,
             procedure.requirements, *procedure.subjects]
    sentences = []
    for text in texts:
        if not text:
            continue
        for piece in _SENTENCE_SPLIT.split(text):
            tokens = vntext.syllables(piece)
            if tokens:
                sentences.append(tokens)
    return sentences


def seed_sentences(extra_texts: list[str]) -> list[list[str]]:
    """Everyday words the catalog itself rarely contains (chat filler, aliases), for restoration."""
    sentences = [list(expansion) for expansion in vntext.aliases().values()]
    # the everyday side of an alias too, where it carries diacritics ("sổ đỏ", "làm lại", "lấy chồng")
    sentences += [list(alias) for alias in vntext.aliases() if any(vntext.has_diacritics(t) for t in alias)]
    sentences += [vntext.syllables(t) for t in extra_texts]
    return [s for s in sentences if s]


def _matches(span: list[str], phrase: tuple[str, ...]) -> bool:
    """Exact, or folded for syllables still without diacritics (restoration did not know them)."""
    if len(span) != len(phrase):
        return False
    return all(t == p or (not vntext.has_diacritics(t) and t == vntext.fold_diacritics(p)) for t, p in zip(span, phrase))


@dataclass(frozen=True)
class Filler:
    """Chat filler removed from questions before matching: it never names a procedure. A filler word stays
    where, with a neighbour, it is a phrase of procedure names ("bản sao", "thế chấp", "tặng cho", "trợ
    giúp", "nhà ở"): those pairs are `name_phrases`, found in the index's names (name_phrases())."""
    phrases: list[tuple[str, ...]]
    words: set[str]
    name_phrases: frozenset[tuple[str, str]] = frozenset()

    def remove(self, tokens: list[str]) -> list[str]:
        kept: list[str] = []
        i = 0
        while i < len(tokens):
            for phrase in self.phrases:
                if _matches(tokens[i:i + len(phrase)], phrase):
                    i += len(phrase)
                    break
            else:
                token = tokens[i]
                # As spelt: a syllable left plain by restoration (or typed so) is a word of its own, not
                # a filler word without its marks: "ban" in "ủy ban" is not "bạn", "vay" is not "vậy".
                if token not in self.words or self._in_name_phrase(tokens, i):
                    kept.append(token)
                i += 1
        return kept

    def _in_name_phrase(self, tokens: list[str], i: int) -> bool:
        before = i > 0 and (tokens[i - 1], tokens[i]) in self.name_phrases
        return before or (i + 1 < len(tokens) and (tokens[i], tokens[i + 1]) in self.name_phrases)


def query_filler(query_config: dict, name_phrases: Iterable[tuple[str, str]] = ()) -> Filler:
    """Chat filler from the `query` settings: phrases (longest first) and single words."""
    phrases = sorted((tuple(vntext.syllables(p)) for p in query_config["filler_phrases"]), key=len, reverse=True)
    words = {s for w in query_config["filler_words"] for s in vntext.syllables(w)}
    return Filler(phrases, words, frozenset(tuple(p) for p in name_phrases))


def name_phrases(vocab: dict[str, int], name_matrix, filler_words: set[str], min_names: int,
                 min_share: float) -> list[tuple[str, str]]:
    """Pairs of a filler word and another word that procedure names use as one phrase: in at least
    `min_names` names, and in at least `min_share` of the names holding the rarer of the two words
    ("bản sao": 21 of the 30 names with "sao"; "cho người": 65 of 401, no). Accented, as typed in names.
    `name_matrix`: documents x terms, the name field of the lexical index."""
    names_with = np.diff(name_matrix.tocsc().indptr)
    frequency = {term[2:]: int(names_with[column]) for term, column in vocab.items()
                 if term.startswith("a:") and column < len(names_with)}
    pairs = []
    for term, count in frequency.items():
        if "_" not in term or count < min_names:
            continue
        first, second = term.split("_", 1)
        if (first in filler_words) == (second in filler_words):
            continue  # neither is filler, or both are
        rarer = min(frequency.get(first, 0), frequency.get(second, 0))
        if rarer and count >= min_share * rarer:
            pairs.append((first, second))
    return sorted(pairs)


def analyze_query(text: str, restorer: RestorationModel | None, filler: Filler,
                  restore_below_accented_share: float) -> QueryAnalysis:
    """Aliases, then diacritics restored when the question was typed (mostly) without them ("tach ho can
    nhung gi ạ" is, though one syllable has a mark; the share is `query.restore_below_accented_share`),
    then filler removed."""
    raw = vntext.syllables(text)
    words = [t for t in raw if t.isalpha()] or raw
    typed = sum(vntext.has_diacritics(t) for t in words) >= restore_below_accented_share * len(words) > 0
    tokens = vntext.expand_all(raw)
    restored = False
    if not typed and restorer is not None and tokens:
        tokens = restorer.restore_tokens(tokens)  # syllables typed with marks stay as typed
        restored = True
    return QueryAnalysis(text=text, tokens=filler.remove(tokens), typed_with_diacritics=typed, restored=restored)


def query_terms(query: QueryAnalysis, bigram_weight: float, accented_weight: float) -> dict[str, float]:
    """Term -> weight for the lexical scorer."""
    weights: dict[str, float] = {}

    def add(terms: list[str], n_unigrams: int, base: float) -> None:
        for position, term in enumerate(terms):
            w = base if position < n_unigrams else base * bigram_weight
            weights[term] = weights.get(term, 0.0) + w

    add(ngram_terms(query.folded, "f:"), len(query.tokens), 1.0)
    if accented_weight > 0:
        add(ngram_terms(query.tokens, "a:"), len(query.tokens), accented_weight)
    return weights
