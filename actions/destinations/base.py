"""What a destination receives and returns, and how HTTP answers map onto outcomes."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any, Protocol

import httpx

IDEMPOTENCY_HEADER = "Idempotency-Key"
# 409: the server is still working on the same key; 425/429/408: come back later.
TRANSIENT_CLIENT_ERRORS = frozenset({408, 409, 425, 429})


@dataclass(frozen=True, kw_only=True)
class Message:
    """One outbox row as handed to a destination, with its attachment if it has one."""

    outbox_id: int
    idempotency_key: str
    kind: str
    chat_id: int | None
    destination: str
    payload: dict[str, Any]
    attempt: int
    attachment: bytes | None = None
    attachment_type: str | None = None

    @property
    def recipient(self) -> str:
        """Returns the address to deliver to: the sealed payload's "to", else the destination."""
        return str(self.payload.get("to") or self.destination)


@dataclass(frozen=True, kw_only=True)
class Delivered:
    """The destination acknowledged the message; `ack` is the small answer worth keeping."""

    ack: dict[str, Any] = field(default_factory=dict)
    status_code: int | None = None


@dataclass(frozen=True, kw_only=True)
class Failed:
    """The message was not acknowledged; `permanent` means retrying cannot help."""

    error: str
    status_code: int | None = None
    retry_after: float | None = None
    permanent: bool = False


Outcome = Delivered | Failed


class Destination(Protocol):
    """Delivers one kind of outbox message somewhere outside our process."""

    async def deliver(self, message: Message) -> Outcome: ...


def parse_retry_after(value: str | None, *, now: datetime | None = None) -> float | None:
    """Returns the seconds a Retry-After header asks us to wait (delta or HTTP-date), or None."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())


def outcome_of_response(response: httpx.Response) -> Outcome:
    """Returns Delivered for 2xx, a transient Failed for 408/409/425/429/5xx, else permanent."""
    code = response.status_code
    if 200 <= code < 300:
        return Delivered(ack=_small_json(response), status_code=code)
    transient = code >= 500 or code in TRANSIENT_CLIENT_ERRORS
    return Failed(
        error=f"HTTP {code}",
        status_code=code,
        retry_after=parse_retry_after(response.headers.get("Retry-After")),
        permanent=not transient,
    )


def outcome_of_exception(exc: BaseException) -> Failed:
    """Returns a transient failure naming the exception class (never its text: it may hold data)."""
    if isinstance(exc, httpx.TimeoutException):
        return Failed(error=f"timeout ({type(exc).__name__})")
    return Failed(error=f"transport error ({type(exc).__name__})")


def _small_json(response: httpx.Response) -> dict[str, Any]:
    """Returns the JSON object body if it is a small object, else an empty dict."""
    if len(response.content) > 4096:
        return {}
    try:
        body = response.json()
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}


def auth_headers(token: str | None) -> dict[str, str]:
    """Returns a bearer Authorization header when a token is configured."""
    return {"Authorization": f"Bearer {token}"} if token else {}


async def post_idempotent(
    client: httpx.AsyncClient, url: str, *, headers: dict[str, str], message: Message,
    **body: Any,
) -> Outcome:
    """POSTs with the row's Idempotency-Key (json= or files=) and maps the answer to an Outcome."""
    headers = {**headers, IDEMPOTENCY_HEADER: message.idempotency_key}
    try:
        response = await client.post(url, headers=headers, **body)
    except httpx.HTTPError as exc:
        return outcome_of_exception(exc)
    return outcome_of_response(response)
