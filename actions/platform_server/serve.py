"""Running the reference platform: in-process (tests) or as a blocking server (CLI)."""

from __future__ import annotations

import asyncio
import logging
import signal

from aiohttp import web

from actions.platform_server.app import build_app
from actions.platform_server.faults import Faults
from actions.platform_server.store import PlatformStore

logger = logging.getLogger(__name__)


async def start_server(store: PlatformStore, faults: Faults | None = None, *,
                       host: str = "127.0.0.1", port: int = 0,
                       token: str | None = None) -> tuple[web.AppRunner, str]:
    """Starts the server on the running loop; returns its runner and base URL (port 0 = any)."""
    runner = web.AppRunner(build_app(store, faults, token=token), shutdown_timeout=1.0,
                           access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, host, port)
    await site.start()
    bound = runner.addresses[0][1]
    return runner, f"http://{host}:{bound}"


async def serve(database_url: str, faults: Faults, *, host: str, port: int,
                token: str | None = None) -> None:
    """Serves until SIGINT/SIGTERM."""
    store = PlatformStore(database_url)
    runner, url = await start_server(store, faults, host=host, port=port, token=token)
    logger.info("platform reference server on %s (faults: %.0f %%)", url, faults.total_rate * 100)
    print(f"Platform reference server listening on {url}", flush=True)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    try:
        await stop.wait()
    finally:
        await runner.cleanup()
        store.close()
