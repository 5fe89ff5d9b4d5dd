"""Compose the citizen's answer about one procedure, one aspect at a time, from the catalog fields only.

Every reply names "<tên thủ tục> (mã <code>)", answers only the aspect asked, ends with the source line
and the official page, and stays under `limits.max_chars`. Long lists (documents, steps, conditions,
results) are cut into parts; the citizen asks for the next one with "xem tiếp". When the catalog lacks a
field the reply says so instead of guessing. Texts and limits live in replies.yml.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any, Protocol

import yaml

REPLIES_PATH = Path(__file__).with_name("replies.yml")

ASPECTS = ("general", "documents", "fee", "duration", "place", "steps", "online", "eligibility", "result")
PAGED_ASPECTS = ("documents", "steps", "eligibility", "result")
METHOD_ORDER = ("online", "direct", "postal")


class ProcedureLike(Protocol):
    """The fields of `procedure_index.catalog.Procedure` the composer reads (see the catalog SCHEMA)."""

    code: str
    name: str
    field: str | None
    levels: list[str]
    agencies: list[str]
    subjects: list[str]
    channels: list[Any]
    steps: str | None
    documents: str | None
    document_items: list[Any]
    requirements: str | None
    results: str | None
    online_level: str | None
    source_url: str | None


@dataclass(frozen=True)
class Button:
    title: str
    payload: str

    def to_dict(self) -> dict[str, str]:
        return {"title": self.title, "payload": self.payload}


@dataclass(frozen=True)
class Message:
    text: str
    buttons: tuple[Button, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {"text": self.text, "buttons": [b.to_dict() for b in self.buttons]}


@dataclass(frozen=True)
class ComposedAnswer:
    messages: list[Message]
    has_more: bool = False
    part: int = 1
    parts: int = 1


@dataclass(frozen=True)
class Replies:
    """replies.yml, loaded once."""

    data: dict[str, Any] = field(repr=False)

    @property
    def max_chars(self) -> int:
        return int(self.data["limits"]["max_chars"])

    def limit(self, name: str) -> int:
        return int(self.data["limits"][name])

    def text(self, *path: str) -> str:
        node: Any = self.data
        for key in path:
            node = node[key]
        return node

    def aspect(self, aspect: str, key: str) -> str:
        return self.data["aspects"][aspect][key]


@lru_cache
def load_replies(path: Path = REPLIES_PATH) -> Replies:
    with open(path, encoding="utf-8") as fh:
        return Replies(yaml.safe_load(fh))


# --- small text helpers --------------------------------------------------------------------------

def _get(obj: Any, name: str, default: Any = None) -> Any:
    """Catalog records arrive as dataclasses or as plain dicts (channels, items)."""
    if isinstance(obj, dict):
        return obj.get(name, default)
    return getattr(obj, name, default)


def shorten(text: str, limit: int, ellipsis: str = "…") -> str:
    """Cut at a word boundary so a long catalog line fits; the official page has the full text."""
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    cut = text[: limit - len(ellipsis)]
    if " " in cut:
        cut = cut[: cut.rfind(" ")]
    return cut.rstrip(" ,;:.-") + ellipsis


_NAME_PREFIX = re.compile(r"^thủ tục\s+", re.IGNORECASE)


def display_name(name: str) -> str:
    """Drop a leading "Thủ tục" (the templates already say it) and lower-case the first word unless it is
    an acronym, so "Thủ tục đăng ký kết hôn" and "Đăng ký khai sinh" both read "thủ tục đăng ký …"."""
    name = _NAME_PREFIX.sub("", " ".join(name.split()))
    if len(name) > 1 and name[1].islower():
        name = name[0].lower() + name[1:]
    return name


def title_of(procedure: ProcedureLike, replies: Replies) -> str:
    name = shorten(display_name(procedure.name), replies.limit("title_max_chars"))
    return replies.text("title").format(name=name, code=procedure.code)


def source_line(procedure: ProcedureLike, replies: Replies) -> str:
    url = (procedure.source_url or "").strip()
    return replies.text("source").format(url=url) if url else replies.text("source_without_url")


_BULLET = re.compile(r"^\s*(?:[-–•*+]|\(?[0-9]{1,2}[.)]|\(?[a-zđ][.)]|\([ivx]+\))\s*", re.IGNORECASE)


def text_lines(text: str | None) -> list[str]:
    """Split a free-text catalog field into its non-empty lines, without leading bullets."""
    lines = []
    for raw in (text or "").splitlines():
        line = _BULLET.sub("", raw).strip()
        if line:
            lines.append(line)
    return lines


HEADING = "\x00"  # marks a group heading among list lines ("Giấy tờ phải nộp", "Trường hợp ủy quyền…")


def document_lines(procedure: ProcedureLike) -> list[str]:
    """Document items with their quantity, under their group headings; falls back to the free text."""
    items = list(procedure.document_items or [])
    if not items:
        return text_lines(procedure.documents)
    lines: list[str] = []
    group = None
    for item in items:
        name = (_get(item, "name") or "").strip()
        if not name:
            continue
        item_group = (_get(item, "group") or "").strip() or None
        if item_group and item_group != group:
            lines.append(HEADING + item_group.rstrip(" :"))
        group = item_group
        quantity = (_get(item, "quantity") or "").strip()
        lines.append(f"{name} ({quantity})" if quantity and quantity not in name else name)
    return lines


def _channels(procedure: ProcedureLike) -> list[Any]:
    order = {m: i for i, m in enumerate(METHOD_ORDER)}
    return sorted(procedure.channels or [], key=lambda c: order.get(_get(c, "method"), len(order)))


def _method_label(method: str | None, replies: Replies) -> str:
    return replies.data["methods"].get(method or "", method or "")


def _join_methods(methods: list[str], replies: Replies) -> str:
    labels = [_method_label(m, replies) for m in methods]
    if len(labels) > 1:
        # "Nộp trực tuyến, nộp trực tiếp": lower-case every label after the first
        labels = [labels[0]] + [label[:1].lower() + label[1:] for label in labels[1:]]
    return ", ".join(labels)


def channel_values(procedure: ProcedureLike, key: str) -> list[tuple[list[str], str]]:
    """Group submission channels that share the same value of `key` (fee or duration)."""
    groups: dict[str, list[str]] = {}
    for channel in _channels(procedure):
        value = (_get(channel, key) or "").strip()
        if value:
            groups.setdefault(value, []).append(_get(channel, "method"))
    return [(methods, value) for value, methods in groups.items()]


def channel_notes(procedure: ProcedureLike) -> list[str]:
    notes: list[str] = []
    for channel in _channels(procedure):
        note = (_get(channel, "note") or "").strip()
        if note and note not in notes:
            notes.append(note)
    return notes


# --- paging --------------------------------------------------------------------------------------

def _render(line: str, item_max: int) -> str:
    if line.startswith(HEADING):
        return shorten(line[len(HEADING):], item_max) + ":"
    return "- " + shorten(line, item_max)


def paginate(lines: list[str], per_part: int, budget: int, item_max: int) -> list[list[str]]:
    """Cut lines into parts of at most `per_part` items whose text fits in `budget` characters.

    Group headings do not count as items, and a heading never ends a part (it moves to the next one).
    """
    parts: list[list[str]] = []
    current: list[str] = []
    items = used = 0
    for line in lines:
        rendered = _render(line, item_max)
        is_heading = line.startswith(HEADING)
        full = items >= per_part and not is_heading
        if current and (full or used + len(rendered) + 1 > budget):
            carried = [current.pop()] if current and current[-1].endswith(":") and not current[-1].startswith("- ") else []
            if current:
                parts.append(current)
            current = carried
            items = 0
            used = sum(len(x) + 1 for x in carried)
        current.append(rendered)
        used += len(rendered) + 1
        items += 0 if is_heading else 1
    if current:
        parts.append(current)
    return parts


def _paged_answer(
    procedure: ProcedureLike, aspect: str, lines: list[str], part: int, replies: Replies,
    extra_first: list[str] | None = None,
) -> ComposedAnswer:
    title = title_of(procedure, replies)
    source = source_line(procedure, replies)
    extra_first = extra_first or []
    if not lines and not extra_first:
        return ComposedAnswer([Message(f"{replies.aspect(aspect, 'missing').format(title=title)}\n{source}")])
    # room for the heading, the "xem tiếp" hint and the source line
    fixed = len(replies.aspect(aspect, "intro")) + len(title) + 20 + len(replies.text("more_hint")) + len(source) + 8
    budget = replies.max_chars - fixed
    parts = paginate(lines, replies.limit("items_per_part"), budget - sum(len(x) + 1 for x in extra_first),
                     replies.limit("item_max_chars")) or [[]]
    total = len(parts)
    if part > total:
        what = replies.aspect(aspect, "what")
        text = replies.text("no_more").format(what=what, title=title)
        return ComposedAnswer([Message(f"{text}\n{source}")], has_more=False, part=part, parts=total)
    label = replies.text("part_label").format(part=part, parts=total) if total > 1 else ""
    body = parts[part - 1]
    lines_out = [replies.aspect(aspect, "intro").format(title=title, part_label=label)]
    if part == 1:
        lines_out += extra_first
    lines_out += body
    has_more = part < total
    if has_more:
        lines_out.append(replies.text("more_hint"))
    lines_out.append(source)
    return ComposedAnswer([Message("\n".join(lines_out))], has_more=has_more, part=part, parts=total)


# --- one composer per aspect ---------------------------------------------------------------------

def _values_text(groups: list[tuple[list[str], str]], replies: Replies) -> str:
    if len(groups) == 1:
        return groups[0][1]
    return "; ".join(f"{_join_methods(methods, replies).lower()}: {value}" for methods, value in groups)


def compose_general(procedure: ProcedureLike, replies: Replies) -> ComposedAnswer:
    title = title_of(procedure, replies)
    cut = replies.limit("note_max_chars")
    lines = [replies.aspect("general", "intro").format(title=title)]
    if procedure.field:
        lines.append(replies.aspect("general", "field").format(value=procedure.field))
    if procedure.agencies:
        lines.append(replies.aspect("general", "agency").format(value=shorten("; ".join(procedure.agencies), cut)))
    fees = channel_values(procedure, "fee")
    lines.append(replies.aspect("general", "fee").format(
        value=shorten(_values_text(fees, replies), cut) if fees else replies.text("unknown_fee")))
    durations = channel_values(procedure, "duration")
    lines.append(replies.aspect("general", "duration").format(
        value=shorten(_values_text(durations, replies), cut) if durations else replies.text("unknown_duration")))
    level = replies.data["online_levels"].get(procedure.online_level or "")
    if level:
        lines.append(replies.aspect("general", "online").format(value=level))
    lines.append(replies.aspect("general", "follow_up"))
    lines.append(source_line(procedure, replies))
    buttons = tuple(Button(b["title"], b["payload"]) for b in replies.data["aspects"]["general"]["buttons"])
    return ComposedAnswer([Message("\n".join(lines), buttons)])


def _channel_aspect(procedure: ProcedureLike, aspect: str, key: str, replies: Replies) -> ComposedAnswer:
    """Fee or duration: one line per group of channels sharing a value, plus the catalog's note."""
    title = title_of(procedure, replies)
    source = source_line(procedure, replies)
    groups = channel_values(procedure, key)
    if not groups:
        return ComposedAnswer([Message(f"{replies.aspect(aspect, 'missing').format(title=title)}\n{source}")])
    lines = [replies.aspect(aspect, "intro").format(title=title)]
    for methods, value in groups:
        lines.append(replies.aspect(aspect, "line").format(
            method=_join_methods(methods, replies), value=shorten(value, replies.limit("item_max_chars"))))
    notes = channel_notes(procedure)
    if len(notes) == 1:
        lines.append(replies.aspect(aspect, "note").format(value=shorten(notes[0], replies.limit("note_max_chars"))))
    lines.append(source)
    return ComposedAnswer([Message("\n".join(lines))])


