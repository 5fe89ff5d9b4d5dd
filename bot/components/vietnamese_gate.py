"""NLU gate: a message whose words are mostly not Vietnamese becomes `nlu_fallback`.

Logistic regression has to pick some intent even for keyboard mash ("lkjh poiu mnbv"); with almost no
features it falls back on the class priors and answers `affirm` with 0.3-0.5 confidence, so the threshold
of FallbackClassifier misses it. This gate is deterministic and cheap: after the classifier it looks at the
tokenizer's tokens (folded, aliases expanded, digits as "0") and counts the unknown ones. A token is known
when it has the shape of a Vietnamese syllable (onset + vowel nucleus + coda), contains a digit (numbers,
dossier codes), is in the allowlist file (ok, hello, zalo, passport...) or was seen in the training data
(collected at training time and stored with the model). When more than `max_unknown_share` of the tokens
are unknown, the intent becomes `nlu_fallback` and the parse result says why (`vietnamese_gate`), so the
fallback action does not search the catalog with gibberish.
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Dict, Iterable, List, Optional, Set, Text

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.nlu.constants import INTENT, INTENT_RANKING_KEY, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData
from rasa.nlu.constants import TOKENS_NAMES

DEFAULT_KNOWN_WORDS = Path(__file__).parent / "data" / "gate_known_words.txt"
FALLBACK_INTENT = "nlu_fallback"
GATE_KEY = "vietnamese_gate"  # added to the parse result when the gate fired
VOCABULARY_FILE = "vocabulary.json"

# Folded Vietnamese syllable: onset, then one of the vowel nuclei (with their glides), then a final consonant.
_ONSETS = "ngh|ng|nh|ch|gh|gi|kh|ph|th|tr|qu|[bcdghklmnprstvx]"
_NUCLEI = ("uye|uya|uyu|uou|uoi|ieu|yeu|oai|oay|oao|oeo|uay|uai|"
           "ai|ao|au|ay|eo|eu|ia|ie|iu|oa|oe|oi|oo|ua|ue|ui|uo|uu|uy|ya|ye|"
           "a|e|i|o|u|y")
_CODAS = "ch|ng|nh|[cmnpt]"
SYLLABLE_RE = re.compile(rf"^(?:{_ONSETS})?(?:{_NUCLEI})(?:{_CODAS})?$")
_DIGIT_RE = re.compile(r"\d")


def is_vietnamese_syllable(token: str) -> bool:
    """True for the folded lower-case shape of a Vietnamese syllable ("nguyen", "duoc", "khuyen")."""
    return bool(SYLLABLE_RE.match(token))


def is_known(token: str, known_words: Set[str]) -> bool:
    return is_vietnamese_syllable(token) or bool(_DIGIT_RE.search(token)) or token in known_words


def unknown_share(tokens: List[str], known_words: Set[str]) -> float:
    """Share of the word tokens that are neither Vietnamese, numbers nor known words (0 for no words)."""
    words = [t for t in tokens if t.isalnum()]
    if not words:
        return 0.0
    return sum(not is_known(t, known_words) for t in words) / len(words)


def read_known_words(path: Path) -> Set[str]:
    lines = path.read_text(encoding="utf-8").splitlines()
    return {line.strip().lower() for line in lines if line.strip() and not line.lstrip().startswith("#")}


def vocabulary_outside_syllables(token_lists: Iterable[List[str]]) -> Set[str]:
    """The training words the syllable check alone would reject ("cmnd", "sdt" ...): kept with the model."""
    return {t for tokens in token_lists for t in tokens if t.isalnum() and not is_known(t, set())}


@dataclass(frozen=True)
class GateDecision:
    fires: bool
    share: float


def decide(tokens: List[str], known_words: Set[str], max_unknown_share: float) -> GateDecision:
    share = unknown_share(tokens, known_words)
    return GateDecision(share > max_unknown_share, share)


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER], is_trainable=True)
class VietnameseGate(GraphComponent):
    """Turns mostly non-Vietnamese messages into `nlu_fallback`; place it before FallbackClassifier."""

    @staticmethod
    def get_default_config() -> Dict[Text, Any]:
        return {
            # more than this share of unknown words -> nlu_fallback ("mostly": one of two is not enough)
            "max_unknown_share": 0.5,
            # allowlist file, relative to the repository root or absolute; None for the bundled one
            "known_words_path": None,
            # training words of these intents are not learnt: the out_of_scope examples include keyboard mash
            "ignore_vocabulary_of_intents": ["out_of_scope"],
        }

    def __init__(self, config: Dict[Text, Any], model_storage: ModelStorage, resource: Resource,
                 vocabulary: Optional[Set[str]] = None) -> None:
        self._config = {**self.get_default_config(), **config}
        self._storage = model_storage
        self._resource = resource
        path = self._config["known_words_path"]
        self._known = read_known_words(Path(path) if path else DEFAULT_KNOWN_WORDS) | (vocabulary or set())

    @classmethod
    def create(cls, config: Dict[Text, Any], model_storage: ModelStorage, resource: Resource,
               execution_context: ExecutionContext) -> "VietnameseGate":
        return cls(config, model_storage, resource)

    @classmethod
    def load(cls, config: Dict[Text, Any], model_storage: ModelStorage, resource: Resource,
             execution_context: ExecutionContext, **kwargs: Any) -> "VietnameseGate":
        vocabulary: Set[str] = set()
        try:
            with model_storage.read_from(resource) as directory:
                vocabulary = set(json.loads((directory / VOCABULARY_FILE).read_text(encoding="utf-8")))
        except (ValueError, FileNotFoundError):
            pass  # a model trained without examples: the allowlist alone
        return cls(config, model_storage, resource, vocabulary)

    def train(self, training_data: TrainingData) -> Resource:
        ignored = set(self._config["ignore_vocabulary_of_intents"] or [])
        token_lists = [[t.text for t in m.get(TOKENS_NAMES[TEXT]) or []]
                       for m in training_data.training_examples if m.get(INTENT) not in ignored]
        vocabulary = sorted(vocabulary_outside_syllables(token_lists))
        with self._storage.write_to(self._resource) as directory:
            (directory / VOCABULARY_FILE).write_text(json.dumps(vocabulary, ensure_ascii=False), encoding="utf-8")
        self._known |= set(vocabulary)
        return self._resource

    def process(self, messages: List[Message]) -> List[Message]:
        for message in messages:
            tokens = [t.text for t in message.get(TOKENS_NAMES[TEXT]) or []]
            decision = decide(tokens, self._known, float(self._config["max_unknown_share"]))
            if decision.fires:
                self._fall_back(message, decision)
        return messages

    @staticmethod
    def _fall_back(message: Message, decision: GateDecision) -> None:
        # Confidence 1.0 so FallbackClassifier keeps it; the classifier's guess stays in the ranking.
        intent = {"name": FALLBACK_INTENT, "confidence": 1.0}
        ranking = [r for r in message.get(INTENT_RANKING_KEY) or [] if r.get("name") != FALLBACK_INTENT]
        message.set(INTENT, intent, add_to_output=True)
        message.set(INTENT_RANKING_KEY, [intent, *ranking], add_to_output=True)
        message.set(GATE_KEY, {"unknown_share": round(decision.share, 2)}, add_to_output=True)
