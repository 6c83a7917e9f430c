"""Chaos benchmark of durable delivery: a failing platform, restarts and kill -9'd workers.

Run: .venv/bin/python -m bench.chaos --db sqlite|postgres [--total 2000] [--workers 2]
2,000 registrations (with a KTP image each) are queued while the reference platform fails ~70 %
of requests (500s, 503 + Retry-After, hangs past the client timeout, connections dropped after
storing) with added latency and is restarted once; every worker process is kill -9'd twice and
restarted. Prints delivered/total, duplicates seen by the platform, time to drain and retry delays.
"""

from __future__ import annotations

import argparse
import os
import random
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from datetime import date
from pathlib import Path
from typing import Any

import httpx
from cryptography.fernet import Fernet
from sqlalchemy import func, text
from sqlalchemy import select as sa_select
from sqlmodel import Session, col

from actions.ktp_vault import KtpVault
from actions.outbox import enqueue_registration_submission
from storage.db import make_engine, session_scope
from storage.migrate import upgrade
from storage.models import Applicant, Outbox
from storage.models_outbox import DeliveryAttempt, KtpBlob

PG_URL = "postgresql://postgres@127.0.0.1:5432/test"
CLI = [sys.executable, "-c", "from bot.cli import main; main()"]
FAULTS = {"--error-rate": "0.25", "--unavailable-rate": "0.2", "--hang-rate": "0.1",
          "--drop-rate": "0.15", "--latency-ms": "40", "--retry-after": "1",
          "--hang-seconds": "3"}
WORKER_ENV = {
    "OUTBOX_MAX_ATTEMPTS": "60", "OUTBOX_BACKOFF_BASE_SECONDS": "0.2",
    "OUTBOX_BACKOFF_CAP_SECONDS": "5", "OUTBOX_RETRY_AFTER_MAX_SECONDS": "5",
    "OUTBOX_BREAKER_THRESHOLD": "30", "OUTBOX_BREAKER_OPEN_SECONDS": "0.5",
    "OUTBOX_LEASE_SECONDS": "6", "OUTBOX_HTTP_TIMEOUT_SECONDS": "1.5",
    "OUTBOX_CONCURRENCY": "32", "OUTBOX_POLL_SECONDS": "0.2", "LOG_LEVEL": "WARNING",
}


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _database(kind: str, workdir: Path) -> tuple[str, Any]:
    """Returns a fresh, migrated database URL and a cleanup callable."""
    if kind == "sqlite":
        url = f"sqlite:///{workdir / 'assistant.db'}"
        upgrade(url)
        return url, lambda: None
    schema = f"chaos_{uuid.uuid4().hex[:10]}"
    admin = make_engine(PG_URL)
    with admin.begin() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    url = f"{PG_URL}?options=-csearch_path%3D{schema}"
    upgrade(url)

    def drop() -> None:
        with admin.begin() as connection:
            connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()

    return url, drop


class Processes:
    """The platform server and the worker processes, started and killed on cue."""

    def __init__(self, *, workdir: Path, database_url: str, port: int, workers: int) -> None:
        self.workdir, self.port, self.count = workdir, port, workers
        self.base_url = f"http://127.0.0.1:{port}"
        self.env = {**os.environ, **WORKER_ENV, "DATABASE_URL": database_url,
                    "PLATFORM_API_URL": self.base_url, "OUTBOX_DIR": str(workdir / "outbox"),
                    "DATA_ENCRYPTION_KEY": os.environ["DATA_ENCRYPTION_KEY"]}
        self.server: subprocess.Popen[bytes] | None = None
        self.workers: list[subprocess.Popen[bytes]] = []
        self.log_path = Path(tempfile.gettempdir()) / f"chaos-{port}.log"
        self.log = self.log_path.open("ab")

    def start_server(self) -> None:
        args = [*CLI, "platform", "serve", "--port", str(self.port),
                "--db", f"sqlite:///{self.workdir / 'platform.db'}"]
        args += [item for pair in FAULTS.items() for item in pair]
        self.server = subprocess.Popen(args, stdout=self.log, stderr=self.log)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{self.base_url}/healthz", timeout=2).status_code == 200:
                    return
            except httpx.HTTPError:
                time.sleep(0.2)
        raise RuntimeError(f"platform server did not start (see {self.log_path})")

    def restart_server(self) -> None:
        assert self.server is not None
        self.server.send_signal(signal.SIGTERM)
        self.server.wait(timeout=20)
        self.start_server()

    def start_workers(self) -> None:
        self.workers = [subprocess.Popen([*CLI, "worker"], env=self.env, stdout=self.log,
                                         stderr=self.log) for _ in range(self.count)]

    def kill_workers(self) -> None:
        for worker in self.workers:
            worker.send_signal(signal.SIGKILL)
        for worker in self.workers:
            worker.wait()

    def stop_all(self) -> None:
        for process in [*self.workers, self.server]:
            if process is not None and process.poll() is None:
                process.send_signal(signal.SIGTERM)
        for process in [*self.workers, self.server]:
            if process is not None:
                process.wait(timeout=30)
        self.log.close()


def _applicant(n: int) -> Applicant:
    return Applicant(chat_id=10_000_000 + n, full_name=f"Peserta {n}",
                     email=f"peserta{n}@example.com", nik=f"3273014508{n:06d}",
                     birth_date=date(1990, 8, 5), gender="P", address="Kota Bandung",
                     education="SMA", employment_status="Pencari kerja", phone="+6281200000000")


