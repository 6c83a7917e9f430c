"""Prints NLU latency (p50/p99) per backend, embedded training time and cache load time.

Run: `.venv/bin/python -m bench.nlu [--rounds N]`; Rasa is measured too when RASA_URL answers.
The hung-Rasa case talks to a server in its own process that accepts and never answers: the
client's timeouts and circuit breaker (settings defaults) decide what each message costs.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import socket
import statistics
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

import httpx
import joblib

from nlu.breaker import CircuitBreaker
from nlu.embedded import EmbeddedParser, cache_path, load_or_train, model_fingerprint
from nlu.rasa_client import RasaParser
from nlu.result import ParseResult
from nlu.training_data import HELDOUT_PATH, load_examples
from storage.settings import Settings


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


def cpu_seconds() -> float:
    """Returns this process's user+system CPU time from /proc/self/stat."""
    fields = Path("/proc/self/stat").read_text().rpartition(")")[2].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def serve_hung() -> None:
    """Accepts connections on a free port and never answers (runs in its own process)."""
    listener = socket.create_server(("127.0.0.1", 0))
    print(listener.getsockname()[1], flush=True)
    held = []
    while True:
        connection, _ = listener.accept()
        held.append(connection)  # kept open and silent, like a Rasa stuck in a long request


async def time_hung_rasa(parser: EmbeddedParser, texts: list[str], rounds: int) -> None:
    """Prints what a hung Rasa costs per message with the breaker, and without it."""
    hung = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bench.nlu", "--serve-hung", stdout=asyncio.subprocess.PIPE)
    try:
        assert hung.stdout is not None
        url = f"http://127.0.0.1:{(await hung.stdout.readline()).decode().strip()}"
        settings = Settings()
        breaker = CircuitBreaker(threshold=settings.rasa_breaker_threshold,
                                 cooldown_seconds=settings.rasa_breaker_cooldown_seconds)
        for name, guard, passes in (("hung+brk", breaker, rounds),
                                    ("hung-nobrk", CircuitBreaker(threshold=10**9), 0)):
            rasa = RasaParser(url, timeout=settings.rasa_timeout_seconds,
                              connect_timeout=settings.rasa_connect_timeout_seconds,
                              breaker=guard, fallback=lambda: parser)
            sample = texts if passes else texts[:5]
            cpu = cpu_seconds()
            samples = await time_parses(rasa.parse, sample, max(1, passes))
            cpu_ms = (cpu_seconds() - cpu) * 1000 / len(samples)
            await rasa.aclose()
            report(name, samples)
            slow = sum(1 for ms in samples if ms >= settings.rasa_timeout_seconds * 1000)
            print(f"{'':<10} {slow} waited the {settings.rasa_timeout_seconds:g} s timeout; "
                  f"max {max(samples):.0f} ms; client CPU {cpu_ms:.3f} ms/message")
    finally:
        hung.kill()
        await hung.wait()


async def main(rounds: int) -> None:
    """Runs every measurement and prints the figures."""
    texts = [e.text for e in load_examples(HELDOUT_PATH)]
    with tempfile.TemporaryDirectory() as tmp:
        parser, trained, loaded = time_training(Path(tmp))
    print(f"embedded   training + cache write {trained:.2f} s; cache load {loaded * 1000:.0f} ms")
    await time_parses(parser.parse, texts, 1)  # warm-up
    report("embedded", await time_parses(parser.parse, texts, rounds))
    await time_hung_rasa(parser, texts, rounds)
    url = os.environ.get("RASA_URL")
    if url and await rasa_reachable(url):
        rasa = RasaParser(url, token=Settings().rasa_token, fallback=lambda: parser)
        await time_parses(rasa.parse, texts[:20], 1)
        report("rasa", await time_parses(rasa.parse, texts, max(1, rounds // 5)))
        await rasa.aclose()
    else:
        print("rasa       skipped: RASA_URL unset or not answering")


if __name__ == "__main__":
    arguments = argparse.ArgumentParser(description=__doc__)
    arguments.add_argument("--rounds", type=int, default=10, help="passes over heldout.yml")
    arguments.add_argument("--serve-hung", action="store_true", help=argparse.SUPPRESS)
    parsed = arguments.parse_args()
    if parsed.serve_hung:
        serve_hung()
    else:
        asyncio.run(main(parsed.rounds))
