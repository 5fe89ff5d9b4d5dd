"""Facts about ../shared/data read at test time (the data itself is never copied into the project)."""
from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SHARED_CATALOG = ROOT.parent / "shared" / "data" / "catalog" / "procedures.jsonl"


@lru_cache
def shared_source_tags() -> frozenset[str]:
    """The provenance tags of the shared catalog ("a+b" joins two), read from the catalog itself.

    Tests use them to check that no project file carries a record of the shared catalog. Empty when the
    shared catalog is not beside the repository.
    """
    if not SHARED_CATALOG.exists():
        return frozenset()
    tags = set()
    with SHARED_CATALOG.open(encoding="utf-8") as handle:
        for line in handle:
            if line.strip():
                tags.update(part for part in (json.loads(line).get("source") or "").split("+") if part)
    return frozenset(tags)
