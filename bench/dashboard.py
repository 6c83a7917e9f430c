"""Benchmark of the PMO dashboard: `python -m bench.dashboard --help`.

Seeds N applicants (default 200 000; the issue's figure is 5 000 000) in a fresh PostgreSQL
schema with SQL generate_series: funnel columns, conversation states with last refusals, outbox
rows, tests, three waves with applications and results, a broadcast with recipients, tickets and
three hours of minute rollups. Then it starts the dashboard in its own process, which builds the
heavy pages once (timed), and times every page over HTTP: wall time per request and the server's
CPU per request read from /proc, beside the floor of a trivial endpoint in the same server.
With --screenshots DIR, headless Chromium saves a PNG of every page there.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import statistics
import subprocess
import sys
import time
import uuid
from pathlib import Path

import httpx
from sqlalchemy import text

from bot.dashboard.auth import COOKIE_NAME, Signer, issue_session
from bot.dashboard.pages import PAGES
from flows.validators.regions import REGIONS_PATH
from storage.db import make_engine
from storage.migrate import upgrade

PG_BASE = "postgresql://postgres@127.0.0.1:5432/test"
SECRET = "bench-dashboard-secret"
PMO = 1
REQUESTS = 5
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")

SEED_SQL = [
    # Waves: two closed (drawn), one open; cohorts are accounts created until a wave closed.
    """INSERT INTO wave (number, quota, opens_at, closes_at, status, seed_commitment,
         excluded_sources, min_age, created_at, updated_at)
       VALUES (1, 200000, now() - interval '60 days', now() - interval '40 days', 'announced',
               md5('s1') || md5('s1'), 'ASN', 18, now(), now()),
              (2, 200000, now() - interval '35 days', now() - interval '15 days', 'selected',
               md5('s2') || md5('s2'), 'ASN', 18, now(), now()),
              (3, 200000, now() - interval '10 days', now() + interval '5 days', 'open',
               md5('s3') || md5('s3'), 'ASN', 18, now(), now())""",
    # Applicants: each goes a random distance down the funnel.
    """INSERT INTO applicant (chat_id, channel, email_verified_at, password_hash, nik_index,
         region_code, ktp_status, phone_verified_via, registration_completed_at, created_at,
         updated_at)
       SELECT g, 'telegram', CASE WHEN r < 0.66 THEN c END, CASE WHEN r < 0.62 THEN 'x' END,
              CASE WHEN r < 0.52 THEN md5(g::text) END,
              CASE WHEN r < 0.52 THEN
                (CAST(:codes AS text[]))[1 + floor(power(random(), 1.6) * :ncodes)::int] END,
              CASE WHEN r < 0.47 THEN 'accepted' END, CASE WHEN r < 0.44 THEN 'contact' END,
              CASE WHEN r < 0.42 THEN c + interval '20 minutes' END, c, c
       FROM (SELECT g, random() AS r, now() - random() * interval '60 days' AS c
             FROM generate_series(1, :n) AS g) AS s""",
    # Where the unfinished ones stand, and the validator message they saw last.
    """INSERT INTO conversationstate (chat_id, flow, step, history, data, last_problem,
         updated_at)
       SELECT chat_id, 'registration', step, '[]', '{}',
              CASE WHEN chat_id % 3 = 0 THEN NULL
                   WHEN step = 'nik' THEN 'nik:' || (ARRAY['nik_length', 'nik_not_digits',
                        'nik_taken', 'nik_date_invalid'])[1 + chat_id % 4]
                   WHEN step = 'ktp_photo' THEN 'ktp_photo:' || (ARRAY['blurry', 'photocopy',
                        'glare', 'card_cut_off'])[1 + chat_id % 4]
                   WHEN step = 'email' THEN 'email:email_syntax'
                   WHEN step = 'email_code' THEN 'email_code:code_wrong'
                   WHEN step = 'password' THEN 'password:password_too_short'
                   WHEN step = 'phone' THEN 'phone:phone_not_mobile' END,
              created_at + interval '5 minutes'
       FROM (SELECT chat_id, created_at,
                    CASE WHEN email_verified_at IS NULL THEN
                              CASE WHEN chat_id % 2 = 0 THEN 'email' ELSE 'email_code' END
                         WHEN password_hash IS NULL THEN 'password'
                         WHEN nik_index IS NULL THEN 'nik'
                         WHEN ktp_status IS NULL THEN 'ktp_photo'
                         WHEN phone_verified_via IS NULL THEN 'phone'
                         ELSE 'summary' END AS step
             FROM applicant WHERE registration_completed_at IS NULL) AS s""",
    """INSERT INTO outbox (idempotency_key, kind, chat_id, destination, payload, status,
         attempts, next_attempt_at, created_at, delivered_at)
       SELECT gen_random_uuid()::text, 'registration', chat_id, 'platform', '{}',
              CASE WHEN chat_id % 200 = 0 THEN 'dead' WHEN chat_id % 50 = 0 THEN 'pending'
                   ELSE 'delivered' END, 1, now(), registration_completed_at,
              registration_completed_at
       FROM applicant WHERE registration_completed_at IS NOT NULL""",
    """INSERT INTO basictestattempt (chat_id, started_at, deadline_at, answers, finished_at,
         score, max_score, passed)
       SELECT chat_id, now(), now(), '{}', now(), 8, 10, chat_id % 10 < 6
       FROM applicant WHERE registration_completed_at IS NOT NULL AND chat_id % 10 < 7""",
    """INSERT INTO waveapplication (wave_id, chat_id, nik_key, kk_key, birth_date, joined_at)
       SELECT (SELECT id FROM wave w WHERE a.created_at < w.closes_at
               ORDER BY w.closes_at LIMIT 1), a.chat_id, a.chat_id, 0, DATE '1990-01-01', now()
       FROM applicant a
       WHERE a.registration_completed_at IS NOT NULL AND a.chat_id % 10 < 5""",
    """DELETE FROM waveapplication WHERE wave_id IS NULL""",
    """INSERT INTO applicantresult (application_id, wave_id, selected, priority, reason_mask,
         draw_position)
       SELECT a.id, a.wave_id, a.id % 4 = 0, false, 0, a.id
       FROM waveapplication a JOIN wave w ON w.id = a.wave_id WHERE w.number < 3""",
    """INSERT INTO lotteryrun (wave_id, seed, seed_commitment, inputs_digest, draw_digest,
         applicants, excluded, eligible, selected, priority_selected, seconds, created_at)
       SELECT w.id, 's' || w.number, w.seed_commitment, md5('in' || w.number) || md5('x'),
              md5('draw' || w.number) || md5('y'), count(a.id), 0, count(a.id),
              count(a.id) / 4, 0, 1.5, now()
       FROM wave w JOIN waveapplication a ON a.wave_id = w.id WHERE w.number < 3
       GROUP BY w.id, w.number, w.seed_commitment""",
    # Three hours of rollups, as the turns would have written them.
    """INSERT INTO analyticsminute (minute, metric, label, count, total)
       SELECT date_trunc('minute', now()) - m * interval '1 minute', metric, label,
              1 + floor(random() * weight)::int, 0
       FROM generate_series(0, 179) AS m,
            (VALUES ('latency_ms', '10', 40), ('latency_ms', '25', 300),
                    ('latency_ms', '50', 500), ('latency_ms', '100', 120),
                    ('latency_ms', '250', 20), ('latency_ms', '1000', 3),
                    ('ktp_refusal', 'blurry', 12), ('ktp_refusal', 'photocopy', 5),
                    ('ktp_refusal', 'glare', 7), ('ktp_refusal', 'card_cut_off', 9),
                    ('nlu_fallback', 'out_of_scope', 15), ('nlu_fallback', 'ask_schedule', 4),
                    ('validator_refusal', 'nik:nik_length', 30),
                    ('validator_refusal', 'email:email_syntax', 10)) AS v(metric, label, weight)""",
    """INSERT INTO handoffticket (chat_id, reason, status, created_at, taken_at)
       SELECT g, 'user_request', CASE WHEN g % 3 = 0 THEN 'open' ELSE 'taken' END,
              now() - (g % 90) * interval '1 minute',
              CASE WHEN g % 3 = 0 THEN NULL ELSE now() - (g % 90) * interval '50 second' END
       FROM generate_series(1, 400) AS g""",
    """INSERT INTO circuitstate (name, state, consecutive_failures, open_count, opened_until,
         updated_at)
       VALUES ('platform', 'closed', 0, 2, NULL, now()),
              ('email', 'open', 6, 5, now() + interval '20 seconds', now()),
              ('sms', 'closed', 1, 0, NULL, now())""",
    """INSERT INTO broadcast (template, params, audience, status, created_by, total, created_at,
         started_at)
       VALUES ('gelombang_dibuka', '{}', 'all', 'running', 'bench', 0, now(),
               now() - interval '30 minutes')""",
    """INSERT INTO broadcastrecipient (broadcast_id, chat_id, status, attempts, error, sent_at)
       SELECT (SELECT max(id) FROM broadcast), chat_id,
              CASE WHEN chat_id / 5 % 10 < 7 THEN 'sent' ELSE 'pending' END, 1,
              CASE WHEN chat_id / 5 % 100 = 99 THEN '429' END,
              CASE WHEN chat_id / 5 % 10 < 7 THEN now() END
       FROM applicant WHERE chat_id % 5 = 0""",
    """UPDATE broadcast SET total = (SELECT count(*) FROM broadcastrecipient)""",
]


def _region_codes() -> list[str]:
    with REGIONS_PATH.open(encoding="utf-8", newline="") as handle:
        return [row["code"] for row in csv.DictReader(handle)
                if len(row["code"]) == 4 and not row["current_code"]]


def seed(url: str, applicants: int) -> float:
    """Fills a migrated schema with `applicants` people and their traces; returns seconds."""
    engine = make_engine(url)
    codes = _region_codes()
    started = time.perf_counter()
    with engine.begin() as connection:
        for statement in SEED_SQL:
            connection.execute(text(statement),
                               {"n": applicants, "codes": codes, "ncodes": len(codes)})
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.execute(text("VACUUM ANALYZE"))
    engine.dispose()
    return time.perf_counter() - started


def serve(url: str, port: int) -> None:
    """Runs in the server process: builds the heavy pages once (printed), then serves."""
    import uvicorn

    from bot.dashboard.app import build_dashboard
    from bot.dashboard.pages import PageBook
    from storage.settings import Settings

    settings = Settings(database_url=url, pmo_telegram_ids=str(PMO), dashboard_secret=SECRET,
                        dashboard_refresh_seconds=3600, dashboard_port=port)
    engine = make_engine(url)
    book = PageBook(engine)
    cpu = time.process_time()
    built = book.refresh_all()
    print(json.dumps({"refresh": built, "refresh_cpu": time.process_time() - cpu}), flush=True)
    uvicorn.run(build_dashboard(engine, settings, book=book), host="127.0.0.1", port=port,
                log_level="warning", access_log=False)


def _cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS


def _time_path(client: httpx.Client, pid: int, path: str) -> tuple[float, float, float]:
    """Returns median and max wall ms and the server's CPU ms per request of one path."""
    client.get(path).raise_for_status()  # warm: templates compiled, connections open
    walls, cpu = [], _cpu_seconds(pid)
    for _ in range(REQUESTS):
        started = time.perf_counter()
        client.get(path).raise_for_status()
        walls.append((time.perf_counter() - started) * 1000)
    used = (_cpu_seconds(pid) - cpu) * 1000 / REQUESTS
    return statistics.median(walls), max(walls), used


