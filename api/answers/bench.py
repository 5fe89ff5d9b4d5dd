"""Benchmark of the answer composer and of POST /api/answer's logic (in-process); prints figures.

    .venv/bin/python -m api.answers.bench --catalog ../shared/data/catalog/procedures.jsonl \
        [--index var/index --embedding-model none] [--questions ../shared/data/questions/dev.jsonl]

Composer: every aspect and every part of every record. Answers (with --index): each question as a first
question, then as a follow-up on a remembered procedure, timing the topic decision + composition.
"""
from __future__ import annotations

import argparse
import json
import statistics
import time
from pathlib import Path

from api.answers.composer import ASPECTS, compose_answer
from api.answers.service import AnswerRequest, answer_question


def bench_composer(catalog: Path) -> None:
    from procedure_index.catalog import load_catalogs

    procedures = load_catalogs([catalog]).procedures
    lengths: list[int] = []
    start = time.perf_counter()
    for procedure in procedures:
        for aspect in ASPECTS:
            parts = compose_answer(procedure, aspect, 1).parts
            for part in range(1, parts + 1):
                lengths.append(len(compose_answer(procedure, aspect, part).messages[0].text))
    seconds = time.perf_counter() - start
    lengths.sort()
    print(f"composer: {len(procedures)} procedures, {len(lengths)} replies in {seconds:.2f} s "
          f"({seconds / len(lengths) * 1e6:.0f} µs/reply); chars median {lengths[len(lengths) // 2]}, "
          f"p95 {lengths[int(len(lengths) * 0.95)]}, max {lengths[-1]}")


def bench_answers(index: Path, embedding_model: str, questions: Path) -> None:
    from procedure_index.search import ProcedureSearch

    search = ProcedureSearch.load(index, embedding_model=embedding_model)
    rows = [json.loads(line) for line in questions.read_text(encoding="utf-8").splitlines() if line.strip()]
    timings: dict[str, list[float]] = {"first": [], "follow_up": []}
    verdicts: dict[str, int] = {}
    for row in rows:
        for kind, code in (("first", None), ("follow_up", "1.000894")):
            start = time.perf_counter()
            body = answer_question(search, AnswerRequest("bench", row["question"], row.get("aspect", "general"), code))
            timings[kind].append((time.perf_counter() - start) * 1000)
            if kind == "first":
                verdicts[body["verdict"]] = verdicts.get(body["verdict"], 0) + 1
    for kind, values in timings.items():
        values.sort()
        print(f"answer ({kind}): {len(values)} questions, median {statistics.median(values):.1f} ms, "
              f"p95 {values[int(len(values) * 0.95)]:.1f} ms, max {values[-1]:.1f} ms")
    print(f"first-question verdicts: {verdicts}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--catalog", type=Path, required=True)
    parser.add_argument("--index", type=Path)
    parser.add_argument("--embedding-model", default="none")
    parser.add_argument("--questions", type=Path, default=Path("../shared/data/questions/dev.jsonl"))
    args = parser.parse_args()
    bench_composer(args.catalog)
    if args.index:
        bench_answers(args.index, args.embedding_model, args.questions)


if __name__ == "__main__":
    main()