def _enqueue_all(engine: Any, total: int, vault: KtpVault, *, seconds: float) -> None:
    """Queues `total` registrations in 20 batches spread over `seconds`."""
    rng = random.Random(1)
    batch = max(1, total // 20)
    for start in range(0, total, batch):
        with session_scope(engine) as session:
            for n in range(start, min(total, start + batch)):
                image = b"\xff\xd8\xff\xe0" + rng.randbytes(3000)
                enqueue_registration_submission(session, applicant=_applicant(n),
                                                ktp_image=image, vault=vault)
        time.sleep(seconds / 20)


def _progress(engine: Any) -> dict[str, int]:
    with Session(engine) as session:
        rows = session.execute(
            sa_select(col(Outbox.status), func.count())
            .where(col(Outbox.kind) == "registration").group_by(col(Outbox.status))
        ).all()
    return {str(status): int(count) for status, count in rows}


def _figures(engine: Any) -> dict[str, Any]:
    with Session(engine) as session:
        first = session.execute(sa_select(func.min(col(Outbox.created_at)))
                                .where(col(Outbox.kind) == "registration")).scalar()
        last = session.execute(sa_select(func.max(col(Outbox.delivered_at)))
                               .where(col(Outbox.kind) == "registration")).scalar()
        max_delay = session.execute(sa_select(func.max(col(DeliveryAttempt.retry_in_seconds))))
        max_tries = session.execute(sa_select(func.max(col(Outbox.attempts)))
                                    .where(col(Outbox.kind) == "registration")).scalar()
        tries = session.execute(sa_select(func.count()).select_from(DeliveryAttempt)).scalar()
        blobs = session.execute(sa_select(func.count()).select_from(KtpBlob)).scalar()
        notes = session.execute(sa_select(func.count())
                                .where(col(Outbox.kind) == "telegram_message")).scalar()
    return {"drain": (last - first).total_seconds() if first and last else None,
            "max_delay": max_delay.scalar(), "max_tries": max_tries, "tries": tries,
            "blobs": blobs, "notes": notes}


def run(kind: str, total: int, workers: int) -> bool:
    """Runs one chaos round on `kind` and prints its figures; returns whether it passed."""
    os.environ.setdefault("DATA_ENCRYPTION_KEY", Fernet.generate_key().decode())
    with tempfile.TemporaryDirectory(prefix="chaos-") as tmp:
        workdir = Path(tmp)
        url, cleanup = _database(kind, workdir)
        engine = make_engine(url)
        procs = Processes(workdir=workdir, database_url=url, port=_free_port(), workers=workers)
        vault = KtpVault([os.environ["DATA_ENCRYPTION_KEY"]])
        try:
            procs.start_server()
            procs.start_workers()
            started = time.monotonic()
            feeder = threading.Thread(target=_enqueue_all, args=(engine, total, vault),
                                      kwargs={"seconds": 10.0})
            feeder.start()
            timeline = [(4.0, "kill"), (8.0, "restart_server"), (13.0, "kill")]
            while True:
                elapsed = time.monotonic() - started
                while timeline and elapsed >= timeline[0][0]:
                    _, event = timeline.pop(0)
                    if event == "kill":
                        procs.kill_workers()
                        print(f"  t={elapsed:5.1f}s kill -9 of {workers} worker(s), restarting")
                        procs.start_workers()
                    else:
                        procs.restart_server()
                        print(f"  t={elapsed:5.1f}s platform server restarted")
                counts = _progress(engine)
                finished = counts.get("delivered", 0) + counts.get("dead", 0)
                if not feeder.is_alive() and not timeline and finished >= total:
                    break
                if elapsed > 900:
                    print("  giving up after 900 s")
                    break
                time.sleep(0.5)
            wall = time.monotonic() - started
            feeder.join()
            stats = httpx.get(f"{procs.base_url}/v1/stats", timeout=5).json()
        finally:
            procs.stop_all()
        figures = _figures(engine)
        engine.dispose()
        cleanup()
    delivered = counts.get("delivered", 0)
    print(f"[{kind}] delivered {delivered}/{total}, dead {counts.get('dead', 0)}")
    print(f"[{kind}] platform: {stats['submissions']} stored, duplicates by idempotency key "
          f"{stats['duplicate_by_key']}, by NIK {stats['duplicate_by_nik']}, "
          f"replayed answers {stats['replays']}")
    print(f"[{kind}] time to drain {figures['drain']:.1f} s (wall {wall:.1f} s), "
          f"delivery tries {figures['tries']}, most tries for one row {figures['max_tries']}, "
          f"max retry delay chosen {figures['max_delay']:.2f} s")
    print(f"[{kind}] KTP blobs left after acknowledgement: {figures['blobs']}, "
          f"applicant notifications queued: {figures['notes']}")
    return delivered == total and stats["duplicate_by_key"] == 0 and stats["duplicate_by_nik"] == 0


def main() -> None:
    """Parses arguments, prints the settings used and runs the chaos rounds."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", choices=["sqlite", "postgres", "both"], default="sqlite")
    parser.add_argument("--total", type=int, default=2000)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    print("platform faults:", " ".join(f"{k} {v}" for k, v in FAULTS.items()))
    print("worker settings:", " ".join(f"{k}={v}" for k, v in WORKER_ENV.items()))
    print("(backoff cap scaled down from 900 s to 5 s and max attempts raised from 20 to 60 so a"
          " 70 % failure rate drains in minutes: 0.7^20 would dead-letter ~1.6 of 2,000 rows)")
    kinds = ["sqlite", "postgres"] if args.db == "both" else [args.db]
    results = [run(kind, args.total, args.workers) for kind in kinds]
    sys.exit(0 if all(results) else 1)


if __name__ == "__main__":
    main()
