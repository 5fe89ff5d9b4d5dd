"""What a question asks to have done (new, reissue, exchange, modify, end) and what a procedure does;
and which qualifiers set a variant apart ("có yếu tố nước ngoài", "lưu động"), asked for or not.

Cues are data (`data/actions.tsv`, `data/qualifiers.tsv`). A procedure's action is read from the first
words of its name, its qualifiers from anywhere in it; a question's from cue words anywhere in it. All give
ranking features, weighted like any other.
"""
from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from procedure_index import vntext

ACTIONS_PATH = Path(__file__).parent / "data" / "actions.tsv"
QUALIFIERS_PATH = Path(__file__).parent / "data" / "qualifiers.tsv"


@lru_cache(maxsize=2)
def _load(path: str) -> tuple[list[tuple[tuple[str, ...], str]], list[tuple[tuple[str, ...], str]]]:
    """(name starts, question cues), each as (syllables, action), longest first."""
    starts, cues = [], []
    for raw in Path(path).read_text(encoding="utf-8").splitlines():
        if not raw.strip() or raw.startswith("#"):
            continue
        action, name_starts, question_cues = (raw.split("\t") + ["", ""])[:3]
        starts += [(tuple(vntext.syllables(p)), action) for p in name_starts.split("|") if p.strip()]
        cues += [(tuple(vntext.syllables(p)), action) for p in question_cues.split("|") if p.strip()]
    return (sorted(starts, key=lambda item: -len(item[0])), sorted(cues, key=lambda item: -len(item[0])))


@lru_cache(maxsize=2)
def _folded_cues(path: str) -> list[tuple[tuple[str, ...], tuple[str, ...], str]]:
    return [(phrase, tuple(vntext.fold_diacritics(t) for t in phrase), action) for phrase, action in _load(path)[1]]


def name_action(name: str, path: Path = ACTIONS_PATH) -> str | None:
    tokens = vntext.syllables(name)
    while tokens and tokens[0] in ("thủ", "tục"):
        tokens = tokens[1:]
    for phrase, action in _load(str(path))[0]:
        if tuple(tokens[:len(phrase)]) == phrase:
            return action
    return None


def question_actions(tokens: list[str], path: Path = ACTIONS_PATH) -> set[str]:
    """Every action some cue in the question points to (usually none or one)."""
    return _cued(tokens, _folded_cues(str(path)))


def name_qualifiers(name: str, path: Path = QUALIFIERS_PATH) -> frozenset[str]:
    """Qualifiers whose phrases occur anywhere in the name (compared without diacritics: names are
    written with them, so folding only merges look-alikes that mean the same)."""
    folded = tuple(vntext.fold_diacritics(t) for t in vntext.syllables(name))
    return frozenset(kind for phrase, kind in _load(str(path))[0]
                     if _has_span(folded, tuple(vntext.fold_diacritics(t) for t in phrase)))


def question_qualifiers(tokens: list[str], path: Path = QUALIFIERS_PATH) -> set[str]:
    return _cued(tokens, _folded_cues(str(path)))


def _has_span(tokens: tuple[str, ...], phrase: tuple[str, ...]) -> bool:
    n = len(phrase)
    return any(tokens[i:i + n] == phrase for i in range(len(tokens) - n + 1))


def _cued(tokens: list[str], cues: list[tuple[tuple[str, ...], tuple[str, ...], str]]) -> set[str]:
    """Labels of the cues found in the question. A cue matches exactly, or folded where the question's
    words carry no diacritics (restoration could not place them)."""
    longest = max((len(phrase) for phrase, _, _ in cues), default=0)
    marked = [vntext.has_diacritics(t) for t in tokens]
    exact, bare = set(), set()
    for i in range(len(tokens)):
        for n in range(1, min(longest, len(tokens) - i) + 1):
            span = tuple(tokens[i:i + n])
            exact.add(span)
            if not any(marked[i:i + n]):
                bare.add(span)
    return {label for phrase, folded, label in cues if phrase in exact or folded in bare}