def compose_place(procedure: ProcedureLike, replies: Replies) -> ComposedAnswer:
    title = title_of(procedure, replies)
    source = source_line(procedure, replies)
    cut = replies.limit("item_max_chars")
    if not procedure.agencies and not procedure.levels:
        return ComposedAnswer([Message(f"{replies.aspect('place', 'missing').format(title=title)}\n{source}")])
    lines = [replies.aspect("place", "intro").format(title=title)]
    if procedure.agencies:
        lines.append(replies.aspect("place", "agencies").format(value=shorten("; ".join(procedure.agencies), cut)))
    if procedure.levels:
        lines.append(replies.aspect("place", "levels").format(value=", ".join(procedure.levels)))
    methods = [_get(c, "method") for c in _channels(procedure)]
    if methods:
        lines.append(replies.aspect("place", "channels").format(value=_join_methods(methods, replies)))
    lines.append(source)
    return ComposedAnswer([Message("\n".join(lines))])


def compose_online(procedure: ProcedureLike, replies: Replies) -> ComposedAnswer:
    title = title_of(procedure, replies)
    source = source_line(procedure, replies)
    level = replies.data["online_levels"].get(procedure.online_level or "")
    online = [c for c in _channels(procedure) if _get(c, "method") == "online"]
    others = [_get(c, "method") for c in _channels(procedure) if _get(c, "method") != "online"]
    if not level and not online and not others:
        return ComposedAnswer([Message(f"{replies.aspect('online', 'missing').format(title=title)}\n{source}")])
    lines = [replies.aspect("online", "intro").format(title=title)]
    if level:
        lines.append(replies.aspect("online", "level").format(value=level))
    if online:
        channel = online[0]
        cut = replies.limit("note_max_chars")
        lines.append(replies.aspect("online", "channel").format(
            duration=shorten(_get(channel, "duration") or replies.text("unknown_duration"), cut),
            fee=shorten(_get(channel, "fee") or replies.text("unknown_fee"), cut)))
    if level or online:
        lines.append(replies.aspect("online", "portal"))
    else:
        lines.append(replies.aspect("online", "not_online").format(value=_join_methods(others, replies).lower()))
    lines.append(source)
    return ComposedAnswer([Message("\n".join(lines))])