def _screenshots(base: str, cookie: str, folder: Path) -> None:
    from selenium import webdriver

    folder.mkdir(parents=True, exist_ok=True)
    options = webdriver.ChromeOptions()
    options.binary_location = "/usr/bin/chromium"
    for flag in ("--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--window-size=1280,1800",
                 f"--user-data-dir={folder / '.profile'}"):
        options.add_argument(flag)
    driver = webdriver.Chrome(options=options,
                              service=webdriver.ChromeService("/usr/bin/chromedriver"))
    try:
        driver.get(f"{base}/healthz")
        driver.add_cookie({"name": COOKIE_NAME, "value": cookie, "path": "/"})
        for page in PAGES:
            driver.get(f"{base}/{page}")
            driver.save_screenshot(str(folder / f"{page}.png"))
    finally:
        driver.quit()


def _free_port() -> int:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def measure(url: str, screenshots: Path | None) -> None:
    """Starts the server process, times every page and prints the table."""
    port = _free_port()
    server = subprocess.Popen([sys.executable, "-m", "bench.dashboard", "--serve", url,
                               "--port", str(port)], stdout=subprocess.PIPE, text=True)
    try:
        built = json.loads(server.stdout.readline())  # type: ignore[union-attr]
        base = f"http://127.0.0.1:{port}"
        cookie = issue_session(Signer(SECRET.encode()), PMO)
        with httpx.Client(base_url=base, cookies={COOKIE_NAME: cookie}, timeout=60) as client:
            _wait(client)
            floor = _time_path(client, server.pid, "/healthz")
            print(f"heavy pages built once in the server: "
                  f"{ {k: round(v, 2) for k, v in built['refresh'].items()} } s, "
                  f"{built['refresh_cpu']:.2f} s CPU (rebuilt every DASHBOARD_REFRESH_SECONDS)")
            print(f"{'page':<22}{'median ms':>10}{'max ms':>10}{'server CPU ms':>15}")
            print(f"{'/healthz (floor)':<22}{floor[0]:>10.1f}{floor[1]:>10.1f}{floor[2]:>15.1f}")
            for path in [*(f"/{p}" for p in PAGES), "/export/regencies.csv"]:
                median, worst, cpu = _time_path(client, server.pid, path)
                verdict = "ok" if worst < 1000 else "SLOW"
                print(f"{path:<22}{median:>10.1f}{worst:>10.1f}{cpu:>15.1f}  {verdict}")
        if screenshots is not None:
            _screenshots(base, cookie, screenshots)
            print(f"screenshots in {screenshots}")
    finally:
        server.terminate()
        server.wait(10)


