"""The Rasa test stories (tests/bot/test_stories.yml) on a freshly trained
dialogue model. The model is cached under var/test-models/ by a hash of config, domain and stories/rules,
so a second run only tests.

Run in the bot env: /work/main/.venv-bot/bin/python -m pytest tests/bot -q
"""
from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest
import yaml

from tests.bot.rasa_models import RASA, ROOT, cached_model, rasa

STORIES = ROOT / "tests" / "bot" / "test_stories.yml"
DIALOGUE_INPUTS = [ROOT / "config.yml", *sorted((ROOT / "bot" / "domain").glob("*.yml")),
                   *sorted((ROOT / "nlu_data" / "stories").glob("*.yml")),
                   *sorted((ROOT / "nlu_data" / "rules").glob("*.yml"))]

needs_rasa = pytest.mark.skipif(not RASA.exists(), reason="needs the Rasa env (.venv-bot)")


def domain_responses() -> dict[str, list[dict]]:
    responses: dict[str, list[dict]] = {}
    for path in sorted((ROOT / "bot" / "domain").glob("*.yml")):
        responses.update(yaml.safe_load(path.read_text(encoding="utf-8")).get("responses") or {})
    return responses


def test_every_reply_is_polite_vietnamese_and_short():
    for name, variants in domain_responses().items():
        for variant in variants:
            text = variant["text"]
            assert "Anh/Chị" in text, name
            assert len(text) <= 600, name
            for button in variant.get("buttons") or []:
                assert button["payload"].startswith("/"), name


def test_every_response_the_actions_send_is_in_the_domain():
    used = set()
    for path in (ROOT / "actions").glob("*.py"):
        used |= set(re.findall(r'response="(utter_\w+)"', path.read_text(encoding="utf-8")))
        used |= set(re.findall(r'"(utter_fallback_\w+)"', path.read_text(encoding="utf-8")))
    assert used and used <= set(domain_responses()), used - set(domain_responses())


@pytest.fixture(scope="module")
def dialogue_model() -> Path:
    """A core-only model: test stories carry their intents, so no NLU training is needed here."""
    return cached_model("dialogue", DIALOGUE_INPUTS,
                        "core", "--config", "config.yml", "--domain", "bot/domain", "--stories", "nlu_data")


def run_test_stories(model: Path, stories: Path, out: Path) -> tuple[subprocess.CompletedProcess, str]:
    """(the process, failed_test_stories.yml); Rasa writes that file with every failed story annotated."""
    result = rasa("test", "core", "--stories", str(stories), "--model", str(model), "--out", str(out))
    failed = (out / "failed_test_stories.yml")
    return result, failed.read_text(encoding="utf-8") if failed.exists() else ""


@needs_rasa
def test_main_flows_pass(dialogue_model: Path, tmp_path: Path):
    result, failed = run_test_stories(dialogue_model, STORIES, tmp_path)
    assert "None of the test stories failed" in failed, failed
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]


@needs_rasa
def test_a_wrong_story_is_reported(dialogue_model: Path, tmp_path: Path):
    """The harness can fail: a fee question answered with a goodbye must be reported."""
    wrong = tmp_path / "wrong.yml"
    wrong.write_text(
        'version: "3.1"\nstories:\n  - story: wrong\n    steps:\n'
        "      - intent: ask_fee\n      - action: utter_goodbye\n", encoding="utf-8")
    _, failed = run_test_stories(dialogue_model, wrong, tmp_path / "out")
    assert "utter_goodbye" in failed and "predicted: action_answer_procedure" in failed
