"""Dashboard pages computed from real conversations, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from sqlalchemy import update
from sqlalchemy.engine import Engine
from support.dashboard_scenario import COMPLETE, STOPPED_AT_NIK, run_scenario

from actions.broadcasts import create_broadcast, start_broadcast
from actions.subscriptions import subscribe
from actions.waves import create_wave
from bot.dashboard.pages import PAGES, PageBook, labels
from storage.db import session_scope
from storage.models_broadcast import BroadcastRecipient
from storage.models_waves import ApplicantResult, BasicTestAttempt, WaveApplication


def _column(book: PageBook, page: str, table: str, index: int) -> dict[str, str]:
    found = book.page(page).table(table)
    assert found is not None, f"{table} missing on {page}"
    return {row[0]: row[index] for row in found.shown_rows()}


async def test_funnel_counts_each_step_and_hides_small_groups(engine: Engine) -> None:
    await run_scenario(engine)
    book = PageBook(engine, give_up_after=timedelta(0))

    people = _column(book, "funnel", "funnel.all", 1)
    dropped = _column(book, "funnel", "funnel.all", 2)

    steps = labels()["steps"]
    started = COMPLETE + STOPPED_AT_NIK + 1  # and the chat that only typed gibberish
    assert people[steps["started"]] == str(started)
    assert people[steps["email_verified"]] == str(COMPLETE + STOPPED_AT_NIK)
    assert people[steps["nik_valid"]] == str(COMPLETE)
    assert people[steps["confirmed"]] == str(COMPLETE)
    assert people[steps["delivered"]] == "0"  # no outbox worker ran
    assert dropped[steps["nik_valid"]] == str(STOPPED_AT_NIK)
    assert dropped[steps["email_verified"]] == "<10"  # 1 person: suppressed


async def test_give_ups_name_the_step_and_the_last_validator_message(engine: Engine) -> None:
    await run_scenario(engine)
    table = PageBook(engine, give_up_after=timedelta(0)).page("funnel").table("give_ups")
    assert table is not None

    rows = table.shown_rows()

    assert [labels()["flow_steps"]["nik"], "nik_length", str(STOPPED_AT_NIK)] == [
        rows[0][0], rows[0][2], rows[0][3]]
    assert "16 angka" in rows[0][1]


async def test_regions_come_from_the_nik_region_code(engine: Engine) -> None:
    await run_scenario(engine)
    book = PageBook(engine)

    provinces = _column(book, "regions", "provinces", 2)
    regencies = {row[2]: row[3] for row in book.page("regions").table("regencies").shown_rows()}

    assert provinces == {"32": str(COMPLETE)}
    assert regencies == {"Kota Bandung": str(COMPLETE)}


async def test_time_page_shows_latency_refusals_and_fallbacks(engine: Engine) -> None:
    scenario = await run_scenario(engine)
    page = PageBook(engine).page("time")

    latency = page.table("latency")
    refusals = dict(page.table("ktp_refusals").rows)
    fallbacks = page.table("nlu_fallbacks").rows
    validator = dict(page.table("validator_refusals").rows)

    assert latency is not None and sum(row[1] for row in latency.rows) > 100
    assert all(row[2] is not None and row[2] <= row[3] for row in latency.rows)
    assert refusals == dict.fromkeys(scenario.ktp_refusal_codes, 1)
    assert sum(count for _intent, count in fallbacks) == 1
    assert validator["nik:nik_length"] == STOPPED_AT_NIK


async def test_every_page_renders_its_tables(engine: Engine) -> None:
    await run_scenario(engine)
    book = PageBook(engine)

    slugs = {page: [t.slug for t in book.page(page).tables] for page in PAGES}

    assert slugs["ops"] == ["outbox", "breakers", "broadcasts", "lotteries"]
    assert "signups" in slugs["time"] and "handoffs" in slugs["time"]
    outbox = {row[0]: row[1] for row in book.page("ops").table("outbox").rows}
    assert outbox["registration"] == COMPLETE  # queued, not yet delivered


def _wave_history(engine: Engine) -> None:
    """Wave 1 closed before anyone signed up; wave 2 is open: the complete ones join it."""
    now = datetime.now(UTC)
    with session_scope(engine) as session:
        create_wave(session=session, number=1, quota=5, opens_at=now - timedelta(days=3),
                    closes_at=now - timedelta(days=2))
        wave = create_wave(session=session, number=2, quota=10, opens_at=now - timedelta(days=1),
                           closes_at=now + timedelta(days=1))
        for index in range(COMPLETE):
            chat = 1000 + index
            session.add(BasicTestAttempt(chat_id=chat, started_at=now, deadline_at=now,
                                         finished_at=now, score=9, max_score=10, passed=True))
            application = WaveApplication(wave_id=wave.id or 0, chat_id=chat, nik_key=index + 1,
                                          birth_date=date(1990, 8, 5))
            session.add(application)
            session.flush()
            session.add(ApplicantResult(application_id=application.id or 0, wave_id=wave.id or 0,
                                        selected=index < 10, priority=False, reason_mask=0,
                                        draw_position=index))


async def test_each_wave_has_its_own_funnel_down_to_selection(engine: Engine) -> None:
    await run_scenario(engine)
    _wave_history(engine)
    book = PageBook(engine)

    earlier = _column(book, "funnel", "funnel.1", 1)
    current = _column(book, "funnel", "funnel.2", 1)
    lotteries = book.page("ops").table("lotteries")

    steps = labels()["steps"]
    assert earlier[steps["started"]] == "0"
    assert current[steps["started"]] == str(COMPLETE + STOPPED_AT_NIK + 1)
    assert current[steps["test_passed"]] == str(COMPLETE)
    assert current[steps["joined_wave"]] == str(COMPLETE)
    assert current[steps["selected"]] == "10"
    assert book.page("funnel").table("funnel.none") is None  # nobody signed up after wave 2
    assert lotteries is not None
    assert [row[:4] for row in lotteries.rows] == [(1, "planned", 5, 0), (2, "planned", 10, 12)]


def test_broadcast_progress_counts_sent_waiting_and_429s(engine: Engine) -> None:
    started = datetime.now(UTC) - timedelta(seconds=10)
    with session_scope(engine) as session:
        for chat_id in range(1, 13):
            subscribe(session=session, chat_id=chat_id)
        draft = create_broadcast(session=session, template="gelombang_dibuka", audience="all",
                                 params={"wave": "13", "dates": "3 Maret 2025"},
                                 created_by="test")
        start_broadcast(session=session, broadcast_id=draft.id or 0, now=started)
    table = BroadcastRecipient.__table__  # type: ignore[attr-defined]
    with session_scope(engine) as session:
        session.execute(update(table).where(table.c.chat_id <= 8).values(status="sent"))
        session.execute(update(table).where(table.c.chat_id == 9).values(error="429"))

    [row] = PageBook(engine).page("ops").table("broadcasts").rows

    _id, template, status, total, sent, failed, waiting, held, rate, eta = row
    assert (template, status, total, sent, failed, waiting, held) == (
        "gelombang_dibuka", "running", 12, 8, 0, 4, 1)
    assert rate is not None and 0.5 < rate <= 0.8  # 8 sent in about 10 s
    assert eta is not None and eta > 0
