"""The NLU gate (bot/components/vietnamese_gate.py): keyboard mash becomes nlu_fallback, real short
Vietnamese chat does not. Pure checks on the tokenizer's tokens, then the trained pipeline.

Run in the bot env: /work/main/.venv-bot/bin/python -m pytest tests/bot -q
"""
from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from bot.components.vietnamese_gate import (DEFAULT_KNOWN_WORDS, GATE_KEY, decide, is_vietnamese_syllable,
                                            read_known_words, vocabulary_outside_syllables)
from bot.components.vietnamese_tokenizer import normalised_spans
from tests.bot.test_vietnamese_tokenizer import nlu_agent, parse  # noqa: F401 (the cached trained model)

ROOT = Path(__file__).resolve().parents[2]
KNOWN = read_known_words(DEFAULT_KNOWN_WORDS)
MASH = ["lkjh poiu mnbv", "qưerty zxcv asdf", "sdfsdf ghjk", "qwe rty", "zzz", "xkcd bnm"]
REAL_SHORT = ["ok", "oke", "uk", "dc", "đc", "vâng", "ko", "k", "cccd", "gks", "sổ đỏ", "so do", "hello",
              "000.00.01.H29-240115-0001", "1234", "0912345678", "cấp lại giấy", "giấy chứng nhận",
              "đăng ký tạm trú", "dang ky tam tru", "thanks", "zalo", "passport", "làm visa", "email"]


def tokens(text: str) -> list[str]:
    return [s.text for s in normalised_spans(text)]


@pytest.mark.parametrize("syllable", ["nguyen", "nghieng", "khuyen", "quyet", "giuong", "khuya", "duoc", "oanh",
                                      "a", "gi", "thuong", "truong", "ruou", "nhieu", "hoai", "xoay", "ech"])
def test_vietnamese_syllable_shapes_pass(syllable: str):
    assert is_vietnamese_syllable(syllable)


@pytest.mark.parametrize("word", ["lkjh", "poiu", "mnbv", "asdf", "zxcv", "querty", "qwe", "rty", "hello",
                                  "ok", "zzz", "bnm", "strong", "cccd"])
def test_other_shapes_fail(word: str):
    assert not is_vietnamese_syllable(word)


@pytest.mark.parametrize("text", MASH)
def test_keyboard_mash_fires(text: str):
    assert decide(tokens(text), KNOWN, 0.5).fires, tokens(text)


@pytest.mark.parametrize("text", REAL_SHORT)
def test_real_short_messages_pass(text: str):
    assert not decide(tokens(text), KNOWN, 0.5).fires, tokens(text)


def test_one_foreign_word_in_a_vietnamese_question_is_not_enough():
    assert not decide(tokens("lam the apec o dau"), KNOWN, 0.5).fires
    assert not decide(tokens("xyzw abcd"), KNOWN, 1.0).fires  # the threshold is read, not fixed


def test_training_vocabulary_keeps_only_words_the_syllable_check_rejects():
    assert vocabulary_outside_syllables([["ho", "so", "tthc", "0000"], ["kq"]]) == {"tthc", "kq"}


def test_no_heldout_sentence_is_gated():
    """The gate must not cost the held-out score: every held-out sentence passes with the allowlist alone
    (the model also learns the training words)."""
    blocks = yaml.safe_load((ROOT / "tests" / "bot" / "data" / "nlu_heldout.yml").read_text(encoding="utf-8"))
    lines = [re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", ln.strip()[2:])  # "[0987...](phone_number)" -> text
             for block in blocks["nlu"] for ln in block.get("examples", "").splitlines() if ln.strip()]
    gated = [line for line in lines if decide(tokens(line), KNOWN | {"tthc", "kq", "dvc", "hotline"}, 0.5).fires]
    assert gated == []


# --- in the trained pipeline -------------------------------------------------------------------------

@pytest.mark.parametrize("text", ["lkjh poiu mnbv", "qưerty zxcv asdf"])
def test_trained_pipeline_turns_mash_into_nlu_fallback(nlu_agent, text: str):  # noqa: F811
    result = parse(nlu_agent, text)
    assert result["intent"]["name"] == "nlu_fallback"
    assert result[GATE_KEY]["unknown_share"] == 1.0
    assert len(result["intent_ranking"]) > 1  # the classifier's guesses stay visible


@pytest.mark.parametrize("text", ["ok", "uk", "dc", "vâng", "ko", "cccd", "gks", "sổ đỏ", "1234", "hello",
                                  "000.00.01.H29-240115-0001", "đăng ký tạm trú"])
def test_trained_pipeline_lets_real_short_messages_through(nlu_agent, text: str):  # noqa: F811
    result = parse(nlu_agent, text)
    assert GATE_KEY not in result, result["intent"]
