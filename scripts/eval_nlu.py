"""Held-out evaluation of the Rasa NLU pipeline: intent macro-F1 with and without diacritics.

Trains an NLU model from scratch on nlu_data/nlu (the held-out files live outside nlu_data so they are
never trained on), parses every held-out example and a diacritic-free copy of it, and prints:
  - intent macro-F1 (over the held-out intents; a fallback counts as a miss) with the configured
    FallbackClassifier, for both copies;
  - the same figures for other fallback thresholds, to tune `threshold` in config.yml;
  - entity exact-match accuracy on the examples that carry entities;
  - how many unrelated or gibberish messages end as out_of_scope or nlu_fallback;
  - when ../shared/data/questions/dev.jsonl is beside the repository: aspect-intent accuracy on those
    real citizen questions (read at run time, never copied);
  - training time and parse speed.

Runs from either virtualenv: Rasa itself always runs in .venv-bot (shelled out).

    python scripts/eval_nlu.py [--heldout tests/bot/data/nlu_heldout.yml] [--keep-model DIR]
"""
from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Dict, Iterable, List, Optional, Sequence

REPO_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO_ROOT))

from procedure_index.vntext import fold_diacritics  # noqa: E402  (stdlib-only, either env)

BOT_BIN = REPO_ROOT / ".venv-bot" / "bin"
DEFAULT_HELDOUT = REPO_ROOT / "tests" / "bot" / "data" / "nlu_heldout.yml"
DEFAULT_UNRELATED = REPO_ROOT / "tests" / "bot" / "data" / "nlu_unrelated.yml"
SHARED_DEV_QUESTIONS = REPO_ROOT.parent / "shared" / "data" / "questions" / "dev.jsonl"
ASPECT_INTENTS = {
    "general": "ask_procedure", "documents": "ask_documents", "fee": "ask_fee", "duration": "ask_duration",
    "place": "ask_place", "steps": "ask_steps", "online": "ask_online", "eligibility": "ask_eligibility",
    "result": "ask_result",
}
FALLBACK_INTENT = "nlu_fallback"
NOT_UNDERSTOOD = {"out_of_scope", FALLBACK_INTENT}
SWEEP_THRESHOLDS = (0.0, 0.1, 0.15, 0.2, 0.25, 0.3, 0.35, 0.4, 0.5)


@dataclass(frozen=True)
class Prediction:
    text: str
    gold_intent: str
    intent: str  # as configured, may be nlu_fallback
    raw_intent: str  # best intent before the fallback
    raw_confidence: float
    gold_entities: tuple
    entities: tuple


# --- metrics (pure functions) --------------------------------------------------------------------


def macro_f1(gold: Sequence[str], predicted: Sequence[str]) -> float:
    """Mean F1 over the gold labels; predictions of other labels (e.g. nlu_fallback) only cost recall."""
    labels = sorted(set(gold))
    scores = []
    for label in labels:
        tp = sum(1 for g, p in zip(gold, predicted) if g == label and p == label)
        fp = sum(1 for g, p in zip(gold, predicted) if g != label and p == label)
        fn = sum(1 for g, p in zip(gold, predicted) if g == label and p != label)
        precision = tp / (tp + fp) if tp + fp else 0.0
        recall = tp / (tp + fn) if tp + fn else 0.0
        scores.append(2 * precision * recall / (precision + recall) if precision + recall else 0.0)
    return sum(scores) / len(scores) if scores else 0.0


def apply_threshold(predictions: Iterable[Prediction], threshold: float) -> List[str]:
    return [p.raw_intent if p.raw_confidence >= threshold else FALLBACK_INTENT for p in predictions]


def entity_accuracy(predictions: Sequence[Prediction]) -> Optional[float]:
    with_entities = [p for p in predictions if p.gold_entities]
    if not with_entities:
        return None
    return sum(1 for p in with_entities if set(p.entities) == set(p.gold_entities)) / len(with_entities)


# --- running Rasa (always in .venv-bot) ----------------------------------------------------------


def rasa_env() -> Dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = str(REPO_ROOT) + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    env.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    return env


def train_model(config: Path, nlu: Path, out_dir: Path) -> Path:
    command = [
        str(BOT_BIN / "rasa"), "train", "nlu", "--config", str(config), "--nlu", str(nlu),
        "--out", str(out_dir), "--fixed-model-name", "eval", "--quiet",
    ]
    # No training cache: the time printed is what CI pays when it trains from scratch.
    env = {**rasa_env(), "RASA_MAX_CACHE_SIZE": "0"}
    completed = subprocess.run(command, cwd=REPO_ROOT, env=env, capture_output=True, text=True)
    if completed.returncode != 0:
        sys.stderr.write(completed.stdout[-4000:] + completed.stderr[-4000:])
        raise SystemExit(f"rasa train nlu failed with exit code {completed.returncode}")
    return out_dir / "eval.tar.gz"