def compose_eligibility(procedure: ProcedureLike, part: int, replies: Replies) -> ComposedAnswer:
    extra = []
    if procedure.subjects:
        extra.append(replies.aspect("eligibility", "subjects").format(
            value=shorten(", ".join(procedure.subjects), replies.limit("item_max_chars"))))
    return _paged_answer(procedure, "eligibility", text_lines(procedure.requirements), part, replies, extra)


def compose_answer(
    procedure: ProcedureLike, aspect: str, part: int = 1, replies: Replies | None = None
) -> ComposedAnswer:
    """The reply about `aspect` of `procedure`; `part` (1-based) selects the part of a long list."""
    replies = replies or load_replies()
    part = max(1, int(part or 1))
    if aspect not in ASPECTS:
        aspect = "general"
    if part > 1 and aspect not in PAGED_ASPECTS:
        # "xem tiếp" after a short answer: everything was already sent
        answer = _nothing_more(procedure, aspect, part, replies)
    elif aspect == "general":
        answer = compose_general(procedure, replies)
    elif aspect == "documents":
        answer = _paged_answer(procedure, "documents", document_lines(procedure), part, replies)
    elif aspect in ("fee", "duration"):
        answer = _channel_aspect(procedure, aspect, aspect, replies)
    elif aspect == "place":
        answer = compose_place(procedure, replies)
    elif aspect == "online":
        answer = compose_online(procedure, replies)
    elif aspect == "steps":
        answer = _paged_answer(procedure, "steps", text_lines(procedure.steps), part, replies)
    elif aspect == "eligibility":
        answer = compose_eligibility(procedure, part, replies)
    else:
        answer = _paged_answer(procedure, "result", text_lines(procedure.results), part, replies)
    return _fit(answer, replies)


def _nothing_more(procedure: ProcedureLike, aspect: str, part: int, replies: Replies) -> ComposedAnswer:
    text = replies.text("no_more").format(what=replies.aspect(aspect, "what"), title=title_of(procedure, replies))
    return ComposedAnswer([Message(f"{text}\n{source_line(procedure, replies)}")], has_more=False, part=part)


def _fit(answer: ComposedAnswer, replies: Replies) -> ComposedAnswer:
    """Last guard on length: keep the first and last lines (title, source) and cut the middle."""
    fitted = []
    for message in answer.messages:
        text = message.text
        if len(text) > replies.max_chars:
            lines = text.split("\n")
            head, tail = lines[0], lines[-1]
            room = replies.max_chars - len(head) - len(tail) - 2
            middle = shorten(" ".join(lines[1:-1]), max(room, 10))
            text = "\n".join([head, middle, tail])[: replies.max_chars]
        fitted.append(Message(text, message.buttons))
    return ComposedAnswer(fitted, answer.has_more, answer.part, answer.parts)
