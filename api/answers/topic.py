"""Which procedure a question is about: the remembered one, another one it names, or several candidates.

The dialogue remembers the current procedure. A follow-up that only names an aspect ("Lệ phí bao nhiêu?")
stays on it; a question that names another procedure (the search is confident about a different code and
the question says more than aspect words) switches topic. Word lists live in topic.yml.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any, Callable, Protocol

import yaml

from procedure_index.vntext import fold_diacritics, has_diacritics, syllables

TOPIC_PATH = Path(__file__).with_name("topic.yml")


class SearchLike(Protocol):
    """`procedure_index.search.ProcedureSearch`: .search(question, k) -> SearchResponse, .get(code), and
    optionally .is_name_phrase(first, second) (see content_syllables)."""

    def search(self, question: str, k: int = 5) -> Any: ...

    def get(self, code: str) -> Any: ...


@dataclass(frozen=True)
class TopicRules:
    ignored_phrases: tuple[tuple[str, ...], ...]  # aspect phrases and fillers, longest first
    min_content_syllables: int
    min_content_syllables_new_topic: int
    switch_min_score: float | None
    max_candidates: int
    # aspect -> its phrases, for questions sent as "general" that name one aspect
    named_aspects: tuple[tuple[str, tuple[tuple[str, ...], ...]], ...] = ()


@dataclass(frozen=True)
class Candidate:
    code: str
    name: str


@dataclass(frozen=True)
class Decision:
    """verdict: confident (procedure set) | ambiguous (candidates set) | none."""

    verdict: str
    procedure: Any = None
    candidates: list[Candidate] = field(default_factory=list)
    switched: bool = False


def _phrases(words: list[str]) -> tuple[tuple[str, ...], ...]:
    phrases = {tuple(syllables(str(w))) for w in words}
    return tuple(sorted((p for p in phrases if p), key=len, reverse=True))


@lru_cache
def load_topic_rules(path: Path = TOPIC_PATH) -> TopicRules:
    with open(path, encoding="utf-8") as fh:
        data = yaml.safe_load(fh)
    score = data.get("switch_min_score")
    return TopicRules(
        ignored_phrases=_phrases(list(data["aspect_phrases"]) + list(data["filler_words"])),
        min_content_syllables=int(data["min_content_syllables"]),
        min_content_syllables_new_topic=int(data["min_content_syllables_new_topic"]),
        switch_min_score=None if score is None else float(score),
        max_candidates=int(data["max_candidates"]),
        named_aspects=tuple((aspect, _phrases(list(words))) for aspect, words in (data.get("named_aspects") or {}).items()),
    )


def typed_without_diacritics(tokens: list[str]) -> bool:
    """Most syllables bare: the citizen typed without diacritics. Plain Vietnamese has bare syllables too
    ("con", "cho"), so one bare syllable in an accented question is a word as written, not a folded one."""
    bare = sum(1 for t in tokens if not has_diacritics(t))
    return bool(tokens) and bare * 2 > len(tokens)


def _matches(span: list[str], phrase: tuple[str, ...], folded: bool) -> bool:
    """Exact; or, in a question typed without diacritics ("le phi"), compared with the folded phrase."""
    return all(
        token == word or (folded and token == fold_diacritics(token) and token == fold_diacritics(word))
        for token, word in zip(span, phrase)
    )


# A phrase test over procedure names: ("chứng", "nhận") -> True (ProcedureSearch.is_name_phrase).
NamePhrase = Callable[[str, str], bool]


def content_syllables(question: str, rules: TopicRules, name_phrase: NamePhrase | None = None) -> list[str]:
    """The syllables left once aspect phrases and fillers are removed (longest phrase first).

    With `name_phrase`, a one-syllable aspect word or filler stays when it forms a phrase of procedure
    names with a neighbour: "nhận" (receive) is an aspect word, but not in "giấy chứng nhận"; nor "mất"
    (cost, take) in "sổ đỏ bị mất", nor "cho" in "tặng cho".
    """
    tokens = syllables(question)
    folded = typed_without_diacritics(tokens)
    removed = [False] * len(tokens)
    single = [False] * len(tokens)
    i = 0
    while i < len(tokens):
        for phrase in rules.ignored_phrases:
            if i + len(phrase) <= len(tokens) and _matches(tokens[i:i + len(phrase)], phrase, folded):
                removed[i:i + len(phrase)] = [True] * len(phrase)
                single[i] = len(phrase) == 1
                i += len(phrase)
                break
        else:
            i += 1
    if name_phrase is not None:
        # a neighbour inside a longer aspect phrase does not count: "nhận | kết quả" is not "tiếp nhận kết"
        free = [not r or s for r, s in zip(removed, single)]
        glued = [single[i] and ((i > 0 and free[i - 1] and name_phrase(tokens[i - 1], tokens[i]))
                                or (i + 1 < len(tokens) and free[i + 1] and name_phrase(tokens[i], tokens[i + 1])))
                 for i in range(len(tokens))]
        removed = [r and not g for r, g in zip(removed, glued)]
    return [t for t, r in zip(tokens, removed) if not r]


def _contains(tokens: list[str], phrase: tuple[str, ...]) -> bool:
    folded = typed_without_diacritics(tokens)
    return any(_matches(tokens[i:i + len(phrase)], phrase, folded) for i in range(len(tokens) - len(phrase) + 1))


def named_aspect(question: str, rules: TopicRules) -> str | None:
    """The one aspect the question names ("... mất bao lâu?" -> duration), or None when it names none or
    several ("lệ phí và thời gian"): then the overview, which covers both, is the better answer."""
    tokens = syllables(question or "")
    named = [aspect for aspect, phrases in rules.named_aspects if any(_contains(tokens, p) for p in phrases)]
    return named[0] if len(named) == 1 else None


def names_something(question: str, rules: TopicRules, minimum: int | None = None) -> bool:
    minimum = rules.min_content_syllables if minimum is None else minimum
    return len(content_syllables(question, rules)) >= minimum


def search_question(search: SearchLike, question: str, rules: TopicRules) -> Any:
    """Search the question; when that is not confident, retry with the aspect words and fillers removed
    ("thế còn đăng ký khai sinh mất bao lâu" -> "đăng ký khai sinh") and keep the retry only if confident."""
    k = max(5, rules.max_candidates)
    response = search.search(question, k=k)
    if response.verdict == "confident":
        return response
    core = " ".join(content_syllables(question, rules, getattr(search, "is_name_phrase", None)))
    if core and core != " ".join(syllables(question)):
        retry = search.search(core, k=k)
        if retry.verdict == "confident":
            return retry
    return response


def _candidates(results: list[Any], limit: int) -> list[Candidate]:
    return [Candidate(hit.code, hit.name) for hit in results[:limit]]


def decide_procedure(
    search: SearchLike, question: str, remembered_code: str | None, rules: TopicRules | None = None
) -> Decision:
    """Pick the procedure the question is about (see the module docstring)."""
    rules = rules or load_topic_rules()
    remembered = search.get(remembered_code) if remembered_code else None
    question = (question or "").strip()
    if remembered is not None and (not question or not names_something(question, rules)):
        return Decision("confident", remembered)
    if not question or not names_something(question, rules, rules.min_content_syllables_new_topic):
        return Decision("none")
    response = search_question(search, question, rules)
    results = list(response.results)
    top = results[0] if results else None
    if remembered is not None:
        if response.verdict == "ambiguous" and top is not None and remembered.code not in {h.code for h in results}:
            # names something else, but the search cannot tell what: let the citizen choose
            return Decision("ambiguous", candidates=_candidates(results, rules.max_candidates))
        if top is None or top.code == remembered.code or response.verdict != "confident":
            return Decision("confident", remembered)
        if rules.switch_min_score is not None and top.score < rules.switch_min_score:
            return Decision("confident", remembered)
        switched = search.get(top.code)
        return Decision("confident", switched, switched=True) if switched else Decision("confident", remembered)
    if response.verdict == "confident" and top is not None:
        procedure = search.get(top.code)
        if procedure is not None:
            return Decision("confident", procedure)
    if response.verdict in ("confident", "ambiguous") and results:
        return Decision("ambiguous", candidates=_candidates(results, rules.max_candidates))
    return Decision("none")