def parse_files(model: Path, data_files: Sequence[Path]) -> Dict[str, List[Prediction]]:
    """Parse every example of each file with the model, in one .venv-bot process (one model load)."""
    command = [str(BOT_BIN / "python"), str(Path(__file__).resolve()), "--parse-worker", str(model)]
    command += [str(f) for f in data_files]
    completed = subprocess.run(
        command, cwd=REPO_ROOT, env=rasa_env(), check=True, capture_output=True, text=True
    )
    results: Dict[str, List[Prediction]] = {}
    for line in completed.stdout.splitlines():
        if line.startswith("{"):
            row = json.loads(line)
            row["gold_entities"] = tuple(map(tuple, row["gold_entities"]))
            row["entities"] = tuple(map(tuple, row["entities"]))
            results.setdefault(row.pop("file"), []).append(Prediction(**row))
    return results


def parse_worker(model: str, data_files: Sequence[str]) -> None:
    """Runs inside .venv-bot: prints one JSON line per example."""
    import asyncio
    import logging

    logging.disable(logging.WARNING)
    from rasa.core.agent import Agent
    from rasa.shared.nlu.training_data.loading import load_data

    agent = Agent.load(model)

    async def parse_all() -> None:
        for data_file in data_files:
            for message in load_data(data_file).intent_examples:
                text = message.get("text")
                result = await agent.parse_message(text)
                raw = next(r for r in result["intent_ranking"] if r["name"] != FALLBACK_INTENT)
                gold_entities = sorted((e["entity"], e["value"]) for e in message.get("entities") or [])
                entities = sorted((e["entity"], e["value"]) for e in result.get("entities") or [])
                row = {
                    "file": data_file, "text": text, "gold_intent": message.get("intent"),
                    "intent": result["intent"]["name"], "raw_intent": raw["name"],
                    "raw_confidence": raw["confidence"], "gold_entities": gold_entities, "entities": entities,
                }
                print(json.dumps(row, ensure_ascii=False), flush=True)

    asyncio.run(parse_all())


# --- report --------------------------------------------------------------------------------------


def write_folded_copy(heldout: Path, out_dir: Path) -> Path:
    """The held-out file with every diacritic removed (entity annotations and intents are ASCII)."""
    folded = out_dir / "heldout_no_diacritics.yml"
    folded.write_text(fold_diacritics(heldout.read_text(encoding="utf-8")), encoding="utf-8")
    return folded


def write_dev_questions(questions: Path, out_dir: Path) -> Optional[Path]:
    """Labelled procedure questions as Rasa NLU YAML, intent = the aspect asked; None if absent."""
    if not questions.exists():
        return None
    by_intent: Dict[str, List[str]] = {}
    for line in questions.read_text(encoding="utf-8").splitlines():
        row = json.loads(line) if line.strip() else None
        if row and row.get("kind") == "procedure" and row.get("aspect") in ASPECT_INTENTS:
            # Brackets would read as entity annotations; they carry no intent signal here.
            text = " ".join(row["question"].replace("[", "(").replace("]", ")").split())
            by_intent.setdefault(ASPECT_INTENTS[row["aspect"]], []).append(text)
    lines = ['version: "3.1"', "nlu:"]
    for intent, texts in by_intent.items():
        lines += [f"- intent: {intent}", "  examples: |"] + [f"    - {t}" for t in texts]
    path = out_dir / "dev_questions.yml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def print_extra_sets(unrelated: List[Prediction], dev: Optional[List[Prediction]]) -> None:
    handled = sum(1 for p in unrelated if p.intent in NOT_UNDERSTOOD)
    print(f"unrelated/gibberish: {handled}/{len(unrelated)} ended as out_of_scope or nlu_fallback")
    for p in unrelated:
        if p.intent not in NOT_UNDERSTOOD:
            print(f"  taken as {p.intent} ({p.raw_confidence:.2f}): {p.text}")
    if dev is None:
        print("shared dev questions: not found beside the repository, skipped")
        return
    correct = sum(1 for p in dev if p.intent == p.gold_intent)
    f1 = macro_f1([p.gold_intent for p in dev], [p.intent for p in dev])
    print(f"shared dev questions (aspect as intent, n={len(dev)}): accuracy={correct / len(dev):.3f} "
          f"macro-F1={f1:.3f}  (several are context-dependent follow-ups; indicative only)")
    for p in dev:
        if p.intent != p.gold_intent:
            print(f"  {p.gold_intent:>16} -> {p.intent:<16} ({p.raw_confidence:.2f})  {p.text}")


