"""An HTTP/1.1 protocol for uvicorn that cuts off clients too slow to send their request headers.

uvicorn's keep-alive timer stops at the first byte, so a client trickling one header byte at a
time holds a connection forever. This one gives every request `HEADER_SECONDS` to arrive whole;
the body has its own timeout in the webhook handler.
"""

from __future__ import annotations

import asyncio

from uvicorn.protocols.http.h11_impl import H11Protocol

HEADER_SECONDS = 10.0


class HeaderDeadlineProtocol(H11Protocol):
    """H11Protocol with a deadline from connection (or previous response) to complete headers."""

    header_seconds = HEADER_SECONDS
    _deadline: asyncio.TimerHandle | None = None
    _armed_at: object = None  # the request cycle current when the deadline started

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        """Starts the header deadline of the first request."""
        super().connection_made(transport)
        self._arm()

    def handle_events(self) -> None:
        """Stops the deadline once a request's headers are complete."""
        super().handle_events()
        if self._deadline is not None and self.cycle is not self._armed_at:
            self._deadline.cancel()
            self._deadline = None

    def on_response_complete(self) -> None:
        """Starts the deadline of the next request on this connection."""
        super().on_response_complete()
        self._arm()

    def connection_lost(self, exc: Exception | None) -> None:
        """Drops the deadline with the connection."""
        if self._deadline is not None:
            self._deadline.cancel()
            self._deadline = None
        super().connection_lost(exc)

    def _arm(self) -> None:
        if self.transport.is_closing():
            return
        self._armed_at = self.cycle
        self._deadline = self.loop.call_later(self.header_seconds, self._expire)

    def _expire(self) -> None:
        self._deadline = None
        if self.cycle is self._armed_at:  # no new request began: its headers never came
            self.transport.close()
