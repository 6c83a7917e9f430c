"""Login links and sessions: signed, single use, ten minutes, PMO only, on every page."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import httpx
import pytest_asyncio
from sqlalchemy.engine import Engine
from support.dashboard_scenario import CITIZEN, PMO, dashboard_settings

from bot.dashboard.app import build_dashboard
from bot.dashboard.auth import (
    COOKIE_NAME,
    Refusal,
    Signer,
    issue_link_token,
    issue_session,
    redeem_link_token,
    session_user,
)
from bot.dashboard.pages import PAGES, labels

SIGNER = Signer(b"test-dashboard-secret")


@pytest_asyncio.fixture
async def client(sqlite_engine: Engine) -> AsyncIterator[httpx.AsyncClient]:
    app = build_dashboard(sqlite_engine, dashboard_settings())
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1") as client:
        yield client


def _refusal_text(refusal: Refusal) -> str:
    return str(labels()["refused"][refusal.value])


async def test_a_link_logs_in_once_with_a_strict_httponly_cookie(client: httpx.AsyncClient) -> None:
    token = issue_link_token(SIGNER, PMO)

    first = await client.get(f"/masuk?t={token}")
    again = await client.get(f"/masuk?t={token}")

    assert (first.status_code, first.headers["location"]) == (303, "/funnel")
    cookie = first.headers["set-cookie"]
    assert "HttpOnly" in cookie and "SameSite=strict" in cookie and "Path=/" in cookie
    assert again.status_code == 403 and _refusal_text(Refusal.USED) in again.text


async def test_every_page_and_export_needs_a_pmo_session(client: httpx.AsyncClient) -> None:
    paths = [f"/{page}" for page in PAGES] + ["/", "/export/outbox.csv"]

    anonymous = [(await client.get(path)).status_code for path in paths]
    client.cookies.set(COOKIE_NAME, issue_session(SIGNER, CITIZEN))
    citizen = [await client.get(path) for path in paths]
    client.cookies.set(COOKIE_NAME, issue_session(SIGNER, PMO))
    pmo = [(await client.get(path)).status_code for path in paths]

    assert anonymous == [403] * len(paths)
    assert [r.status_code for r in citizen] == [403] * len(paths)
    assert _refusal_text(Refusal.NOT_PMO) in citizen[0].text
    assert pmo == [200] * len(paths)


async def test_pages_send_no_cache_and_no_framing_headers(client: httpx.AsyncClient) -> None:
    client.cookies.set(COOKIE_NAME, issue_session(SIGNER, PMO))

    headers = (await client.get("/ops")).headers

    assert headers["cache-control"] == "no-store"
    assert headers["x-frame-options"] == "DENY"
    assert "default-src 'self'" in headers["content-security-policy"]


def test_expired_forged_and_foreign_links_are_refused(sqlite_engine: Engine) -> None:
    pmo = frozenset({PMO})
    old = issue_link_token(SIGNER, PMO, now=datetime.now(UTC) - timedelta(minutes=11))
    forged = issue_link_token(Signer(b"another secret"), PMO)
    foreign = issue_link_token(SIGNER, CITIZEN)
    fresh = issue_link_token(SIGNER, PMO)
    payload, _mac = fresh.split(".")

    assert redeem_link_token(SIGNER, sqlite_engine, old, pmo_ids=pmo) is Refusal.EXPIRED
    assert redeem_link_token(SIGNER, sqlite_engine, forged, pmo_ids=pmo) is Refusal.BAD_SIGNATURE
    assert redeem_link_token(SIGNER, sqlite_engine, foreign, pmo_ids=pmo) is Refusal.NOT_PMO
    assert redeem_link_token(SIGNER, sqlite_engine, payload, pmo_ids=pmo) is Refusal.MALFORMED
    assert redeem_link_token(SIGNER, sqlite_engine, fresh, pmo_ids=pmo) == PMO


def test_a_session_ends_when_it_expires_or_the_id_leaves_pmo() -> None:
    cookie = issue_session(SIGNER, PMO)
    later = datetime.now(UTC) + timedelta(hours=9)

    assert session_user(SIGNER, cookie, pmo_ids=frozenset({PMO})) == PMO
    assert session_user(SIGNER, cookie, pmo_ids=frozenset({PMO}), now=later) is Refusal.EXPIRED
    assert session_user(SIGNER, cookie, pmo_ids=frozenset()) is Refusal.NOT_PMO
    assert session_user(SIGNER, cookie[:-2] + "xx", pmo_ids=frozenset({PMO})) in (
        Refusal.BAD_SIGNATURE, Refusal.MALFORMED)