def _wait(client: httpx.Client) -> None:
    for _ in range(200):
        try:
            client.get("/healthz")
            return
        except httpx.TransportError:
            time.sleep(0.05)
    raise RuntimeError("dashboard server did not come up")


def main() -> None:
    """Parses arguments; seeds, measures and drops the schema (unless --keep)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--applicants", type=int, default=200_000)
    parser.add_argument("--pg", default=os.environ.get("TEST_DATABASE_URL", PG_BASE))
    parser.add_argument("--screenshots", type=Path, default=None)
    parser.add_argument("--keep", action="store_true", help="keep the schema afterwards")
    parser.add_argument("--serve", default=None, help=argparse.SUPPRESS)
    parser.add_argument("--port", type=int, default=0, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        serve(args.serve, args.port)
        return
    schema = f"bench_dash_{uuid.uuid4().hex[:8]}"
    admin = make_engine(args.pg)
    with admin.begin() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    url = f"{args.pg}{'&' if '?' in args.pg else '?'}options=-csearch_path%3D{schema}"
    try:
        upgrade(url)
        print(f"PMO dashboard, PostgreSQL, {args.applicants:,} applicants (schema {schema})")
        print(f"seeded in {seed(url, args.applicants):.1f} s")
        measure(url, args.screenshots)
    finally:
        if not args.keep:
            with admin.begin() as connection:
                connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


if __name__ == "__main__":
    main()
