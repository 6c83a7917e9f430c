"""The dashboard's pages as data: titled tables (exportable as CSV) and their charts.

Funnel and regions scan the applicants, so they are built by a refresher in the background
and served from memory; the time and operations pages read small tables and are built live.
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import cache
from pathlib import Path
from typing import Any

import yaml
from markupsafe import Markup
from sqlalchemy.engine import Engine
from sqlmodel import Session

from actions import dashboard_stats as stats
from actions.analytics import prune_rollups
from bot.dashboard.charts import bar_chart, line_chart
from flows.texts import raw_texts
from flows.validators.messages import load_messages
from storage.models import utcnow
from storage.models_events import VALIDATOR_REFUSAL

LABELS_FILE = Path(__file__).parent / "labels.yml"
WINDOW = timedelta(hours=3)
DAY = timedelta(hours=24)
HEAVY_PAGES = ("funnel", "regions")
PAGES = ("funnel", "time", "regions", "ops")
# Which page holds each table (by the slug before any "."), so an export builds only that page.
TABLE_PAGES = {
    "funnel": "funnel", "give_ups": "funnel", "signups": "time", "latency": "time",
    "ktp_refusals": "time", "nlu_fallbacks": "time", "validator_refusals": "time",
    "handoffs": "time", "handoffs_opened": "time", "provinces": "regions",
    "regencies": "regions", "outbox": "ops", "breakers": "ops", "broadcasts": "ops",
    "lotteries": "ops",
}
_TAGS = re.compile(r"<[^>]+>")


@cache
def labels() -> dict[str, Any]:
    """Returns the dashboard's Indonesian labels."""
    with LABELS_FILE.open(encoding="utf-8") as handle:
        loaded: dict[str, Any] = yaml.safe_load(handle)
    return loaded


@dataclass(frozen=True, slots=True)
class Table:
    """One titled table; `people` names the columns that count people (None shows "<10")."""

    slug: str
    title: str
    columns: tuple[str, ...]
    rows: Sequence[tuple[Any, ...]]
    people: frozenset[int] = frozenset()
    chart: Markup | None = None

    def cell(self, index: int, value: Any, *, grouped: bool = False) -> str:
        """Returns a value as shown in the CSV (or, grouped by thousands, on the page)."""
        if value is None:
            return str(labels()["suppressed" if index in self.people else "missing"])
        if isinstance(value, bool):
            return "ya" if value else "tidak"
        if isinstance(value, datetime):
            return value.strftime("%Y-%m-%d %H:%M")
        if grouped and isinstance(value, int) and abs(value) >= 10_000:
            return f"{value:,}".replace(",", ".")  # Indonesian thousands separator
        return str(value)

    def shown_rows(self, *, grouped: bool = False) -> list[list[str]]:
        """Returns every row formatted cell by cell."""
        return [[self.cell(i, v, grouped=grouped) for i, v in enumerate(row)]
                for row in self.rows]


@dataclass(frozen=True, slots=True)
class Page:
    """One page: its tables, the time it was computed and how long that took."""

    slug: str
    title: str
    tables: tuple[Table, ...]
    computed_at: datetime = field(default_factory=utcnow)
    seconds: float = 0.0

    def table(self, slug: str) -> Table | None:
        """Returns the table with this slug, if the page has it."""
        return next((t for t in self.tables if t.slug == slug), None)


def _table(slug: str, rows: Sequence[tuple[Any, ...]], *, people: Sequence[int] = (),
           chart: Markup | None = None, **values: object) -> Table:
    spec = labels()["tables"][slug.split(".")[0]]
    return Table(slug=slug, title=str(spec["title"]).format(**values),
                 columns=tuple(spec["columns"]), rows=rows, people=frozenset(people),
                 chart=chart)


