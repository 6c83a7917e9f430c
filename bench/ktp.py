"""Benchmark of check_ktp beside two baselines, one child process per case and implementation.

Run: `.venv/bin/python -m bench.ktp` (or `.venv/bin/python bench/ktp.py`). Prints median and
p95 milliseconds per image and the peak RSS of each case's child process for:
- check_ktp: the whole check (decode, find the card, straighten, measure, clean JPEG);
- pillow: a plain Pillow decode at the same reduced scale check_ktp asks for (JPEG draft
  mode), and nothing else: the floor a check cannot go below;
- naive: a full-size decode with the same measures at full size and a full-size re-encode.
"""

from __future__ import annotations

import json
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
CASES = {
    "a: 1280x960 Telegram JPEG": ("telegram", 30, 10),
    "b: 4000x3000 ~4 MB original": ("original", 12, 3),
    "c: PNG bomb 30000x30000": ("bomb", 10, 3),
}


def _import_paths() -> None:
    """Makes the project and the test support package importable when run as a script."""
    for path in (ROOT, ROOT / "tests"):
        if str(path) not in sys.path:
            sys.path.insert(0, str(path))


def make_inputs(folder: Path) -> dict[str, list[Path]]:
    """Writes the synthetic inputs of each case and returns their paths."""
    import numpy as np
    from support import ktp_synth

    rng = np.random.default_rng(2024)
    inputs: dict[str, list[Path]] = {"telegram": [], "original": [], "bomb": []}
    for index in range(10):
        scene = ktp_synth.good_scene(rng)
        inputs["telegram"].append(_write(folder / f"tg{index}.jpg", ktp_synth.jpeg(scene, 85)))
    for index in range(3):
        data = ktp_synth.big_original(rng)
        inputs["original"].append(_write(folder / f"orig{index}.jpg", data))
    inputs["bomb"].append(_write(folder / "bomb.png", ktp_synth.bomb_png()))
    return inputs


def _write(path: Path, data: bytes) -> Path:
    """Writes data to path and returns the path."""
    path.write_bytes(data)
    return path


def naive_check(data: bytes) -> list[str]:
    """Returns problem codes from a full-size decode and the same measures at full size."""
    import io

    from PIL import Image

    from actions.ktp import DEFAULT_LIMITS, ID1_ASPECT
    from actions.ktp.geometry import straighten
    from actions.ktp.locate import find_card
    from actions.ktp.quality import measure

    try:
        image = Image.open(io.BytesIO(data)).convert("RGB")
    except Exception as exc:  # the baseline refuses whatever Pillow refuses
        return [type(exc).__name__]
    finding = find_card(image, DEFAULT_LIMITS)
    if finding.rect is None or finding.verdict != "card":
        return [finding.verdict]
    card = straighten(image, finding.rect, scale=1.0, side=10**6, aspect=ID1_ASPECT, inset=0.08)
    quality = measure(card)
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=90)
    return [] if quality.sharpness > 0 else ["blurry"]


def pillow_decode(data: bytes) -> list[str]:
    """Returns [] after a plain Pillow decode at check_ktp's scale (the refusal's name if any)."""
    import io

    from PIL import Image

    from actions.ktp import DEFAULT_LIMITS
    from actions.ktp.decode import _draft_request

    limits = DEFAULT_LIMITS
    side = limits.output_side if len(data) > limits.max_bytes else limits.check_side
    try:
        with Image.open(io.BytesIO(data)) as image:
            if image.format == "JPEG":
                image.draft("RGB", _draft_request(image.width, image.height, side))
            image.convert("RGB")
    except Exception as exc:  # the floor refuses whatever Pillow refuses
        return [type(exc).__name__]
    return []


def run_child(impl: str, repeats: int, paths: list[str]) -> dict[str, Any]:
    """Returns per-image timings (ms) and this process's peak RSS (MB)."""
    from actions.ktp import check_ktp

    blobs = [Path(path).read_bytes() for path in paths]
    check = {"check_ktp": check_ktp, "pillow": pillow_decode, "naive": naive_check}[impl]
    check(blobs[0])  # warm-up: imports, lazy tables
    times = []
    for index in range(repeats):
        start = time.perf_counter()
        check(blobs[index % len(blobs)])
        times.append((time.perf_counter() - start) * 1000)
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {"times": times, "peak_mb": peak_mb, "bytes": statistics.mean(map(len, blobs))}


def _spawn(impl: str, repeats: int, paths: list[Path]) -> dict[str, Any]:
    """Runs one case in a fresh interpreter so its peak RSS is its own."""
    args = [sys.executable, str(Path(__file__).resolve()), "--child", impl, str(repeats)]
    done = subprocess.run([*args, *map(str, paths)], capture_output=True, text=True, check=True)
    result: dict[str, Any] = json.loads(done.stdout.splitlines()[-1])
    return result


def _versus(name: str, ours: float, median: float) -> str:
    """Returns how check_ktp compares with a baseline, in words."""
    if name == "check_ktp" or min(ours, median) < 0.05:
        return ""
    if name == "pillow":
        return f"{ours / median:.1f}x the floor"
    return f"{median / ours:.1f}x faster"


def _p95(times: list[float]) -> float:
    """Returns the 95th percentile of the timings."""
    ordered = sorted(times)
    return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


def main() -> None:
    """Builds the inputs, runs every case for both implementations and prints the table."""
    _import_paths()
    from rich.console import Console
    from rich.table import Table

    table = Table(title="KTP check benchmark (ms per image, peak RSS per child process)")
    columns = ("case", "input", "impl", "median ms", "p95 ms", "peak RSS MB", "check_ktp")
    for column in columns:
        table.add_column(column, justify="right")
    with tempfile.TemporaryDirectory() as folder:
        # Built in a child: Linux keeps ru_maxrss across fork+exec, so the parent stays small.
        made = subprocess.run(
            [sys.executable, str(Path(__file__).resolve()), "--make", folder],
            capture_output=True,
            text=True,
            check=True,
        )
        inputs = {
            key: [Path(p) for p in paths]
            for key, paths in json.loads(made.stdout.splitlines()[-1]).items()
        }
        for title, (key, repeats, naive_repeats) in CASES.items():
            results = {"check_ktp": _spawn("check_ktp", repeats, inputs[key]),
                       "pillow": _spawn("pillow", repeats, inputs[key]),
                       "naive": _spawn("naive", naive_repeats, inputs[key])}
            ours = statistics.median(results["check_ktp"]["times"])
            size = f"{results['check_ktp']['bytes'] / 1e6:.2f} MB"
            for name, result in results.items():
                median = statistics.median(result["times"])
                table.add_row(
                    title,
                    size,
                    name,
                    f"{median:.1f}",
                    f"{_p95(result['times']):.1f}",
                    f"{result['peak_mb']:.0f}",
                    _versus(name, ours, median),
                )
    Console(width=130).print(table)


if __name__ == "__main__":
    if len(sys.argv) > 2 and sys.argv[1] == "--make":
        _import_paths()
        made = make_inputs(Path(sys.argv[2]))
        print(json.dumps({key: [str(path) for path in paths] for key, paths in made.items()}))
    elif len(sys.argv) > 1 and sys.argv[1] == "--child":
        _import_paths()
        print(json.dumps(run_child(sys.argv[2], int(sys.argv[3]), sys.argv[4:])))
    else:
        main()
