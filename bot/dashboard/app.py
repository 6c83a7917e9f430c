"""The PMO dashboard as a Starlette app: login by link, then pages, CSV exports and charts."""

from __future__ import annotations

import asyncio
import contextlib
import csv
import io
import logging
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, select_autoescape
from sqlalchemy.engine import Engine
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse, RedirectResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.templating import Jinja2Templates

from bot.broadcast_commands import parse_pmo_ids
from bot.dashboard.auth import (
    COOKIE_NAME,
    LINK_PATH,
    SESSION_LIFETIME,
    Refusal,
    Signer,
    base_url,
    dashboard_secret,
    issue_session,
    redeem_link_token,
    session_user,
)
from bot.dashboard.pages import PAGES, TABLE_PAGES, Page, PageBook, Table, labels
from storage.settings import Settings

logger = logging.getLogger(__name__)

HERE = Path(__file__).parent
SECURITY_HEADERS = {
    "Cache-Control": "no-store",
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Content-Security-Policy": "default-src 'self'; img-src 'self' data:; "
                               "frame-ancestors 'none'",
}
CLIENT_REFRESH_SECONDS = 30
FIRST_REFRESH_DELAY = 3.0


class Dashboard:
    """The request handlers, sharing the signer, the PMO ids and the page book."""

    def __init__(self, engine: Engine, settings: Settings, *, book: PageBook | None = None,
                 client_refresh: int = CLIENT_REFRESH_SECONDS) -> None:
        self.engine = engine
        self.client_refresh = client_refresh
        self.settings = settings
        self.signer = Signer(dashboard_secret(settings))
        self.pmo_ids = parse_pmo_ids(settings.pmo_telegram_ids)
        self.book = book or PageBook(
            engine, give_up_after=timedelta(minutes=settings.dashboard_give_up_minutes))
        self.secure_cookie = base_url(settings).startswith("https://")
        environment = Environment(loader=FileSystemLoader(HERE / "templates"),
                                  autoescape=select_autoescape(["html"]))
        self.templates = Jinja2Templates(env=environment)

    async def login(self, request: Request) -> Response:
        """Redeems a login link and starts a session, or says why it cannot."""
        token = request.query_params.get("t", "")
        user = await asyncio.to_thread(redeem_link_token, self.signer, self.engine, token,
                                       pmo_ids=self.pmo_ids)
        if isinstance(user, Refusal):
            logger.warning("dashboard login refused: %s", user.value)
            return self._refused(request, user)
        response = RedirectResponse("/funnel", status_code=303)
        response.set_cookie(COOKIE_NAME, issue_session(self.signer, user), httponly=True,
                            samesite="strict", secure=self.secure_cookie,
                            max_age=int(SESSION_LIFETIME.total_seconds()), path="/")
        return _secured(response)

    async def logout(self, _request: Request) -> Response:
        """Ends the session."""
        response = RedirectResponse(LINK_PATH, status_code=303)
        response.delete_cookie(COOKIE_NAME, path="/")
        return _secured(response)

    async def page(self, request: Request) -> Response:
        """Renders one page for a PMO session."""
        refusal = self._check(request)
        if refusal is not None:
            return self._refused(request, refusal)
        slug = request.path_params.get("page", "funnel")
        if slug not in PAGES:
            return _secured(PlainTextResponse("not found", status_code=404))
        page: Page = await asyncio.to_thread(self.book.page, slug)
        context = {"page": page, "pages": [(s, labels()["pages"][s]) for s in PAGES],
                   "labels": labels(), "refresh": self.client_refresh}
        return _secured(self.templates.TemplateResponse(request, "page.html", context))

    async def export(self, request: Request) -> Response:
        """Returns one table as CSV, formatted as on the page."""
        refusal = self._check(request)
        if refusal is not None:
            return self._refused(request, refusal)
        slug = request.path_params["table"]
        table = await asyncio.to_thread(self._find_table, slug)
        if table is None:
            return _secured(PlainTextResponse("not found", status_code=404))
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        writer.writerow(table.columns)
        writer.writerows(table.shown_rows())
        headers = {"Content-Disposition": f'attachment; filename="{slug}.csv"'}
        return _secured(Response(buffer.getvalue(), media_type="text/csv; charset=utf-8",
                                 headers=headers))

    def _find_table(self, slug: str) -> Table | None:
        page = TABLE_PAGES.get(slug.split(".")[0])
        return self.book.page(page).table(slug) if page else None

    def _check(self, request: Request) -> Refusal | None:
        user = session_user(self.signer, request.cookies.get(COOKIE_NAME), pmo_ids=self.pmo_ids)
        return user if isinstance(user, Refusal) else None

    def _refused(self, request: Request, refusal: Refusal) -> Response:
        context = {"labels": labels(), "message": labels()["refused"][refusal.value]}
        response = self.templates.TemplateResponse(request, "refused.html", context,
                                                   status_code=403)
        return _secured(response)


def _secured(response: Response) -> Response:
    response.headers.update(SECURITY_HEADERS)
    return response


async def _health(_request: Request) -> Response:
    return PlainTextResponse("ok")


def build_dashboard(engine: Engine, settings: Settings, *, book: PageBook | None = None,
                    client_refresh: int = CLIENT_REFRESH_SECONDS) -> Starlette:
    """Returns the dashboard app; a background task rebuilds the heavy pages periodically."""
    dashboard = Dashboard(engine, settings, book=book, client_refresh=client_refresh)

    @contextlib.asynccontextmanager
    async def lifespan(_app: Starlette) -> AsyncIterator[None]:
        task = asyncio.create_task(_refresh_forever(dashboard.book,
                                                    settings.dashboard_refresh_seconds))
        try:
            yield
        finally:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    routes = [
        Route("/", dashboard.page),
        Route(LINK_PATH, dashboard.login),
        Route("/keluar", dashboard.logout),
        Route("/healthz", _health),
        Route("/export/{table}.csv", dashboard.export),
        Mount("/static", StaticFiles(directory=HERE / "static"), name="static"),
        Route("/{page}", dashboard.page),
    ]
    return Starlette(routes=routes, lifespan=lifespan)


async def _refresh_forever(book: PageBook, seconds: float) -> None:
    if seconds <= 0:
        return
    # A moment's grace: `prakerja run --webhook` checks its settings and migrates meanwhile,
    # and a run that stops at once never touches the database from here.
    await asyncio.sleep(min(FIRST_REFRESH_DELAY, seconds))
    while True:
        if book.fresh(seconds):  # built just before serving: wait a round first
            await asyncio.sleep(seconds)
        try:
            took = await asyncio.to_thread(book.refresh_all)
            logger.info("dashboard pages refreshed in %s", took)
        except Exception as error:  # the next round may work; the old pages stay served
            logger.error("dashboard refresh failed: %s", type(error).__name__)
        await asyncio.sleep(seconds)
