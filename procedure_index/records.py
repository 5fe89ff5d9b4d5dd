"""Procedure records kept compact, for catalogs of tens of thousands of records.

A 50,000-record catalog is ~330 MB of JSON and about twice that as `Procedure` objects, mostly long legal
text that only a few stages read. So the build keeps each record as its compressed JSON line
(`RecordStore`), and a search process keeps a `ProcedureSummary` of every record plus where its line is
in the index's procedures.jsonl (`RecordFile`); full records are decoded when asked for.
"""
from __future__ import annotations

import functools
import json
import sys
import threading
import weakref
import zlib
from array import array
from collections.abc import Iterator, MutableMapping
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable

from procedure_index.catalog import FIELD_NAMES, Procedure


def record_fields(procedure: Procedure) -> dict:
    """The same as `procedure.to_dict()` without its deep copy (which costs more than encoding the JSON)."""
    return {name: getattr(procedure, name) for name in FIELD_NAMES}


def _shared(text: str | None) -> str | None:
    # Levels, subjects, provinces repeat across thousands of records: one string object each.
    return sys.intern(text) if text is not None else None


@dataclass(frozen=True, slots=True)
class ProcedureSummary:
    """The short fields of a record, which grouping and ranking read for every record. Long texts
    (documents, steps, requirements, results, channels, ...) are not here: read the full `Procedure`.
    A field the ranking starts to read for every record belongs here."""

    code: str
    name: str
    field: str | None
    kind: str | None
    levels: list[str]
    subjects: list[str]
    province: str | None
    detail: str
    online_level: str | None
    status: str | None

    @classmethod
    def of(cls, record: dict) -> "ProcedureSummary":
        """From a record's fields, as in `Procedure.to_dict()` or a procedures.jsonl line."""
        return cls(code=record["code"], name=record["name"], field=_shared(record["field"]),
                   kind=_shared(record["kind"]), levels=[_shared(v) for v in record["levels"]],
                   subjects=[_shared(v) for v in record["subjects"]], province=_shared(record["province"]),
                   detail=_shared(record["detail"]), online_level=_shared(record["online_level"]),
                   status=_shared(record["status"]))


class RecordStore(MutableMapping[str, Procedure]):
    """Procedures by code, in insertion order (a replaced record keeps its place, as in a dict). Each is
    kept as its zlib-compressed JSON line (about a quarter of the JSON) next to its summary, and decoded
    when read."""

    def __init__(self, procedures: Iterable[Procedure] = ()):
        self._entries: dict[str, tuple[bytes, ProcedureSummary]] = {}
        for procedure in procedures:
            self[procedure.code] = procedure

    def __setitem__(self, code: str, procedure: Procedure) -> None:
        fields = record_fields(procedure)
        line = json.dumps(fields, ensure_ascii=False)  # as the build writes it to procedures.jsonl
        # Level 1: every record is compressed once and read a few times; speed matters more than size.
        self._entries[code] = (zlib.compress(line.encode("utf-8"), 1), ProcedureSummary.of(fields))

    def __getitem__(self, code: str) -> Procedure:
        return Procedure(**json.loads(self.line(code)))

    def __delitem__(self, code: str) -> None:
        del self._entries[code]

    def __contains__(self, code: object) -> bool:
        return code in self._entries  # without decoding the record (the mixin's version would)

    def __iter__(self) -> Iterator[str]:
        return iter(self._entries)

    def __len__(self) -> int:
        return len(self._entries)

    def line(self, code: str) -> str:
        """The record's line of procedures.jsonl (JSON, no newline), without decoding it."""
        return zlib.decompress(self._entries[code][0]).decode("utf-8")

    def summary(self, code: str) -> ProcedureSummary:
        return self._entries[code][1]


class RecordFile:
    """The records of an index's procedures.jsonl: every record's summary in memory (`summaries`, one per
    line, in file order), full records read from the file by byte offset when asked for. The file stays
    open, so a rebuild that replaces it does not change what this instance reads. Safe across threads."""

    def __init__(self, path: Path, cache_size: int = 256):
        self.path = Path(path)
        self.summaries: list[ProcedureSummary] = []
        self._row_of_code: dict[str, int] = {}
        self._offsets = array("q", [0])  # line i is bytes _offsets[i] to _offsets[i + 1]
        with self.path.open("rb") as handle:
            for line in handle:
                if line.strip():
                    summary = ProcedureSummary.of(json.loads(line))
                    self._row_of_code[summary.code] = len(self.summaries)
                    self.summaries.append(summary)
                    self._offsets.append(self._offsets[-1] + len(line))
                else:  # a blank line goes with the record before it (JSON ignores the whitespace)
                    self._offsets[-1] += len(line)
        self._file = self.path.open("rb")
        weakref.finalize(self, self._file.close)
        self._file_lock = threading.Lock()
        # Recently read records: an answer reads the same procedure for several follow-up questions.
        self._read_row = functools.lru_cache(maxsize=cache_size)(self._decode_row)

    def __len__(self) -> int:
        return len(self.summaries)

    def get(self, code: str) -> Procedure | None:
        row = self._row_of_code.get(code)
        return None if row is None else self._read_row(row)

    def _decode_row(self, row: int) -> Procedure:
        start = self._offsets[row]
        with self._file_lock:
            self._file.seek(start)
            line = self._file.read(self._offsets[row + 1] - start)
        procedure = Procedure(**json.loads(line))
        if procedure.code != self.summaries[row].code:
            raise RuntimeError(f"{self.path} changed after it was loaded (line {row + 1} is now {procedure.code})")
        return procedure
