"""The dashboard in headless Chromium (Debian's chromium + chromium-driver) via Selenium.

Logs in through a real link, loads every page, reads the funnel numbers off the page after
scripted registrations, downloads the CSVs with the browser's session, and checks that reused,
expired and non-PMO links are refused. Screenshots land in the test's tmp_path.
"""

from __future__ import annotations

import asyncio
import csv
import io
import shutil
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from sqlalchemy.engine import Engine
from support.dashboard_scenario import (
    CITIZEN,
    COMPLETE,
    PMO,
    STOPPED_AT_NIK,
    dashboard_settings,
    run_scenario,
)

from bot.dashboard.auth import COOKIE_NAME, LINK_PATH, Signer, issue_link_token
from bot.dashboard.pages import PAGES, labels
from bot.dashboard.server import DashboardServer
from storage.db import session_scope
from storage.models_outbox import CircuitState

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMEDRIVER = shutil.which("chromedriver") or "/usr/bin/chromedriver"
FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--no-first-run",
         "--window-size=1280,1600")

webdriver = pytest.importorskip("selenium.webdriver", reason="selenium is not installed")
if not (Path(CHROMIUM).exists() and Path(CHROMEDRIVER).exists()):
    pytest.skip("headless Chromium not found: apt-get install chromium chromium-driver",
                allow_module_level=True)

from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.remote.webdriver import WebDriver  # noqa: E402
from selenium.webdriver.support.wait import WebDriverWait  # noqa: E402


@pytest.fixture
def browser(tmp_path: Path) -> Iterator[WebDriver]:
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in FLAGS:
        options.add_argument(flag)
    options.add_argument(f"--user-data-dir={tmp_path / f'profile-{uuid.uuid4().hex[:6]}'}")
    service = webdriver.ChromeService(executable_path=CHROMEDRIVER)
    driver = webdriver.Chrome(options=options, service=service)
    driver.set_page_load_timeout(30)
    yield driver
    driver.quit()


@pytest.fixture
def server(sqlite_engine: Engine) -> Iterator[str]:
    running = DashboardServer(sqlite_engine, dashboard_settings(), port=0)
    running.start()
    yield f"http://127.0.0.1:{running.port}"
    running.stop()


SIGNER = Signer(b"test-dashboard-secret")


def _link(base: str, user: int, *, now: datetime | None = None) -> str:
    return f"{base}{LINK_PATH}?t={issue_link_token(SIGNER, user, now=now)}"


def _table(driver: WebDriver, slug: str) -> list[list[str]]:
    table = driver.find_element(By.CSS_SELECTOR, f'table[data-table="{slug}"]')
    return [[cell.text for cell in row.find_elements(By.TAG_NAME, "td")]
            for row in table.find_elements(By.CSS_SELECTOR, "tbody tr")]


def test_pmo_logs_in_and_reads_the_funnel_of_real_registrations(
    sqlite_engine: Engine, server: str, browser: WebDriver, tmp_path: Path
) -> None:
    asyncio.run(run_scenario(sqlite_engine))
    driver = browser

    driver.get(_link(server, PMO))
    funnel = {row[0]: row[1] for row in _table(driver, "funnel.all")}
    driver.save_screenshot(str(tmp_path / "funnel.png"))

    steps = labels()["steps"]
    assert driver.current_url == f"{server}/funnel"
    assert funnel[steps["started"]] == str(COMPLETE + STOPPED_AT_NIK + 1)
    assert funnel[steps["password"]] == str(COMPLETE + STOPPED_AT_NIK)
    assert funnel[steps["ktp_accepted"]] == str(COMPLETE)
    assert funnel[steps["selected"]] == "0"
    give_ups = _table(driver, "give_ups")
    assert give_ups[0][0] == labels()["flow_steps"]["nik"]
    assert give_ups[0][3] == str(STOPPED_AT_NIK)
    cookie = driver.get_cookie(COOKIE_NAME)
    assert cookie is not None and cookie["httpOnly"] and cookie["sameSite"] == "Strict"


def test_every_page_loads_and_every_table_exports_as_csv(
    sqlite_engine: Engine, server: str, browser: WebDriver, tmp_path: Path
) -> None:
    asyncio.run(run_scenario(sqlite_engine))
    driver = browser
    driver.get(_link(server, PMO))
    exported: dict[str, list[list[str]]] = {}
    cookie = driver.get_cookie(COOKIE_NAME)["value"]

    for page in PAGES:
        driver.get(f"{server}/{page}")
        driver.save_screenshot(str(tmp_path / f"{page}.png"))
        heading = driver.find_element(By.TAG_NAME, "h1").text
        assert heading == labels()["pages"][page]
        for link in driver.find_elements(By.CSS_SELECTOR, "a.csv"):
            url = link.get_attribute("href")
            response = httpx.get(url, cookies={COOKIE_NAME: cookie})
            assert response.status_code == 200
            assert response.headers["content-type"].startswith("text/csv")
            exported[url.rsplit("/", 1)[1]] = list(csv.reader(io.StringIO(response.text)))

    assert {"funnel.all.csv", "give_ups.csv", "signups.csv", "latency.csv", "provinces.csv",
            "regencies.csv", "outbox.csv", "breakers.csv", "broadcasts.csv",
            "lotteries.csv"} <= set(exported)
    provinces = exported["provinces.csv"]
    assert provinces[0] == labels()["tables"]["provinces"]["columns"]
    assert provinces[1] == ["32", "Jawa Barat", str(COMPLETE), str(COMPLETE)]
    assert all((tmp_path / f"{page}.png").stat().st_size > 10_000 for page in PAGES)


def test_reused_expired_and_non_pmo_links_are_refused(server: str, browser: WebDriver) -> None:
    driver = browser
    refused = labels()["refused"]
    link = _link(server, PMO)
    driver.get(link)
    driver.delete_all_cookies()

    messages = []
    for url in (link, _link(server, PMO, now=datetime.now(UTC) - timedelta(minutes=11)),
                _link(server, CITIZEN), f"{server}/funnel"):
        driver.get(url)
        messages.append(driver.find_element(By.ID, "refusal").text)

    assert messages == [refused["used"], refused["expired"], refused["not_pmo"],
                        refused["malformed"]]


def test_the_page_refreshes_itself_in_place(sqlite_engine: Engine, browser: WebDriver) -> None:
    running = DashboardServer(sqlite_engine, dashboard_settings(), port=0, client_refresh=1)
    running.start()
    try:
        base = f"http://127.0.0.1:{running.port}"
        browser.get(_link(base, PMO))
        browser.get(f"{base}/ops")
        browser.execute_script("window.notReloaded = true;")
        before = _table(browser, "breakers")
        with session_scope(sqlite_engine) as session:
            session.add(CircuitState(name="platform", state="open", consecutive_failures=5))
        WebDriverWait(browser, 15).until(
            lambda driver: _table(driver, "breakers")[0][0] == "platform")
        after = _table(browser, "breakers")[0]
        kept = browser.execute_script("return window.notReloaded === true;")
    finally:
        running.stop()

    assert before == [[labels()["missing"]]]
    assert after[:3] == ["platform", "open", "5"]
    assert kept  # the content was swapped by the script, not by reloading the page
