"""Vietnamese text normalisation shared by the search engine and the Rasa runtime.

Pure standard library on purpose: the bot runtime (another Python, another venv) imports this module so
both sides normalise citizen text the same way.

Pipeline for matching: NFC -> lower case -> one tone-mark placement -> syllables -> everyday words and
abbreviations expanded (data file ``data/aliases.tsv``) -> optionally diacritics folded.
"""
from __future__ import annotations

import re
import unicodedata
from functools import lru_cache
from pathlib import Path

ALIASES_PATH = Path(__file__).parent / "data" / "aliases.tsv"

# Combining tone marks (thanh điệu); the other marks (circumflex, breve, horn) belong to the vowel itself.
_TONE_MARKS = {"\u0300", "\u0301", "\u0303", "\u0309", "\u0323"}
_VOWELS = set("aăâeêioôơuưy")
_MARKED_VOWELS = set("ăâêôơư")
_SYLLABLE_RE = re.compile(r"[^\W_]+", re.UNICODE)


def nfc(text: str) -> str:
    return unicodedata.normalize("NFC", text)


def fold_diacritics(text: str) -> str:
    """Remove every diacritic ("Đường" -> "Duong"); keeps case."""
    decomposed = unicodedata.normalize("NFD", text)
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return stripped.replace("đ", "d").replace("Đ", "D")


def has_diacritics(text: str) -> bool:
    return fold_diacritics(text) != text


def _split_tone(syllable: str) -> tuple[str, str]:
    """Return (syllable without tone mark, tone mark or '') for one lower-case syllable."""
    decomposed = unicodedata.normalize("NFD", syllable)
    tone = ""
    kept = []
    for ch in decomposed:
        if ch in _TONE_MARKS:
            tone = ch
        else:
            kept.append(ch)
    return unicodedata.normalize("NFC", "".join(kept)), tone


def _tone_position(base: str) -> int | None:
    """Index of the vowel carrying the tone, classic placement ("hòa", "thủy", "hoàng", "thuyết")."""
    start = 0
    if base.startswith("qu") or (base.startswith("gi") and len(base) > 2 and base[2] in _VOWELS):
        start = 2
    cluster = [i for i in range(start, len(base)) if base[i] in _VOWELS]
    if not cluster:
        cluster = [i for i in range(len(base)) if base[i] in _VOWELS]  # "gì", "quỳ"
        if not cluster:
            return None
    # Keep only the first contiguous run of vowels.
    run = [cluster[0]]
    for i in cluster[1:]:
        if i == run[-1] + 1:
            run.append(i)
    marked = [i for i in run if base[i] in _MARKED_VOWELS]
    if marked:
        return marked[-1]  # "ươ" -> on ơ
    has_final_consonant = run[-1] < len(base) - 1
    if has_final_consonant:
        return run[-1]
    if len(run) >= 3:
        return run[1]
    return run[0]


def normalize_tone_placement(syllable: str) -> str:
    """Put the tone mark on one canonical vowel, so "hoà" and "hòa", "thuý" and "thúy" are the same."""
    base, tone = _split_tone(syllable)
    if not tone:
        return syllable
    position = _tone_position(base)
    if position is None:
        return syllable
    marked = unicodedata.normalize("NFC", unicodedata.normalize("NFD", base[position]) + tone)
    return base[:position] + marked + base[position + 1:]


def basic_normalize(text: str) -> str:
    """NFC, case folding and canonical tone placement; keeps punctuation and spacing."""
    lowered = nfc(text).lower()
    return _SYLLABLE_RE.sub(lambda m: _normalize_word(m.group(0)), lowered)


@lru_cache(maxsize=200_000)
def _normalize_word(word: str) -> str:
    return normalize_tone_placement(word)


def syllables(text: str) -> list[str]:
    """Lower-case NFC syllables with canonical tone placement, punctuation dropped."""
    return _SYLLABLE_RE.findall(basic_normalize(text))


# --- everyday words and abbreviations -----------------------------------------------------------


@lru_cache(maxsize=4)
def _load_aliases(path: str) -> tuple[dict[tuple[str, ...], tuple[str, ...]], dict[tuple[str, ...], tuple[str, ...]]]:
    """(alias syllables -> expansion, folded alias syllables -> expansion); expansions keep diacritics."""
    exact: dict[tuple[str, ...], tuple[str, ...]] = {}
    folded: dict[tuple[str, ...], tuple[str, ...]] = {}
    for raw in Path(path).read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        parts = [p.strip() for p in line.split("\t") if p.strip()]
        if len(parts) < 2:
            continue
        expansion = tuple(syllables(parts[1]))
        for alias in parts[0].split("|"):
            key = tuple(syllables(alias))
            if not key:
                continue
            exact[key] = expansion
            plain = tuple(fold_diacritics(s) for s in key)
            # folded, one syllable is too ambiguous ("hong": hông, hỏng, hồng): left to restoration
            if len(key) > 1 or plain == key:
                folded.setdefault(plain, expansion)
    return exact, folded


def aliases(path: Path = ALIASES_PATH) -> dict[tuple[str, ...], tuple[str, ...]]:
    return _load_aliases(str(path))[0]


def _expand_once(tokens: list[str], produced: list[bool], path: Path) -> tuple[list[str], list[bool]]:
    """Replace the longest alias found at each position; a span made only of earlier expansions is left
    alone, so an expansion that contains its own alias is not expanded again."""
    exact, folded_table = _load_aliases(str(path))
    if not exact:
        return list(tokens), list(produced)
    longest = max(len(k) for k in exact)
    folded = [fold_diacritics(t) for t in tokens]
    out: list[str] = []
    out_produced: list[bool] = []
    i = 0
    while i < len(tokens):
        for size in range(min(longest, len(tokens) - i), 0, -1):
            if all(produced[i:i + size]):
                continue
            span = tuple(tokens[i:i + size])
            folded_span = tuple(folded[i:i + size])
            # Typed with diacritics: must match exactly ("sơ đồ" is not "sổ đỏ"); typed without: folded.
            expansion = folded_table.get(folded_span) if span == folded_span else exact.get(span)
            if expansion is not None:
                out.extend(expansion)
                out_produced.extend([True] * len(expansion))
                i += size
                break
        else:
            out.append(tokens[i])
            out_produced.append(produced[i])
            i += 1
    return out, out_produced


def expand_aliases(tokens: list[str], path: Path = ALIASES_PATH) -> list[str]:
    """One pass of alias replacement (see _expand_once)."""
    return _expand_once(tokens, [False] * len(tokens), path)[0]


def expand_all(tokens: list[str], path: Path = ALIASES_PATH) -> list[str]:
    """Two passes, so an expansion can complete a longer alias ("làm gks" -> "đăng ký khai sinh")."""
    once, produced = _expand_once(tokens, [False] * len(tokens), path)
    return _expand_once(once, produced, path)[0]


def normalize_tokens(text: str, fold: bool = False) -> list[str]:
    """Syllables with aliases expanded; folded when ``fold``."""
    tokens = expand_all(syllables(text))
    return [fold_diacritics(t) for t in tokens] if fold else tokens


def normalize_for_matching(text: str) -> str:
    """Lower case, NFC, aliases expanded, diacritics folded: "Làm GKS ko?" -> "lam giay khai sinh khong"."""
    return " ".join(normalize_tokens(text, fold=True))
