"""Rasa tokenizer that reads Vietnamese the way the procedure search does.

Citizens type with or without diacritics and with chat shorthand ("lam gks ko", "hs gồm j"). The
featurizers only see token text, so the tokens carry the normalised form (NFC, lower case, aliases
expanded, diacritics folded, digits reduced to their shape) while the message text itself is left
unchanged: the actions and the entity extractors need what the citizen really typed. Each token's
offsets point at the original word(s) it came from, so regex features still line up with tokens.

Normalisation is delegated to ``procedure_index.vntext`` (standard library only): the tokens are what
the search makes of the diacritic-free sentence (``normalize_for_matching``), so a new alias in
``procedure_index/data/aliases.tsv`` helps both. The repository root must be on PYTHONPATH.
"""
from __future__ import annotations

import difflib
import re
import unicodedata
from dataclasses import dataclass
from typing import Any, Dict, List, Optional, Text

from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.nlu.tokenizers.tokenizer import Token, Tokenizer
from rasa.shared.nlu.training_data.message import Message

from procedure_index import vntext

# Same definition of a word as vntext.syllables (letters and digits, no underscore), applied to the
# NFC text so that match offsets are offsets into the message.
_WORD_RE = re.compile(r"[^\W_]+", re.UNICODE)
_DIGIT_RE = re.compile(r"\d")


@dataclass(frozen=True)
class Span:
    """A word of the original text: its normalised syllable and where it sits in the message."""

    text: str
    start: int
    end: int


def original_words(text: str) -> List[Span]:
    """Words of ``text`` with offsets into ``text`` itself.

    NFC never changes the length of a precomposed Vietnamese letter, but a message typed with combining
    marks (NFD) would: then each NFC word is located in the original by walking character classes.
    """
    composed = unicodedata.normalize("NFC", text)
    if len(composed) == len(text):
        return [Span(vntext.basic_normalize(m.group(0)), m.start(), m.end()) for m in _WORD_RE.finditer(composed)]
    return _words_of_decomposed(text)


def _words_of_decomposed(text: str) -> List[Span]:
    """Word spans for text containing combining marks: a mark continues the current word."""
    spans: List[Span] = []
    start: Optional[int] = None
    for index, char in enumerate(text + " "):
        is_word_char = (char.isalnum() or unicodedata.combining(char) != 0) and char != "_"
        if is_word_char and start is None:
            start = index
        elif not is_word_char and start is not None:
            word = unicodedata.normalize("NFC", text[start:index])
            spans.append(Span(vntext.basic_normalize(word), start, index))
            start = None
    return spans


def expand_with_offsets(words: List[Span]) -> List[Span]:
    """Expand aliases over the whole sentence and keep, for every output syllable, its source span.

    vntext.normalize_tokens expands the sentence exactly as the search does (aliases can be several
    words long) and returns a flat list; aligning its output with its input gives each expanded
    syllable the span of the words it replaced ("gks" -> "giấy", "khai", "sinh" all point at "gks").
    """
    source = [w.text for w in words]
    expanded = _expand(source)
    matcher = difflib.SequenceMatcher(a=source, b=expanded, autojunk=False)
    result: List[Span] = []
    for tag, a0, a1, b0, b1 in matcher.get_opcodes():
        if tag == "equal":
            result.extend(Span(expanded[b0 + k], words[a0 + k].start, words[a0 + k].end) for k in range(b1 - b0))
        elif tag == "replace":
            result.extend(_align_replaced(words[a0:a1], expanded[b0:b1]))
        elif tag == "insert":
            # Syllables added around kept words ("thế nào" -> "như thế nào"): attach to the next word.
            anchor = words[a0] if a0 < len(words) else words[-1]
            result.extend(Span(syllable, anchor.start, anchor.end) for syllable in expanded[b0:b1])
        # "delete": the alias expanded to fewer syllables; the leftover source words carry nothing.
    return result


def _expand(syllables: List[str]) -> List[str]:
    # The syllables re-joined are their own syllables, so this is vntext's expansion of that text.
    return vntext.normalize_tokens(" ".join(syllables))


def _align_replaced(words: List[Span], replacement: List[str]) -> List[Span]:
    """Give each replacement syllable the span of its own source word when words expand one by one
    ("gks ko" -> "giấy khai sinh" + "không"); a multi-word alias shares the span of all its words."""
    per_word = [_expand([w.text]) for w in words]
    if [s for expansion in per_word for s in expansion] == replacement:
        return [Span(s, w.start, w.end) for w, expansion in zip(words, per_word) for s in expansion]
    start, end = words[0].start, words[-1].end
    return [Span(s, start, end) for s in replacement]


def normalised_spans(
    text: str, expand_aliases: bool = True, fold_diacritics: bool = True, digit_shape: bool = True
) -> List[Span]:
    """The syllables the featurizers should see, each with offsets into ``text``."""
    spans = original_words(text)
    if fold_diacritics:
        # Folding before the aliases are expanded makes a message and its diacritic-free copy give the
        # same tokens by construction (vntext matches accented and unaccented spans differently).
        spans = [Span(vntext.fold_diacritics(s.text), s.start, s.end) for s in spans]
    if expand_aliases and spans:
        spans = expand_with_offsets(spans)
    if fold_diacritics:
        spans = [Span(vntext.fold_diacritics(s.text), s.start, s.end) for s in spans]
    if digit_shape:
        # Codes, phone numbers and years differ only in digits that say nothing about the intent.
        spans = [Span(_DIGIT_RE.sub("0", s.text), s.start, s.end) for s in spans]
    return spans


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.MESSAGE_TOKENIZER], is_trainable=False)
class VietnameseTokenizer(Tokenizer):
    """Tokenises the normalised form of Vietnamese text; message text and token offsets stay original."""

    @staticmethod
    def get_default_config() -> Dict[Text, Any]:
        return {
            "intent_tokenization_flag": False,
            "intent_split_symbol": "_",
            "token_pattern": None,
            "prefix_separator_symbol": None,
            # Everyday words and chat shorthand -> catalog wording (procedure_index/data/aliases.tsv).
            "expand_aliases": True,
            # "ho so" and "hồ sơ" become the same token; costs little since context disambiguates.
            "fold_diacritics": True,
            # Every digit becomes "0": "5678" and "1234" share one token shape.
            "digit_shape": True,
        }

    @staticmethod
    def supported_languages() -> Optional[List[Text]]:
        return ["vi"]

    def tokenize(self, message: Message, attribute: Text) -> List[Token]:
        text = message.get(attribute)
        spans = normalised_spans(
            text,
            expand_aliases=self._config["expand_aliases"],
            fold_diacritics=self._config["fold_diacritics"],
            digit_shape=self._config["digit_shape"],
        )
        if not spans:
            # Emoji or punctuation only: one token for the whole text, as WhitespaceTokenizer does.
            spans = [Span(text.strip().lower() or text, 0, len(text))]
        tokens = [Token(s.text, s.start, end=s.end) for s in spans]
        return self._apply_token_pattern(tokens)