def print_report(
    named: Dict[str, List[Prediction]], unrelated: List[Prediction], configured_threshold: Optional[float]
) -> None:
    for name, predictions in named.items():
        gold = [p.gold_intent for p in predictions]
        f1 = macro_f1(gold, [p.intent for p in predictions])
        fallbacks = sum(1 for p in predictions if p.intent == FALLBACK_INTENT)
        entities = entity_accuracy(predictions)
        print(f"{name}: n={len(predictions)} intents={len(set(gold))} "
              f"intent macro-F1={f1:.3f} (fallback threshold {configured_threshold}, {fallbacks} fell back)"
              + (f" entity exact-match={entities:.3f}" if entities is not None else ""))
    print("\nfallback threshold sweep (held-out intent macro-F1 / share falling back; unrelated messages"
          " ending as out_of_scope or nlu_fallback):")
    print("threshold  " + "  ".join(f"{name:>24}" for name in named) + f"  {'unrelated handled':>18}")
    for threshold in SWEEP_THRESHOLDS:
        cells = []
        for predictions in named.values():
            predicted = apply_threshold(predictions, threshold)
            share = sum(1 for p in predicted if p == FALLBACK_INTENT) / len(predicted)
            cells.append(f"{macro_f1([p.gold_intent for p in predictions], predicted):.3f} / {share:5.1%}")
        handled = sum(1 for p in apply_threshold(unrelated, threshold) if p in NOT_UNDERSTOOD)
        cells.append(f"{handled}/{len(unrelated)}")
        print(f"{threshold:9.2f}  " + "  ".join(f"{c:>24}" for c in cells[:-1]) + f"  {cells[-1]:>18}")
    for name, predictions in named.items():
        errors = [p for p in predictions if p.intent != p.gold_intent]
        print(f"\nerrors in {name} ({len(errors)}):")
        for p in errors:
            print(f"  {p.gold_intent:>20} -> {p.intent:<20} ({p.raw_intent} {p.raw_confidence:.2f})  {p.text}")
        confusions = Counter((p.gold_intent, p.raw_intent) for p in errors if p.raw_intent != p.gold_intent)
        if confusions:
            print("  most confused:", ", ".join(f"{g}->{r} x{n}" for (g, r), n in confusions.most_common(5)))


def configured_fallback_threshold(config: Path) -> Optional[float]:
    match = re.search(r"FallbackClassifier\s*\n\s*threshold:\s*([0-9.]+)", config.read_text(encoding="utf-8"))
    return float(match.group(1)) if match else None


def main(argv: Optional[Sequence[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--config", type=Path, default=REPO_ROOT / "config.yml")
    parser.add_argument("--nlu", type=Path, default=REPO_ROOT / "nlu_data" / "nlu")
    parser.add_argument("--heldout", type=Path, default=DEFAULT_HELDOUT)
    parser.add_argument("--unrelated", type=Path, default=DEFAULT_UNRELATED)
    parser.add_argument("--dev-questions", type=Path, default=SHARED_DEV_QUESTIONS)
    parser.add_argument("--keep-model", type=Path, help="write the trained model here instead of a temp dir")
    parser.add_argument("--parse-worker", nargs="+", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)

    if args.parse_worker:
        parse_worker(args.parse_worker[0], args.parse_worker[1:])
        return 0

    with tempfile.TemporaryDirectory(prefix="eval_nlu_") as tmp:
        work = Path(tmp)
        model_dir = args.keep_model or (work / "models")
        started = time.perf_counter()
        model = train_model(args.config, args.nlu, model_dir)
        train_s = time.perf_counter() - started

        folded = write_folded_copy(args.heldout, work)
        dev = write_dev_questions(args.dev_questions, work)
        files = [args.heldout, folded, args.unrelated] + ([dev] if dev else [])
        started = time.perf_counter()
        parsed = parse_files(model, files)
        parse_s = time.perf_counter() - started
        named = {"with diacritics": parsed[str(args.heldout)], "without diacritics": parsed[str(folded)]}

    total = sum(len(v) for v in parsed.values())
    print(f"trained `rasa train nlu` in {train_s:.1f}s; parsed {total} messages in {parse_s:.1f}s "
          f"(including one model load)\n")
    print_report(named, parsed[str(args.unrelated)], configured_fallback_threshold(args.config))
    print()
    print_extra_sets(parsed[str(args.unrelated)], parsed.get(str(dev)) if dev else None)
    return 0


if __name__ == "__main__":
    sys.exit(main())
