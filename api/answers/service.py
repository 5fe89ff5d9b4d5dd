"""POST /api/answer as a plain function: pick the procedure, then compose the reply about one aspect."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from api.answers.composer import ASPECTS, Button, ComposedAnswer, Message, Replies, compose_answer, load_replies, shorten
from api.answers.topic import Decision, SearchLike, TopicRules, decide_procedure, load_topic_rules, named_aspect


@dataclass(frozen=True)
class AnswerRequest:
    sender: str
    question: str
    aspect: str = "general"
    procedure_code: str | None = None
    part: int = 1


def candidate_payload(code: str) -> str:
    """The button payload that selects a candidate in the dialogue (see the bot contract)."""
    return '/ask_procedure{"procedure_code":"' + code + '"}'


def ambiguous_message(decision: Decision, replies: Replies) -> Message:
    limit = int(replies.text("verdicts", "button_max_chars"))
    buttons = tuple(
        Button(shorten(f"{c.name} ({c.code})", limit), candidate_payload(c.code)) for c in decision.candidates
    )
    return Message(replies.text("verdicts", "ambiguous"), buttons)


def _procedure_ref(procedure: Any) -> dict[str, str] | None:
    return {"code": procedure.code, "name": procedure.name} if procedure is not None else None


def answer_question(
    search: SearchLike, request: AnswerRequest, replies: Replies | None = None, rules: TopicRules | None = None
) -> dict[str, Any]:
    """The /api/answer response body for one request."""
    replies = replies or load_replies()
    rules = rules or load_topic_rules()
    aspect = answered_aspect(request, rules)
    decision = decide_procedure(search, request.question, request.procedure_code, rules)
    candidates = [{"code": c.code, "name": c.name} for c in decision.candidates]
    if decision.verdict == "ambiguous":
        messages = [ambiguous_message(decision, replies)]
        return _body("ambiguous", None, messages, False, candidates)
    if decision.verdict != "confident" or decision.procedure is None:
        return _body("none", None, [Message(replies.text("verdicts", "none"))], False, candidates)
    # a new topic or an aspect read from the question starts at the first part of its list
    part = 1 if decision.switched or aspect != request.aspect else request.part
    answer: ComposedAnswer = compose_answer(decision.procedure, aspect, part, replies)
    return _body("confident", decision.procedure, answer.messages, answer.has_more, candidates,
                 switched=decision.switched, part=answer.part, aspect=aspect)


def answered_aspect(request: AnswerRequest, rules: TopicRules) -> str:
    """The aspect asked for; "general" gives way to the one aspect the question itself names, because the
    NLU often cannot tell "which procedure" from "how long" when a question says both."""
    aspect = request.aspect if request.aspect in ASPECTS else "general"
    if aspect == "general":
        return named_aspect(request.question, rules) or "general"
    return aspect


def _body(verdict: str, procedure: Any, messages: list[Message], has_more: bool,
          candidates: list[dict[str, str]], switched: bool = False, part: int = 1,
          aspect: str = "general") -> dict[str, Any]:
    return {
        "aspect": aspect,
        "verdict": verdict,
        "procedure": _procedure_ref(procedure),
        "messages": [m.to_dict() for m in messages],
        "has_more": has_more,
        "candidates": candidates,
        "switched": switched,
        "part": part,
    }
