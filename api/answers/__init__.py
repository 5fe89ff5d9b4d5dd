"""Answers about procedures, aspect by aspect, from the catalog fields (POST /api/answer)."""
from api.answers.composer import ComposedAnswer, Message, compose_answer, load_replies
from api.answers.service import AnswerRequest, answer_question
from api.answers.topic import decide_procedure

__all__ = ["AnswerRequest", "ComposedAnswer", "Message", "answer_question", "compose_answer",
           "decide_procedure", "load_replies"]
