"""Fakes at the Rasa client's edges: a server that never answers, and a hand-moved clock."""

from __future__ import annotations

import asyncio


class HungServer:
    """A TCP server on 127.0.0.1 that accepts connections and never answers (a hung Rasa)."""

    def __init__(self) -> None:
        self.connections = 0
        self._server: asyncio.Server | None = None
        self._held: list[asyncio.StreamWriter] = []

    async def start(self) -> str:
        """Starts listening on a free port; returns the base URL."""
        self._server = await asyncio.start_server(self._accept, "127.0.0.1", 0)
        port = self._server.sockets[0].getsockname()[1]
        return f"http://127.0.0.1:{port}"

    async def _accept(self, _reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        self._held.append(writer)  # keep the socket open, say nothing

    async def stop(self) -> None:
        """Closes the held connections and the listener."""
        for writer in self._held:
            writer.close()
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()


class ManualClock:
    """A monotonic clock the test moves by hand (for the circuit breaker's cool-down)."""

    def __init__(self, now: float = 0.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now
