"""Fixtures for the procedure search tests."""
from __future__ import annotations

from pathlib import Path

import pytest
from pi_fixtures import FIXTURE_RECORDS, SHARED_DATA, write_jsonl


@pytest.fixture(scope="session")
def fixture_catalog(tmp_path_factory) -> Path:
    return write_jsonl(tmp_path_factory.mktemp("catalog") / "catalog.jsonl", FIXTURE_RECORDS)


@pytest.fixture(scope="session")
def lexical_index(fixture_catalog, tmp_path_factory) -> Path:
    from procedure_index.build import build_index

    out = tmp_path_factory.mktemp("index")
    build_index([fixture_catalog], out, embedding_model="none")
    return out


@pytest.fixture(scope="session")
def shared_catalog() -> Path:
    path = SHARED_DATA / "catalog"
    if not (path / "procedures.jsonl").exists():
        pytest.skip("../shared/data/catalog is not beside the repository")
    return path
