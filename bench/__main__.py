"""`make bench`: runs the quick benchmarks in turn; the long ones are listed with their commands."""

from __future__ import annotations

import subprocess
import sys

QUICK = [
    ["bench.passwords"],
    ["bench.ktp"],
    ["bench.nlu"],
    ["bench.registration", "--users", "50"],
]
LONG = {
    "bench.load": "open-loop load, 8 configurations incl. kill -9 and two floors (≈6 min; "
                  "small: --users 6 --duration 5 --think 0.3)",
    "bench.chaos": "outbox delivery against a failing platform (--db sqlite|postgres|both)",
    "bench.broadcast": "20 000 recipients at 1000/s with a sender kill -9, CPU beside floors",
    "bench.lottery": "list import and selection (--applicants N --list-rows M --db ...)",
}


def main() -> None:
    """Runs the quick benchmarks and prints how to run the others."""
    for module in QUICK:
        print(f"\n=== python -m {' '.join(module)}", flush=True)
        subprocess.run([sys.executable, "-m", *module], check=True)
    print("\nLonger benchmarks (run one at a time):")
    for module, what in LONG.items():
        print(f"  .venv/bin/python -m {module:<16} {what}")


if __name__ == "__main__":
    main()
