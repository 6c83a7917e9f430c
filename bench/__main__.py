"""`make bench`: runs the quick benchmarks in turn; the long ones are listed with their commands."""

from __future__ import annotations

import subprocess
import sys

QUICK = [
    ["bench.ktp"],
    ["bench.nlu"],
    ["bench.registration", "--users", "50"],
]
LONG = {
    "bench.load": "webhook load test with workers and kill -9 (--users 5000 by default)",
    "bench.chaos": "outbox delivery against a failing platform (--db sqlite|postgres|both)",
    "bench.broadcast": "20 000 recipients at the rate limit with a sender kill (--limit 1000)",
    "bench.lottery": "draw day: import, close, draw, publish (5 M × 50 M on PostgreSQL; --small)",
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
