"""Prints NLU latency (p50/p99) per backend, embedded training time and cache load time.

Run: `.venv/bin/python -m bench.nlu [--rounds N]`; Rasa is measured too when RASA_URL answers.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

import httpx
import joblib

from nlu.embedded import EmbeddedParser, cache_path, load_or_train, model_fingerprint
from nlu.rasa_client import RasaParser
from nlu.result import ParseResult
from nlu.training_data import HELDOUT_PATH, load_examples


def percentile(samples: list[float], q: float) -> float:
    """Returns the q-th percentile (0-100) of samples, nearest-rank."""
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(q / 100 * (len(ordered) - 1)))]


def report(name: str, samples_ms: list[float]) -> None:
    """Prints one latency line."""
    print(
        f"{name:<10} parse latency  p50 {percentile(samples_ms, 50):7.3f} ms"
        f"  p99 {percentile(samples_ms, 99):7.3f} ms  mean {statistics.fmean(samples_ms):7.3f} ms"
        f"  (n={len(samples_ms)})"
    )


async def time_parses(
    parse: Callable[[str], Awaitable[ParseResult]], texts: list[str], rounds: int
) -> list[float]:
    """Returns per-call latencies in milliseconds over rounds passes of texts."""
    samples = []
    for _ in range(rounds):
        for text in texts:
            started = time.perf_counter()
            await parse(text)
            samples.append((time.perf_counter() - started) * 1000)
    return samples


def time_training(cache_dir: Path) -> tuple[EmbeddedParser, float, float]:
    """Returns a parser, the training+save time and the cache load time, in seconds."""
    started = time.perf_counter()
    model = load_or_train(cache_dir)
    trained = time.perf_counter() - started
    started = time.perf_counter()
    joblib.load(cache_path(cache_dir, model_fingerprint()))
    loaded = time.perf_counter() - started
    return EmbeddedParser(model), trained, loaded


async def rasa_reachable(url: str) -> bool:
    """Returns True when a Rasa server answers at url."""
    try:
        async with httpx.AsyncClient(timeout=2.0) as client:
            return (await client.get(url.rstrip("/") + "/status")).status_code < 500
    except httpx.HTTPError:
        return False


async def main(rounds: int) -> None:
    """Runs every measurement and prints the figures."""
    texts = [e.text for e in load_examples(HELDOUT_PATH)]
    with tempfile.TemporaryDirectory() as tmp:
        parser, trained, loaded = time_training(Path(tmp))
    print(f"embedded   training + cache write {trained:.2f} s; cache load {loaded * 1000:.0f} ms")
    await time_parses(parser.parse, texts, 1)  # warm-up
    report("embedded", await time_parses(parser.parse, texts, rounds))
    url = os.environ.get("RASA_URL")
    if url and await rasa_reachable(url):
        rasa = RasaParser(url, fallback=lambda: parser)
        await time_parses(rasa.parse, texts[:20], 1)
        report("rasa", await time_parses(rasa.parse, texts, max(1, rounds // 5)))
        await rasa.aclose()
    else:
        print("rasa       skipped: RASA_URL unset or not answering")


if __name__ == "__main__":
    arguments = argparse.ArgumentParser(description=__doc__)
    arguments.add_argument("--rounds", type=int, default=10, help="passes over heldout.yml")
    asyncio.run(main(arguments.parse_args().rounds))
