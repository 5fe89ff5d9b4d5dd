"""Benchmark: end-to-end dossier lookups (service → adapter → reference one-stop service over HTTP).

    .venv/bin/python -m api.dossiers.bench --n 100

Prints latency percentiles for found, mismatch and locked lookups. Uses a temporary SQLite file and the
reference service on a free loopback port; nothing else is touched.
"""
from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
from pathlib import Path

from api.db import Database
from api.dossiers.service import build_lookup_service
from api.settings import Settings
from onestop_reference.background import serve_in_thread
from onestop_reference.server import create_app

CODE = "000.00.31.H56-261120-0001"
RIGHT = "0101"


def percentiles(samples_ms: list[float]) -> str:
    qs = statistics.quantiles(samples_ms, n=100)
    return f"p50 {qs[49]:.1f} ms  p95 {qs[94]:.1f} ms  max {max(samples_ms):.1f} ms  (n={len(samples_ms)})"


async def timed(service, sender: str, digits: str, n: int) -> list[float]:
    samples = []
    for i in range(n):
        started = time.perf_counter()
        await service.lookup(f"{sender}-{i}" if sender.endswith("*") else sender, CODE, digits)
        samples.append((time.perf_counter() - started) * 1000)
    return samples


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=100)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp, serve_in_thread(create_app("bench")) as url:
        settings = Settings(dossier_api_url=f"{url}/api/sharing", dossier_api_token="bench")
        service = build_lookup_service(settings, Database(Path(tmp) / "bench.db"))
        found = asyncio.run(timed(service, "bench:found", RIGHT, args.n))
        mismatch = asyncio.run(timed(service, "bench:mismatch*", "9999", args.n))  # new sender each: no lock
        asyncio.run(timed(service, "bench:locked", "9999", 5))
        locked = asyncio.run(timed(service, "bench:locked", RIGHT, args.n))
    print(f"found    {percentiles(found)}")
    print(f"mismatch {percentiles(mismatch)}")
    print(f"locked   {percentiles(locked)}")


if __name__ == "__main__":
    main()