# --- funnel ---------------------------------------------------------------------------------
def funnel_page(session: Session, *, give_up_after: timedelta) -> tuple[Table, ...]:
    """Returns the overall funnel (with chart), one funnel per wave, and where people stop."""
    tables = []
    for cohort in stats.funnel_cohorts(session):
        rows = [(labels()["steps"][step], *rest) for step, *rest in cohort.rows()]
        chart = None
        if cohort.key == "all":
            chart = bar_chart([(r[0], r[1]) for r in rows], title=labels()["charts"]["funnel"])
        tables.append(_table(f"funnel.{cohort.key}", rows, people=(1, 2), chart=chart,
                             cohort=_cohort_name(cohort.key)))
    give_ups = [(labels()["flow_steps"].get(step, step), _message_text(key), key or "", n)
                for step, key, n in stats.give_ups(session, idle=give_up_after)]
    minutes = int(give_up_after.total_seconds() // 60)
    tables.append(_table("give_ups", give_ups, people=(3,), minutes=minutes))
    return tuple(tables)


def _cohort_name(key: str) -> str:
    names = labels()["cohorts"]
    if key in ("all", stats.NO_WAVE):
        return str(names[key])
    return str(names["wave"]).format(number=key)


def _message_text(key: str) -> str:
    if not key:
        return str(labels()["missing"])
    template = {**raw_texts(), **load_messages()}.get(key)
    if not isinstance(template, str):
        return key
    plain = " ".join(_TAGS.sub("", template).split())
    return plain if len(plain) <= 90 else plain[:89] + "…"


# --- over time ------------------------------------------------------------------------------
def time_page(session: Session, *, now: datetime) -> tuple[Table, ...]:
    """Returns sign-ups, latency, refusals, fallbacks and handoffs over time."""
    since, day = now - WINDOW, now - DAY
    charts = labels()["charts"]
    signups = stats.signups_per_minute(session, since=since)
    latency = stats.latency_per_minute(session, since=since)
    refusals = stats.ktp_refusals(session, since=day)
    fallbacks = stats.nlu_fallbacks(session, since=day)
    validator = stats.rollup_by_label(session, VALIDATOR_REFUSAL, since=day)
    return (
        _table("signups", signups, people=(1,),
               chart=line_chart({"akun": signups}, title=charts["signups"])),
        _table("latency", latency, chart=line_chart(
            {"p50": [(m, p50) for m, _n, p50, _p99 in latency],
             "p99": [(m, p99) for m, _n, _p50, p99 in latency]}, title=charts["latency"])),
        _table("ktp_refusals", refusals, chart=_bars(refusals, charts["ktp_refusals"])),
        _table("nlu_fallbacks", fallbacks, chart=_bars(fallbacks, charts["nlu_fallbacks"])),
        _table("validator_refusals", validator),
        _table("handoffs", stats.handoffs(session, now=now), people=(1,)),
        _table("handoffs_opened", stats.handoffs_per_minute(session, since=since), people=(1,)),
    )


def _bars(rows: Sequence[tuple[Any, ...]], title: str) -> Markup | None:
    return bar_chart([(str(r[0]), r[1]) for r in rows[:15]], title=title) if rows else None


# --- regions and operations -----------------------------------------------------------------
def regions_page(session: Session) -> tuple[Table, ...]:
    """Returns counts per province (with chart) and per regency."""
    rows = stats.regions(session)
    provinces = stats.provinces(rows)
    biggest_first = sorted(provinces, key=lambda r: -(r[2] or 0))
    chart = bar_chart([(r[1], r[2]) for r in biggest_first],
                      title=labels()["charts"]["provinces"])
    return (_table("provinces", provinces, people=(2, 3), chart=chart),
            _table("regencies", stats.regencies(rows), people=(3, 4)))


def ops_page(session: Session, *, now: datetime) -> tuple[Table, ...]:
    """Returns outbox depth, circuit breakers, broadcasts and lotteries."""
    return (
        _table("outbox", stats.outbox_depth(session, now=now)),
        _table("breakers", stats.breakers(session)),
        _table("broadcasts", stats.broadcasts(session, now=now)),
        _table("lotteries", stats.lotteries(session), people=(3, 4)),
    )


@dataclass(slots=True)
class PageBook:
    """Builds pages; keeps the heavy ones in memory between background refreshes."""

    engine: Engine
    give_up_after: timedelta = timedelta(hours=1)
    clock: Callable[[], datetime] = utcnow
    _heavy: dict[str, Page] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def page(self, slug: str) -> Page:
        """Returns a page: a heavy one from the last refresh (built now if never built)."""
        if slug in HEAVY_PAGES:
            with self._lock:
                cached = self._heavy.get(slug)
            return cached or self.refresh(slug)
        return self.build(slug)

    def refresh(self, slug: str) -> Page:
        """Builds a heavy page anew and keeps it."""
        page = self.build(slug)
        with self._lock:
            self._heavy[slug] = page
        return page

    def fresh(self, seconds: float) -> bool:
        """Tells whether every heavy page was built less than `seconds` ago."""
        now = self.clock()
        with self._lock:
            pages = [self._heavy.get(slug) for slug in HEAVY_PAGES]
        return all(p is not None and (now - p.computed_at).total_seconds() < seconds
                   for p in pages)

    def refresh_all(self) -> dict[str, float]:
        """Rebuilds every heavy page (and drops old rollups); returns the seconds each took."""
        prune_rollups(self.engine)
        return {slug: self.refresh(slug).seconds for slug in HEAVY_PAGES}

    def build(self, slug: str) -> Page:
        """Computes one page from the database."""
        started, now = time.perf_counter(), self.clock()
        with Session(self.engine) as session:
            tables = self._tables(session, slug, now)
        return Page(slug=slug, title=labels()["pages"][slug], tables=tables, computed_at=now,
                    seconds=time.perf_counter() - started)

    def _tables(self, session: Session, slug: str, now: datetime) -> tuple[Table, ...]:
        if slug == "funnel":
            return funnel_page(session, give_up_after=self.give_up_after)
        if slug == "time":
            return time_page(session, now=now)
        if slug == "regions":
            return regions_page(session)
        return ops_page(session, now=now)

