"""Shared objects of the running app, built once in `create_app` and handed to routers."""
from __future__ import annotations

import hmac
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from fastapi import Header, HTTPException

from api.settings import Settings

if TYPE_CHECKING:  # the search engine imports numpy/faiss; load it only when first needed
    from procedure_index.search import ProcedureSearch


class SearchNotReady(RuntimeError):
    """The procedure index has not been built (run `make run`, which builds it)."""


@dataclass
class SearchProvider:
    """Loads the procedure index once, on first use, and shares it between requests."""

    index_dir: Path
    province: str
    embedding_model: str
    _search: "ProcedureSearch | None" = field(default=None, init=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, init=False)

    def __call__(self) -> "ProcedureSearch":
        if self._search is None:
            with self._lock:
                if self._search is None:
                    from procedure_index.search import ProcedureSearch

                    if not self.index_dir.exists():
                        raise SearchNotReady(f"no procedure index at {self.index_dir}")
                    self._search = ProcedureSearch.load(
                        self.index_dir, province=self.province, embedding_model=self.embedding_model
                    )
        return self._search

    @property
    def loaded(self) -> bool:
        return self._search is not None


def search_provider_for(settings: Settings) -> SearchProvider:
    return SearchProvider(
        index_dir=settings.resolved_data_dir / "index",
        province=settings.province,
        embedding_model=settings.embedding_model,
    )


def internal_token_check(expected: str):
    """A dependency for the internal API: the action server proves it is ours with a shared token.

    Without it anyone who can reach the app could call /api/dossiers/lookup under made-up sender ids and
    so escape the per-conversation brute-force limits.
    """

    async def check(x_internal_token: str = Header(default="")) -> None:
        if expected and not hmac.compare_digest(x_internal_token.encode(), expected.encode()):
            raise HTTPException(401, "Chỉ dành cho máy chủ hội thoại. / Internal API: missing or wrong token.")

    return check
