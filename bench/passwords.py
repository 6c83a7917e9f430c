"""argon2id cost of the project's password hashing, beside argon2-cffi's default parameters.

Run: .venv/bin/python -m bench.passwords [--repeats 30]. Prints median and p95 milliseconds (wall
and CPU) per hash and per verify, and what one hash adds to each of the 14 registration updates.
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable

from argon2 import PasswordHasher

from actions.passwords import hash_password, verify_password

REGISTRATION_UPDATES = 14
PASSWORD = "RahasiaKu2024"


def _time(work: Callable[[], object], repeats: int) -> tuple[list[float], list[float]]:
    """Returns wall and CPU milliseconds of each call (after one warm-up call)."""
    work()
    walls, cpus = [], []
    for _ in range(repeats):
        wall, cpu = time.perf_counter(), time.process_time()
        work()
        walls.append((time.perf_counter() - wall) * 1000)
        cpus.append((time.process_time() - cpu) * 1000)
    return walls, cpus


def _p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


def main() -> None:
    """Times hashing and verifying, and prints the table."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeats", type=int, default=30)
    args = parser.parse_args()
    stored = hash_password(PASSWORD)
    library = PasswordHasher()  # argon2-cffi's default (RFC 9106 low-memory profile)
    cases = {
        "project hash (t=2, 19 MiB)": lambda: hash_password(PASSWORD),
        "project verify": lambda: verify_password(stored, PASSWORD),
        "argon2-cffi default hash (t=3, 64 MiB)": lambda: library.hash(PASSWORD),
    }
    print(f"{'case':<40}{'wall ms':>9}{'p95':>8}{'CPU ms':>9}")
    medians: dict[str, float] = {}
    for name, work in cases.items():
        walls, cpus = _time(work, args.repeats)
        medians[name] = statistics.median(cpus)
        print(f"{name:<40}{statistics.median(walls):>9.1f}{_p95(walls):>8.1f}"
              f"{medians[name]:>9.1f}")
    per_update = medians["project hash (t=2, 19 MiB)"] / REGISTRATION_UPDATES
    print(f"\none hash per registration = {per_update:.2f} ms CPU on each of its "
          f"{REGISTRATION_UPDATES} updates")


if __name__ == "__main__":
    main()
