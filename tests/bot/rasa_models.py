"""Running the Rasa CLI from the bot tests, and models cached by the content of their inputs.

A model is trained once for a given set of inputs and kept under var/test-models/, so a second test run
only tests; models of older inputs are deleted because they are never used again.
"""
from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
RASA = Path(sys.executable).parent / "rasa"
MODEL_CACHE = ROOT / "var" / "test-models"


def rasa(*args: str, timeout: int = 900) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "SQLALCHEMY_SILENCE_UBER_WARNING": "1"}
    return subprocess.run([str(RASA), *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout)


def inputs_hash(paths: list[Path]) -> str:
    digest = hashlib.sha256()
    for path in paths:
        digest.update(path.relative_to(ROOT).as_posix().encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def cached_model(kind: str, inputs: list[Path], *train_args: str) -> Path:
    """`rasa train <train_args>` into MODEL_CACHE/<kind>-<hash of inputs>.tar.gz unless it is there already."""
    name = f"{kind}-{inputs_hash(inputs)}"
    model = MODEL_CACHE / f"{name}.tar.gz"
    if not model.exists():
        for stale in MODEL_CACHE.glob(f"{kind}-*.tar.gz"):
            stale.unlink()
        result = rasa("train", *train_args, "--out", str(MODEL_CACHE), "--fixed-model-name", name)
        assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert model.exists()
    return model
