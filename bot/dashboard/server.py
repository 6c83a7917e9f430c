"""Runs the dashboard's uvicorn server on a thread of its own, beside polling or the webhook."""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from contextlib import contextmanager

import uvicorn
from sqlalchemy.engine import Engine

from bot.dashboard.app import CLIENT_REFRESH_SECONDS, build_dashboard
from bot.dashboard.pages import labels
from storage.settings import Settings

logger = logging.getLogger(__name__)


class DashboardServer:
    """A uvicorn server on a daemon thread with its own event loop; stop() ends it."""

    def __init__(self, engine: Engine, settings: Settings, *, port: int | None = None,
                 client_refresh: int = CLIENT_REFRESH_SECONDS) -> None:
        app = build_dashboard(engine, settings, client_refresh=client_refresh)
        chosen = settings.dashboard_port if port is None else port
        config = uvicorn.Config(app, host=settings.dashboard_host, port=chosen,
                                log_level="warning", access_log=False, lifespan="on")
        self.server = uvicorn.Server(config)
        self.settings = settings
        self._thread = threading.Thread(target=self._serve, name="dashboard", daemon=True)

    def _serve(self) -> None:
        try:
            self.server.run()
        except SystemExit:  # uvicorn exits when it cannot bind; start() reports it
            logger.error("dashboard server stopped at startup")

    def start(self) -> None:
        """Starts serving and waits until the socket is bound."""
        self._thread.start()
        while not self.server.started and self._thread.is_alive():
            self._thread.join(0.05)
        if not self.server.started:
            raise RuntimeError("the dashboard server did not start (is the port in use?)")

    @property
    def port(self) -> int:
        """Returns the bound port (useful when started on port 0)."""
        sockets = [s for server in self.server.servers for s in server.sockets]
        return int(sockets[0].getsockname()[1]) if sockets else self.settings.dashboard_port

    def stop(self) -> None:
        """Asks the server to finish and waits for the thread."""
        self.server.should_exit = True
        self._thread.join(10)


def start_beside_bot(engine: Engine, settings: Settings) -> DashboardServer | None:
    """Starts the dashboard when enabled and prints where it is; None when disabled."""
    if not settings.dashboard_enabled:
        return None
    try:
        server = DashboardServer(engine, settings)
        server.start()
    except (OSError, RuntimeError) as error:
        # The bot must run even if the dashboard port is taken.
        logger.error("dashboard not started: %s", type(error).__name__)
        return None
    url = (settings.dashboard_public_url or f"http://{settings.dashboard_host}:{server.port}")
    print(str(labels()["started"]).format(url=url.rstrip("/")), flush=True)
    return server


@contextmanager
def beside_bot(engine: Engine, settings: Settings) -> Iterator[DashboardServer | None]:
    """Runs the dashboard (when enabled) for as long as the block runs the bot."""
    server = start_beside_bot(engine, settings)
    try:
        yield server
    finally:
        if server is not None:
            server.stop()
