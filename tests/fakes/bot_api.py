"""A fake Telegram Bot API HTTP server for tests and benchmarks.

Real python-telegram-bot talks to it through its normal request stack:
``Bot(token, base_url=api.api_base_url, base_file_url=api.file_base_url)``.
Run standalone with ``python tests/fakes/bot_api.py --port 8081 [--rate 30] [--blocked 1,2]``.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import dataclasses
import io
import itertools
import json
import logging
import math
import signal
import time
from collections import Counter
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from html.parser import HTMLParser
from typing import Any

import aiohttp
from aiohttp import web

logger = logging.getLogger(__name__)

MAX_DOWNLOAD_SIZE = 20 * 1024 * 1024
MAX_TEXT_LENGTH = 4096
MAX_CAPTION_LENGTH = 1024
MAX_CALLBACK_DATA_BYTES = 64
THUMBNAIL_SIDE = 90

# Form fields whose values are plain strings even when they look like JSON numbers/booleans.
_STRING_FIELDS = frozenset(
    {
        "text",
        "caption",
        "callback_query_id",
        "file_id",
        "url",
        "secret_token",
        "parse_mode",
        "description",
        "short_description",
        "name",
        "language_code",
        "action",
        "ip_address",
        "inline_message_id",
        "photo",
        "document",
        "emoji",
        "title",
    }
)
# Methods that put something into a chat: subject to blocked chats and rate limits.
_CHAT_WRITE_METHODS = frozenset(
    {
        "sendMessage",
        "sendPhoto",
        "sendDocument",
        "copyMessage",
        "forwardMessage",
        "editMessageText",
        "editMessageReplyMarkup",
        "sendChatAction",
    }
)
# Methods that create a new bot message in the chat (tracked by wait_for_bot_messages).
_SENDING_METHODS = frozenset(
    {"sendMessage", "sendPhoto", "sendDocument", "copyMessage", "forwardMessage"}
)
_HTML_TAGS = frozenset(
    {
        "b",
        "strong",
        "i",
        "em",
        "u",
        "ins",
        "s",
        "strike",
        "del",
        "span",
        "tg-spoiler",
        "a",
        "tg-emoji",
        "code",
        "pre",
        "blockquote",
        "tg-time",
    }
)
_MDV2_ALWAYS_RESERVED = frozenset("#+-=|{}.!")


@dataclass(frozen=True)
class UploadedFile:
    """A multipart file part received from the bot."""

    filename: str | None
    content_type: str | None
    data: bytes


@dataclass
class ApiCall:
    """One request the bot made: method, decoded params, target chat and the HTTP status."""

    method: str
    params: dict[str, Any]
    chat_id: int | None
    status: int = 0
    description: str | None = None
    at: float = field(default_factory=time.monotonic)
    via_webhook_answer: bool = False  # made by answering a webhook request, not over the wire


@dataclass(frozen=True)
class SentMessage:
    """A message the bot sent, in its current state (edits applied)."""

    message_id: int
    chat_id: int
    text: str | None  # text as sent (markup kept), or caption for photos/documents
    reply_markup: dict[str, Any] | None  # as sent, any keyboard kind
    parse_mode: str | None
    date: int
    edited: bool
    kind: str  # "text" | "photo" | "document" | "contact" (copies/forwards of a contact)
    file_id: str | None = None  # largest photo size or the document
    file_name: str | None = None


@dataclass
class _StoredFile:
    file_id: str
    file_unique_id: str
    file_path: str
    data: bytes
    file_size: int


@dataclass
class _TokenBucket:
    rate: float
    capacity: float
    tokens: float
    stamp: float

    @classmethod
    def full(cls, rate: float) -> _TokenBucket:
        """Returns a bucket holding max(1, rate) tokens, refilled at `rate` per second."""
        capacity = max(1.0, rate)
        return cls(rate=rate, capacity=capacity, tokens=capacity, stamp=time.monotonic())

    def wait_time(self) -> float:
        """Returns seconds until a token is available (0 if one is available now)."""
        now = time.monotonic()
        self.tokens = min(self.capacity, self.tokens + (now - self.stamp) * self.rate)
        self.stamp = now
        return 0.0 if self.tokens >= 1 else (1 - self.tokens) / self.rate

    def take(self) -> None:
        """Consumes one token."""
        self.tokens -= 1


@dataclass
class Fault:
    """A failure the fake plays instead of answering `method` (see FakeBotApi.fail_next)."""

    method: str
    status: int | None = None  # answer with this HTTP status and a Telegram error body
    delay_s: float = 0.0  # sleep this long before answering (or before resetting)
    reset: bool = False  # close the connection without an answer
    retry_after: int | None = None  # with status 429: the seconds Telegram asks to wait
    times: int = 1


class _ApiError(Exception):
    def __init__(
        self, code: int, description: str, parameters: dict[str, Any] | None = None
    ) -> None:
        super().__init__(description)
        self.code = code
        self.description = description
        self.parameters = parameters


def _bad_request(what: str) -> _ApiError:
    return _ApiError(400, f"Bad Request: {what}")


def _utf16_len(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def _decode_form_value(key: str, value: str) -> Any:
    """Returns a form value decoded the way Telegram types it (PTB JSON-dumps non-strings)."""
    if key in _STRING_FIELDS:
        return value
    stripped = value.strip()
    if stripped[:1] in ("{", "[") or stripped in ("true", "false", "null"):
        with contextlib.suppress(ValueError):
            return json.loads(stripped)
        return value
    with contextlib.suppress(ValueError):
        return int(stripped)
    with contextlib.suppress(ValueError):
        return float(stripped)
    return value


class _HtmlChecker(HTMLParser):
    """Strips Telegram HTML markup and reports what Telegram would refuse to parse."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.stack: list[str] = []
        self.error: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag not in _HTML_TAGS:
            self.error = self.error or f'Unsupported start tag "{tag}"'
        self.stack.append(tag)

    def handle_endtag(self, tag: str) -> None:
        if not self.stack or self.stack[-1] != tag:
            self.error = self.error or f'Unexpected end tag "{tag}"'
            return
        self.stack.pop()

    def handle_data(self, data: str) -> None:
        self.parts.append(data)


def _render_html(text: str) -> str:
    checker = _HtmlChecker()
    checker.feed(text)
    checker.close()
    if checker.error is None and checker.stack:
        checker.error = f'Can\'t find end tag corresponding to start tag "{checker.stack[-1]}"'
    if checker.error:
        raise _bad_request(f"can't parse entities: {checker.error}")
    return "".join(checker.parts)


def _render_markdown_v2(text: str) -> str:
    out: list[str] = []
    i = 0
    while i < len(text):
        char = text[i]
        if char == "\\" and i + 1 < len(text):
            out.append(text[i + 1])
            i += 2
            continue
        if char == "`":
            fence = "```" if text.startswith("```", i) else "`"
            end = text.find(fence, i + len(fence))
            end = len(text) if end < 0 else end + len(fence)
            out.append(text[i + len(fence) : max(i + len(fence), end - len(fence))])
            i = end
            continue
        if text.startswith("](", i):
            end = text.find(")", i + 2)
            i = len(text) if end < 0 else end + 1
            continue
        if char in _MDV2_ALWAYS_RESERVED:
            raise _bad_request(
                f"can't parse entities: Character '{char}' is reserved and must be escaped "
                "with the preceding '\\'"
            )
        if char not in "*_~|[":
            out.append(char)
        i += 1
    return "".join(out)


def _render(text: str, parse_mode: str | None) -> str:
    """Returns the text Telegram would show, raising 400 on markup Telegram cannot parse."""
    mode = (parse_mode or "").lower()
    if mode == "html":
        return _render_html(text)
    if mode == "markdownv2":
        return _render_markdown_v2(text)
    return text


def _check_reply_markup(markup: Any) -> None:
    if markup is None:
        return
    if not isinstance(markup, dict):
        raise _bad_request("can't parse reply keyboard markup JSON object")
    for row in markup.get("inline_keyboard", []):
        for button in row:
            data = button.get("callback_data")
            if data is not None and len(str(data).encode()) > MAX_CALLBACK_DATA_BYTES:
                raise _bad_request("BUTTON_DATA_INVALID")
            if "text" not in button:
                raise _bad_request("can't parse inline keyboard button: Text must be non-empty")


def _make_thumbnail(image: bytes) -> bytes:
    """Returns a JPEG thumbnail, or the original bytes when Pillow cannot read them."""
    try:
        from PIL import Image  # optional: only for realistic thumbnails

        with Image.open(io.BytesIO(image)) as img:
            img.thumbnail((THUMBNAIL_SIDE, THUMBNAIL_SIDE))
            out = io.BytesIO()
            img.convert("RGB").save(out, format="JPEG")
            return out.getvalue()
    except Exception:
        return image


class FakeBotApi:
    """A Telegram Bot API server on 127.0.0.1 that records what the bot does."""

    def __init__(
        self,
        *,
        token: str = "123456:TEST-TOKEN",
        bot_username: str = "prakerja_test_bot",
        global_rate_per_s: float | None = None,
        per_chat_rate_per_s: float | None = None,
        blocked_chat_ids: Iterable[int] = (),
        host: str = "127.0.0.1",
        port: int = 0,
        latency_s: float = 0.0,
    ) -> None:
        self.token = token
        self.latency_s = latency_s  # added to every Bot API answer, like Telegram's round trip
        self.bot_username = bot_username
        self.bot_id = int(token.split(":", 1)[0]) if token.split(":", 1)[0].isdigit() else 1
        self.bot_first_name = "Prakerja Test Bot"
        self.global_rate_per_s = global_rate_per_s
        self.per_chat_rate_per_s = per_chat_rate_per_s
        self.blocked_chat_ids: set[int] = set(blocked_chat_ids)
        self.host = host
        self.port = port
        self.calls: list[ApiCall] = []
        self.unexpected: list[ApiCall] = []
        self.deleted_messages: set[tuple[int, int]] = set()
        self.callback_answers: dict[str, dict[str, Any]] = {}
        self.commands: dict[str, list[dict[str, Any]]] = {}
        self.menu_buttons: dict[int | None, dict[str, Any]] = {}
        self.webhook_url: str = ""
        self.webhook_secret_token: str | None = None
        self.webhook_allowed_updates: list[str] | None = None
        self._ids = itertools.count(1)
        self._update_ids = itertools.count(1)
        self._pending: list[dict[str, Any]] = []
        self._fetched_up_to = 0
        self._updates_event = asyncio.Event()
        self._activity_event = asyncio.Event()
        self._poll_generation = 0
        self._closing = False
        self._in_flight = 0
        self._last_activity = time.monotonic()
        self._messages: dict[tuple[int, int], dict[str, Any]] = {}
        self._sent: dict[tuple[int, int], SentMessage] = {}
        self._sent_order: dict[int, list[int]] = {}
        self._cursor: dict[int, int] = {}
        self._next_message_id: dict[int, int] = {}
        self._chats: dict[int, dict[str, Any]] = {}
        self._open_callbacks: set[str] = set()
        self._files: dict[str, _StoredFile] = {}
        self._files_by_path: dict[str, _StoredFile] = {}
        self._status_counts: Counter[int] = Counter()
        self._global_bucket = _TokenBucket.full(global_rate_per_s) if global_rate_per_s else None
        self._chat_buckets: dict[int, _TokenBucket] = {}
        self._runner: web.AppRunner | None = None
        self._faults: list[Fault] = []
        self._open_requests = 0
        self.peak_open_requests = 0  # most Bot API requests served at the same moment
        self._handlers: dict[str, tuple[str, Callable[[dict[str, Any]], Awaitable[Any]]]] = {
            name.lower(): (name, handler) for name, handler in self._method_table().items()
        }

    # ------------------------------------------------------------------ lifecycle

    async def start(self) -> None:
        """Starts serving on host:port (port 0 → an OS-assigned free port)."""
        app = web.Application(client_max_size=64 * 1024 * 1024)
        app.router.add_route("*", "/bot{token}/{method}", self._handle_api)
        app.router.add_get("/file/bot{token}/{path:.+}", self._handle_file)
        app.router.add_get("/_fake/stats", self._handle_control_stats)
        app.router.add_post("/_fake/updates", self._handle_control_updates)
        app.router.add_post("/_fake/user/{action}", self._handle_control_user)
        self._closing = False
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=0.5)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.host, self.port)
        await site.start()
        self.port = int(self._runner.addresses[0][1])

    async def stop(self) -> None:
        """Wakes pending long polls and stops the server."""
        self._closing = True
        self._notify_updates()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> FakeBotApi:
        await self.start()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.stop()

    @property
    def base_url(self) -> str:
        """Returns http://host:port."""
        return f"http://{self.host}:{self.port}"

    @property
    def api_base_url(self) -> str:
        """Returns the value for PTB's `base_url` (the token is appended by PTB)."""
        return f"{self.base_url}/bot"

    @property
    def file_base_url(self) -> str:
        """Returns the value for PTB's `base_file_url` (the token is appended by PTB)."""
        return f"{self.base_url}/file/bot"

    # ------------------------------------------------------------------ users' side

    def user_sends_text(
        self,
        chat_id: int,
        text: str,
        *,
        user_id: int | None = None,
        first_name: str = "Budi",
        username: str | None = None,
    ) -> dict[str, Any]:
        """Queues a private text message; a leading /command gets a bot_command entity."""
        message = self._user_message(chat_id, user_id, first_name=first_name, username=username)
        message["text"] = text
        if text.startswith("/") and len(text) > 1:
            command = text.split(maxsplit=1)[0]
            message["entities"] = [
                {"type": "bot_command", "offset": 0, "length": _utf16_len(command)}
            ]
        return self._queue_message(message)

    def user_presses_button(
        self, chat_id: int, data: str, *, message_id: int, user_id: int | None = None
    ) -> dict[str, Any]:
        """Queues a callback_query for an inline button on a message the bot sent."""
        message = self._messages.get((chat_id, message_id))
        if message is None or (chat_id, message_id) in self.deleted_messages:
            raise LookupError(
                f"no message {message_id} in chat {chat_id}: {self._log_text(chat_id)}"
            )
        query_id = str(next(self._ids) * 1_000_003)
        self._open_callbacks.add(query_id)
        query = {
            "id": query_id,
            "from": self._user(chat_id, user_id),
            "message": message,
            "chat_instance": str(-abs(chat_id) - 7_000_000_000),
            "data": data,
        }
        return self.add_raw_update({"callback_query": query})

    def user_shares_contact(
        self,
        chat_id: int,
        phone_number: str,
        *,
        user_id: int | None = None,
        contact_user_id: int | None = None,
    ) -> dict[str, Any]:
        """Queues a contact message; the user's own contact unless contact_user_id differs."""
        message = self._user_message(chat_id, user_id)
        sender = message["from"]
        message["contact"] = {
            "phone_number": phone_number,
            "first_name": sender["first_name"],
            "user_id": sender["id"] if contact_user_id is None else contact_user_id,
        }
        return self._queue_message(message)

    def user_sends_photo(
        self,
        chat_id: int,
        image: bytes,
        *,
        width: int,
        height: int,
        user_id: int | None = None,
        caption: str | None = None,
    ) -> dict[str, Any]:
        """Queues a photo message with a thumbnail size and the full size (files registered)."""
        message = self._user_message(chat_id, user_id)
        message["photo"] = self._photo_sizes(image, width, height)
        if caption is not None:
            message["caption"] = caption
        return self._queue_message(message)

    def user_sends_document(
        self,
        chat_id: int,
        data: bytes,
        *,
        file_name: str,
        mime_type: str,
        user_id: int | None = None,
        file_size: int | None = None,
    ) -> dict[str, Any]:
        """Queues a document message; file_size overrides len(data) (to fake huge files)."""
        message = self._user_message(chat_id, user_id)
        stored = self._register_file(data, "documents", _suffix(file_name), "BQAC", file_size)
        message["document"] = {
            "file_id": stored.file_id,
            "file_unique_id": stored.file_unique_id,
            "file_name": file_name,
            "mime_type": mime_type,
            "file_size": stored.file_size,
        }
        return self._queue_message(message)

    def add_raw_update(self, update: dict[str, Any]) -> dict[str, Any]:
        """Queues an update as is, assigning update_id if missing."""
        if "update_id" not in update:
            update["update_id"] = next(self._update_ids)
        else:
            self._update_ids = itertools.count(max(update["update_id"] + 1, next(self._update_ids)))
        self._pending.append(update)
        self._notify_updates()
        return update

    def block(self, chat_id: int) -> None:
        """Makes every later write to chat_id fail with 403 (the user blocked the bot)."""
        self.blocked_chat_ids.add(chat_id)

    def unblock(self, chat_id: int) -> None:
        """Undoes block()."""
        self.blocked_chat_ids.discard(chat_id)

    # ------------------------------------------------------------------ what the bot did

    def chat_log(self, chat_id: int) -> list[SentMessage]:
        """Returns the bot's messages still in the chat, in order, with edits applied."""
        return [
            self._sent[(chat_id, mid)]
            for mid in sorted(self._sent_order.get(chat_id, []))
            if (chat_id, mid) not in self.deleted_messages
        ]

    def sent_messages(self, chat_id: int) -> list[SentMessage]:
        """Returns every message the bot sent to the chat (deleted ones too), in send order."""
        return [self._sent[(chat_id, mid)] for mid in self._sent_order.get(chat_id, [])]

    def file_bytes(self, file_id: str) -> bytes:
        """Returns the content of a known file (user-sent or uploaded by the bot)."""
        return self._files[file_id].data

    async def wait_for_bot_messages(
        self,
        chat_id: int,
        count: int = 1,
        *,
        timeout: float = 5.0,  # noqa: ASYNC109 - part of the test-facing API
    ) -> list[SentMessage]:
        """Returns the next `count` messages the bot sends to chat_id (per-chat cursor)."""
        deadline = time.monotonic() + timeout
        cursor = self._cursor.get(chat_id, 0)
        while len(self._sent_order.get(chat_id, [])) - cursor < count:
            event = self._activity_event
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                got = len(self._sent_order.get(chat_id, [])) - cursor
                raise AssertionError(
                    f"expected {count} new bot message(s) in chat {chat_id} within {timeout}s, "
                    f"got {got}; {self._log_text(chat_id)}"
                )
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(event.wait(), remaining)
        ids = self._sent_order[chat_id][cursor : cursor + count]
        self._cursor[chat_id] = cursor + count
        return [self._sent[(chat_id, mid)] for mid in ids]

    async def wait_until_idle(
        self,
        *,
        quiet_for: float = 0.2,
        timeout: float = 5.0,  # noqa: ASYNC109 - part of the test-facing API
    ) -> None:
        """Waits until every queued update was fetched and the bot was quiet for quiet_for s."""
        deadline = time.monotonic() + timeout
        while True:
            now = time.monotonic()
            unfetched = [u for u in self._pending if u["update_id"] > self._fetched_up_to]
            quiet = now - self._last_activity
            if not unfetched and self._in_flight == 0 and quiet >= quiet_for:
                return
            if now >= deadline:
                raise AssertionError(
                    f"bot not idle after {timeout}s: {len(unfetched)} unfetched update(s), "
                    f"{self._in_flight} request(s) in flight, quiet for {quiet:.2f}s"
                )
            await asyncio.sleep(min(max(quiet_for - quiet, 0.01), 0.05, deadline - now))

    async def next_activity(self, timeout: float) -> None:  # noqa: ASYNC109 - test-facing API
        """Waits until the bot's next Bot API request is answered (or `timeout` seconds pass)."""
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._activity_event.wait(), timeout)

    def fail_next(
        self,
        method: str,
        *,
        status: int | None = None,
        delay_s: float = 0.0,
        reset: bool = False,
        retry_after: int | None = None,
        times: int = 1,
    ) -> Fault:
        """Makes the next `times` calls of `method` fail: a status, a delay or a dropped socket."""
        fault = Fault(method.lower(), status=status, delay_s=delay_s, reset=reset,
                      retry_after=retry_after, times=times)
        self._faults.append(fault)
        return fault

    def _take_fault(self, method: str) -> Fault | None:
        for fault in self._faults:
            if fault.method == method.lower() and fault.times > 0:
                fault.times -= 1
                return fault
        return None

    async def _play_fault(self, request: web.Request, fault: Fault) -> web.Response:
        """Delays, answers with the fault's status, or drops the connection like a crash."""
        if fault.delay_s:
            await asyncio.sleep(fault.delay_s)
        if fault.reset and request.transport is not None:
            request.transport.abort()  # an RST-like close: no status line is ever written
            return web.Response(status=500)
        if fault.status is not None:
            body: dict[str, Any] = {"ok": False, "error_code": fault.status,
                                    "description": "Injected fault"}
            if fault.retry_after is not None:
                body["parameters"] = {"retry_after": fault.retry_after}
            self._status_counts[fault.status] += 1
            return web.json_response(body, status=fault.status)
        return await self._answer(request)

    def stats(self) -> dict[str, Any]:
        """Returns request counts: total, by method, by HTTP status, 429s and 403s."""
        return {
            "requests": len(self.calls),
            "by_method": dict(Counter(call.method for call in self.calls)),
            "by_status": dict(self._status_counts),
            "rate_limited": self._status_counts[429],
            "forbidden": self._status_counts[403],
            "messages_sent": sum(len(ids) for ids in self._sent_order.values()),
            "pending_updates": len(self._pending),
        }

    async def deliver_updates_to_webhook(
        self,
        url: str,
        *,
        secret_token: str | None,
        updates: list[dict[str, Any]],
        concurrency: int = 10,
    ) -> list[int]:
        """POSTs each update as JSON to url; returns HTTP statuses (0 = connection failed)."""
        semaphore = asyncio.Semaphore(concurrency)
        headers = {"X-Telegram-Bot-Api-Secret-Token": secret_token} if secret_token else {}
        for update in updates:
            update.setdefault("update_id", next(self._update_ids))

        async def post(session: aiohttp.ClientSession, update: dict[str, Any]) -> int:
            async with semaphore:
                try:
                    async with session.post(url, json=update, headers=headers) as response:
                        body = await response.read()
                        status = response.status
                except aiohttp.ClientError:
                    return 0
                if status == 200:
                    await self._execute_webhook_answer(body)
                return status

        async with aiohttp.ClientSession() as session:
            return list(await asyncio.gather(*(post(session, u) for u in updates)))

    async def _execute_webhook_answer(self, body: bytes) -> None:
        """Runs the Bot API method a webhook answered with, as Telegram does (errors unseen)."""
        try:
            params = json.loads(body) if body else None
        except ValueError:
            return
        if not isinstance(params, dict) or "method" not in params:
            return
        entry = self._handlers.get(str(params.pop("method")).lower())
        call = ApiCall(method=entry[0] if entry else "?", params=params,
                       chat_id=_as_chat_id(params.get("chat_id")), via_webhook_answer=True)
        self.calls.append(call)
        if entry is None:
            self.unexpected.append(call)
            return
        try:
            if call.method in _CHAT_WRITE_METHODS and call.chat_id is not None:
                self._check_chat_writable(call.chat_id)
            await _call_handler(entry[1], params)
            call.status = 200
        except _ApiError as err:  # Telegram reports nothing back for a failed webhook answer
            call.status, call.description = err.code, err.description
        self._status_counts[call.status] += 1
        self._touch()

    # ------------------------------------------------------------------ HTTP plumbing

    async def _handle_api(self, request: web.Request) -> web.Response:
        self._open_requests += 1
        self.peak_open_requests = max(self.peak_open_requests, self._open_requests)
        try:
            if self.latency_s:
                await asyncio.sleep(self.latency_s)
            fault = self._take_fault(request.match_info["method"]) if self._faults else None
            if fault is not None:
                return await self._play_fault(request, fault)
            return await self._answer(request)
        finally:
            self._open_requests -= 1

    async def _answer(self, request: web.Request) -> web.Response:
        params = await _read_params(request)
        chat_id = _as_chat_id(params.get("chat_id"))
        entry = self._handlers.get(request.match_info["method"].lower())
        method = entry[0] if entry else request.match_info["method"]
        call = ApiCall(method=method, params=params, chat_id=chat_id)
        self.calls.append(call)
        is_poll = method == "getUpdates"
        if not is_poll:
            self._in_flight += 1
        try:
            if request.match_info["token"] != self.token:
                raise _ApiError(401, "Unauthorized")
            if entry is None:
                self.unexpected.append(call)
                raise _ApiError(404, "Not Found")
            if method in _CHAT_WRITE_METHODS and chat_id is not None:
                self._check_chat_writable(chat_id)
            result = await _call_handler(entry[1], params)
            status, body = 200, {"ok": True, "result": result}
        except _ApiError as err:
            status = err.code
            body = {"ok": False, "error_code": err.code, "description": err.description}
            if err.parameters:
                body["parameters"] = err.parameters
            call.description = err.description
        finally:
            if not is_poll:
                self._in_flight -= 1
        call.status = status
        self._status_counts[status] += 1
        if not is_poll or body.get("result"):
            self._touch()
        return web.json_response(body, status=status)

    async def _handle_file(self, request: web.Request) -> web.Response:
        stored = self._files_by_path.get(request.match_info["path"])
        if request.match_info["token"] != self.token:
            return web.json_response(
                {"ok": False, "error_code": 401, "description": "Unauthorized"}, status=401
            )
        if stored is None:
            return web.json_response(
                {"ok": False, "error_code": 404, "description": "Not Found"}, status=404
            )
        return web.Response(body=stored.data, content_type="application/octet-stream")

    async def _handle_control_stats(self, request: web.Request) -> web.Response:
        return web.json_response(self.stats())

    async def _handle_control_updates(self, request: web.Request) -> web.Response:
        payload = await request.json()
        updates = payload if isinstance(payload, list) else [payload]
        return web.json_response([self.add_raw_update(update) for update in updates])

    async def _handle_control_user(self, request: web.Request) -> web.Response:
        actions: dict[str, Callable[..., dict[str, Any]]] = {
            "sends_text": self.user_sends_text,
            "presses_button": self.user_presses_button,
            "shares_contact": self.user_shares_contact,
        }
        action = actions.get(request.match_info["action"])
        if action is None:
            raise web.HTTPNotFound(text=f"actions: {sorted(actions)}")
        kwargs = await request.json()
        try:
            return web.json_response(action(**kwargs))
        except (TypeError, LookupError) as err:
            raise web.HTTPBadRequest(text=str(err)) from err

    def _touch(self) -> None:
        self._last_activity = time.monotonic()
        event, self._activity_event = self._activity_event, asyncio.Event()
        event.set()

    def _notify_updates(self) -> None:
        event, self._updates_event = self._updates_event, asyncio.Event()
        event.set()

    def _check_chat_writable(self, chat_id: int) -> None:
        if chat_id in self.blocked_chat_ids:
            raise _ApiError(403, "Forbidden: bot was blocked by the user")
        buckets = [b for b in (self._global_bucket, self._chat_bucket(chat_id)) if b is not None]
        wait = max((bucket.wait_time() for bucket in buckets), default=0.0)
        if wait > 0:
            retry_after = max(1, math.ceil(wait))
            raise _ApiError(
                429,
                f"Too Many Requests: retry after {retry_after}",
                {"retry_after": retry_after},
            )
        for bucket in buckets:
            bucket.take()

    def _chat_bucket(self, chat_id: int) -> _TokenBucket | None:
        if not self.per_chat_rate_per_s:
            return None
        if chat_id not in self._chat_buckets:
            self._chat_buckets[chat_id] = _TokenBucket.full(self.per_chat_rate_per_s)
        return self._chat_buckets[chat_id]

    # ------------------------------------------------------------------ users, chats, files

    def _user(
        self,
        chat_id: int,
        user_id: int | None,
        first_name: str | None = None,
        username: str | None = None,
    ) -> dict[str, Any]:
        chat = self._chat(chat_id, first_name, username)
        user: dict[str, Any] = {
            "id": chat_id if user_id is None else user_id,
            "is_bot": False,
            "first_name": chat["first_name"],
            "language_code": "id",
        }
        if chat.get("username"):
            user["username"] = chat["username"]
        return user

    def _chat(
        self, chat_id: int, first_name: str | None = None, username: str | None = None
    ) -> dict[str, Any]:
        chat = self._chats.setdefault(
            chat_id, {"id": chat_id, "type": "private", "first_name": first_name or "Budi"}
        )
        if first_name:
            chat["first_name"] = first_name
        if username:
            chat["username"] = username
        return chat

    def _user_message(
        self,
        chat_id: int,
        user_id: int | None,
        *,
        first_name: str | None = None,
        username: str | None = None,
    ) -> dict[str, Any]:
        sender = self._user(chat_id, user_id, first_name, username)
        return {
            "message_id": self._new_message_id(chat_id),
            "from": sender,
            "chat": dict(self._chat(chat_id)),
            "date": int(time.time()),
        }

    def _queue_message(self, message: dict[str, Any]) -> dict[str, Any]:
        self._messages[(message["chat"]["id"], message["message_id"])] = message
        return self.add_raw_update({"message": message})

    def _new_message_id(self, chat_id: int) -> int:
        self._next_message_id[chat_id] = self._next_message_id.get(chat_id, 0) + 1
        return self._next_message_id[chat_id]

    def _register_file(
        self, data: bytes, folder: str, suffix: str, prefix: str, size: int | None = None
    ) -> _StoredFile:
        n = next(self._ids)
        stored = _StoredFile(
            file_id=f"{prefix}AgADBQADq{n:07d}xkBAAIB",
            file_unique_id=f"AQAD{n:07d}",
            file_path=f"{folder}/file_{n}{suffix}",
            data=data,
            file_size=len(data) if size is None else size,
        )
        self._files[stored.file_id] = stored
        self._files_by_path[stored.file_path] = stored
        return stored

    def _photo_sizes(self, image: bytes, width: int, height: int) -> list[dict[str, Any]]:
        scale = THUMBNAIL_SIDE / max(width, height, 1)
        thumb_w, thumb_h = max(1, round(width * scale)), max(1, round(height * scale))
        thumb = self._register_file(_make_thumbnail(image), "photos", ".jpg", "AgAC")
        full = self._register_file(image, "photos", ".jpg", "AgAC")
        return [
            _photo_size(thumb, min(thumb_w, width), min(thumb_h, height)),
            _photo_size(full, width, height),
        ]

    def _log_text(self, chat_id: int) -> str:
        lines = [f"chat log of {chat_id}:"]
        for msg in self.chat_log(chat_id):
            markup = f" markup={json.dumps(msg.reply_markup)}" if msg.reply_markup else ""
            edited = " (edited)" if msg.edited else ""
            lines.append(f"  #{msg.message_id} [{msg.kind}]{edited} {msg.text!r}{markup}")
        if len(lines) == 1:
            lines.append("  (no bot messages)")
        return "\n".join(lines)

    # ------------------------------------------------------------------ Bot API methods

    def _method_table(self) -> dict[str, Callable[[dict[str, Any]], Awaitable[Any]]]:
        return {
            "getMe": self._get_me,
            "logOut": self._ok,
            "close": self._ok,
            "getUpdates": self._get_updates,
            "setWebhook": self._set_webhook,
            "deleteWebhook": self._delete_webhook,
            "getWebhookInfo": self._get_webhook_info,
            "sendMessage": self._send_message,
            "editMessageText": self._edit_message_text,
            "editMessageReplyMarkup": self._edit_message_reply_markup,
            "deleteMessage": self._delete_message,
            "answerCallbackQuery": self._answer_callback_query,
            "sendChatAction": self._send_chat_action,
            "getFile": self._get_file,
            "sendPhoto": self._send_photo,
            "sendDocument": self._send_document,
            "copyMessage": self._copy_message,
            "forwardMessage": self._forward_message,
            "setMyCommands": self._set_my_commands,
            "getMyCommands": self._get_my_commands,
            "deleteMyCommands": self._delete_my_commands,
            "getChat": self._get_chat,
            "setChatMenuButton": self._set_chat_menu_button,
            "getChatMenuButton": self._get_chat_menu_button,
        }

    async def _ok(self, params: dict[str, Any]) -> bool:
        return True

    async def _get_me(self, params: dict[str, Any]) -> dict[str, Any]:
        return {
            **self._bot_user(),
            "can_join_groups": True,
            "can_read_all_group_messages": False,
            "supports_inline_queries": False,
            "can_connect_to_business": False,
            "has_main_web_app": False,
        }

    def _bot_user(self) -> dict[str, Any]:
        return {
            "id": self.bot_id,
            "is_bot": True,
            "first_name": self.bot_first_name,
            "username": self.bot_username,
        }

    async def _get_updates(self, params: dict[str, Any]) -> list[dict[str, Any]]:
        if self.webhook_url:
            raise _ApiError(
                409,
                "Conflict: can't use getUpdates method while webhook is active; "
                "use deleteWebhook to delete the webhook first",
            )
        self._confirm(params.get("offset"))
        limit = min(max(int(params.get("limit") or 100), 1), 100)
        deadline = time.monotonic() + float(params.get("timeout") or 0)
        self._poll_generation += 1
        generation = self._poll_generation
        self._notify_updates()  # an older long poll is terminated, like Telegram does
        while True:
            if generation != self._poll_generation:
                raise _ApiError(
                    409,
                    "Conflict: terminated by other getUpdates request; "
                    "make sure that only one bot instance is running",
                )
            batch = self._pending[:limit]
            remaining = deadline - time.monotonic()
            if batch or self._closing or remaining <= 0:
                break
            event = self._updates_event
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(event.wait(), remaining)
        if batch:
            self._fetched_up_to = max(self._fetched_up_to, batch[-1]["update_id"])
        return batch

    def _confirm(self, offset: Any) -> None:
        if offset is None:
            return
        offset = int(offset)
        if offset > 0:
            self._pending = [u for u in self._pending if u["update_id"] >= offset]
        elif offset < 0:
            self._pending = self._pending[offset:]

    async def _set_webhook(self, params: dict[str, Any]) -> bool:
        url = params.get("url") or ""
        if url and not url.startswith(("https://", "http://")):
            raise _bad_request("bad webhook: An HTTPS URL must be provided for webhook")
        self.webhook_url = url
        self.webhook_secret_token = params.get("secret_token")
        self.webhook_allowed_updates = params.get("allowed_updates")
        if params.get("drop_pending_updates"):
            self._pending.clear()
        return True

    async def _delete_webhook(self, params: dict[str, Any]) -> bool:
        self.webhook_url = ""
        self.webhook_secret_token = None
        if params.get("drop_pending_updates"):
            self._pending.clear()
        return True

    async def _get_webhook_info(self, params: dict[str, Any]) -> dict[str, Any]:
        info: dict[str, Any] = {
            "url": self.webhook_url,
            "has_custom_certificate": False,
            "pending_update_count": len(self._pending),
        }
        if self.webhook_url:
            info["max_connections"] = 40
            if self.webhook_allowed_updates is not None:
                info["allowed_updates"] = self.webhook_allowed_updates
        return info

    async def _send_message(self, params: dict[str, Any]) -> dict[str, Any]:
        chat_id = _require_chat(params)
        text = str(params.get("text") or "")
        if not text.strip():
            raise _bad_request("message text is empty")
        rendered = _render(text, params.get("parse_mode"))
        if _utf16_len(rendered) > MAX_TEXT_LENGTH:
            raise _bad_request("message is too long")
        return self._store_bot_message(
            chat_id,
            params,
            kind="text",
            text=text,
            body={
                "text": rendered,
                **({"entities": params["entities"]} if params.get("entities") else {}),
            },
        )

    async def _send_photo(self, params: dict[str, Any]) -> dict[str, Any]:
        chat_id = _require_chat(params)
        photo = params.get("photo")
        if isinstance(photo, UploadedFile):
            sizes = self._photo_sizes(photo.data, 1280, 960)
        else:
            stored = self._lookup_sent_file(photo)
            sizes = [_photo_size(stored, 1280, 960)]
        body = {"photo": sizes, **self._caption_body(params)}
        return self._store_bot_message(
            chat_id,
            params,
            kind="photo",
            text=params.get("caption"),
            body=body,
            file_id=sizes[-1]["file_id"],
        )

    async def _send_document(self, params: dict[str, Any]) -> dict[str, Any]:
        chat_id = _require_chat(params)
        document = params.get("document")
        if isinstance(document, UploadedFile):
            name = document.filename or "document"
            stored = self._register_file(document.data, "documents", _suffix(name), "BQAC")
            mime = document.content_type or "application/octet-stream"
        else:
            stored = self._lookup_sent_file(document)
            name, mime = stored.file_path.rsplit("/", 1)[-1], "application/octet-stream"
        doc = {
            "file_id": stored.file_id,
            "file_unique_id": stored.file_unique_id,
            "file_name": name,
            "mime_type": mime,
            "file_size": stored.file_size,
        }
        body = {"document": doc, **self._caption_body(params)}
        return self._store_bot_message(
            chat_id,
            params,
            kind="document",
            text=params.get("caption"),
            body=body,
            file_id=stored.file_id,
            file_name=name,
        )

    def _caption_body(self, params: dict[str, Any]) -> dict[str, Any]:
        caption = params.get("caption")
        if caption is None:
            return {}
        rendered = _render(str(caption), params.get("parse_mode"))
        if _utf16_len(rendered) > MAX_CAPTION_LENGTH:
            raise _bad_request("message caption is too long")
        return {"caption": rendered}

    def _lookup_sent_file(self, ref: Any) -> _StoredFile:
        if isinstance(ref, str) and ref in self._files:
            return self._files[ref]
        if isinstance(ref, str) and ref.startswith(("http://", "https://")):
            return self._register_file(b"", "photos", _suffix(ref), "AgAC")
        raise _bad_request("wrong file identifier/HTTP URL specified")

    def _store_bot_message(
        self,
        chat_id: int,
        params: dict[str, Any],
        *,
        kind: str,
        text: str | None,
        body: dict[str, Any],
        file_id: str | None = None,
        file_name: str | None = None,
    ) -> dict[str, Any]:
        markup = params.get("reply_markup")
        _check_reply_markup(markup)
        message_id = self._new_message_id(chat_id)
        message: dict[str, Any] = {
            "message_id": message_id,
            "from": self._bot_user(),
            "chat": dict(self._chat(chat_id)),
            "date": int(time.time()),
            **body,
        }
        reply_to = self._reply_to(chat_id, params)
        if reply_to is not None:
            message["reply_to_message"] = reply_to
        if isinstance(markup, dict) and "inline_keyboard" in markup:
            message["reply_markup"] = markup
        key = (chat_id, message_id)
        self._messages[key] = message
        self._sent[key] = SentMessage(
            message_id=message_id,
            chat_id=chat_id,
            text=text,
            reply_markup=markup,
            parse_mode=params.get("parse_mode"),
            date=message["date"],
            edited=False,
            kind=kind,
            file_id=file_id,
            file_name=file_name,
        )
        self._sent_order.setdefault(chat_id, []).append(message_id)
        return message

    def _reply_to(self, chat_id: int, params: dict[str, Any]) -> dict[str, Any] | None:
        reply = params.get("reply_parameters")
        target = reply.get("message_id") if isinstance(reply, dict) else None
        target = target or params.get("reply_to_message_id")
        if target is None:
            return None
        found = self._messages.get((chat_id, int(target)))
        if found is None and not (
            isinstance(reply, dict) and reply.get("allow_sending_without_reply")
        ):
            raise _bad_request("message to be replied not found")
        return {k: v for k, v in found.items() if k != "reply_to_message"} if found else None

    def _editable(self, params: dict[str, Any]) -> tuple[tuple[int, int], dict[str, Any]]:
        if params.get("inline_message_id"):
            raise _bad_request("inline messages are not supported by the fake")
        chat_id = _require_chat(params)
        if params.get("message_id") is None:
            raise _bad_request("message identifier is not specified")
        key = (chat_id, int(params["message_id"]))
        message = self._messages.get(key)
        if message is None or key in self.deleted_messages:
            raise _bad_request("message to edit not found")
        if key not in self._sent:
            raise _bad_request("message can't be edited")
        return key, message

    async def _edit_message_text(self, params: dict[str, Any]) -> dict[str, Any]:
        key, message = self._editable(params)
        if "text" not in message:
            raise _bad_request("there is no text in the message to edit")
        text = str(params.get("text") or "")
        if not text.strip():
            raise _bad_request("message text is empty")
        rendered = _render(text, params.get("parse_mode"))
        markup = params.get("reply_markup")
        _check_reply_markup(markup)
        if rendered == message["text"] and markup == message.get("reply_markup"):
            raise _bad_request(
                "message is not modified: specified new message content and reply markup are "
                "exactly the same as a current content and reply markup of the message"
            )
        message["text"] = rendered
        if params.get("entities"):
            message["entities"] = params["entities"]
        else:
            message.pop("entities", None)
        self._apply_markup(message, markup)
        self._sent[key] = dataclasses.replace(
            self._sent[key],
            text=text,
            reply_markup=markup,
            parse_mode=params.get("parse_mode"),
            edited=True,
        )
        return message

    async def _edit_message_reply_markup(self, params: dict[str, Any]) -> dict[str, Any]:
        key, message = self._editable(params)
        markup = params.get("reply_markup")
        _check_reply_markup(markup)
        if markup == message.get("reply_markup"):
            raise _bad_request(
                "message is not modified: specified new message content and reply markup are "
                "exactly the same as a current content and reply markup of the message"
            )
        self._apply_markup(message, markup)
        self._sent[key] = dataclasses.replace(self._sent[key], reply_markup=markup, edited=True)
        return message

    def _apply_markup(self, message: dict[str, Any], markup: Any) -> None:
        message["edit_date"] = int(time.time())
        if isinstance(markup, dict) and "inline_keyboard" in markup:
            message["reply_markup"] = markup
        else:
            message.pop("reply_markup", None)

    async def _delete_message(self, params: dict[str, Any]) -> bool:
        chat_id = _require_chat(params)
        key = (chat_id, int(params.get("message_id") or 0))
        if key not in self._messages or key in self.deleted_messages:
            raise _bad_request("message to delete not found")
        self.deleted_messages.add(key)
        return True

    async def _answer_callback_query(self, params: dict[str, Any]) -> bool:
        query_id = str(params.get("callback_query_id") or "")
        if query_id not in self._open_callbacks:
            raise _bad_request(
                "query is too old and response timeout expired or query ID is invalid"
            )
        self._open_callbacks.discard(query_id)
        self.callback_answers[query_id] = dict(params)
        return True

    async def _send_chat_action(self, params: dict[str, Any]) -> bool:
        _require_chat(params)
        if not params.get("action"):
            raise _bad_request("action is empty")
        return True

    async def _get_file(self, params: dict[str, Any]) -> dict[str, Any]:
        stored = self._files.get(str(params.get("file_id") or ""))
        if stored is None:
            raise _bad_request("invalid file_id")
        if stored.file_size > MAX_DOWNLOAD_SIZE:
            raise _bad_request("file is too big")
        return {
            "file_id": stored.file_id,
            "file_unique_id": stored.file_unique_id,
            "file_size": stored.file_size,
            "file_path": stored.file_path,
        }

    async def _copy_message(self, params: dict[str, Any]) -> dict[str, Any]:
        chat_id, source, kind = self._source_message(params, "copy")
        body = {
            k: v
            for k, v in source.items()
            if k in ("text", "entities", "photo", "document", "contact", "caption")
        }
        text = source.get("text", source.get("caption"))
        if "caption" in params and kind in ("photo", "document"):
            body.update(self._caption_body(params))
            text = params.get("caption")
        message = self._store_bot_message(
            chat_id, params, kind=kind, text=text, body=body, **_file_of(source)
        )
        return {"message_id": message["message_id"]}

    async def _forward_message(self, params: dict[str, Any]) -> dict[str, Any]:
        chat_id, source, kind = self._source_message(params, "forward")
        body = {
            k: v
            for k, v in source.items()
            if k in ("text", "entities", "photo", "document", "contact", "caption")
        }
        body["forward_origin"] = {
            "type": "user",
            "sender_user": source["from"],
            "date": source["date"],
        }
        forwarded = {k: v for k, v in params.items() if k != "reply_markup"}
        return self._store_bot_message(
            chat_id,
            forwarded,
            kind=kind,
            text=source.get("text", source.get("caption")),
            body=body,
            **_file_of(source),
        )

    def _source_message(self, params: dict[str, Any], verb: str) -> tuple[int, dict[str, Any], str]:
        chat_id = _require_chat(params)
        from_chat = _as_chat_id(params.get("from_chat_id"))
        key = (from_chat or 0, int(params.get("message_id") or 0))
        source = self._messages.get(key)
        if source is None or key in self.deleted_messages:
            raise _bad_request(f"message to {verb} not found")
        kind = next((k for k in ("photo", "document", "contact") if k in source), "text")
        return chat_id, source, kind

    async def _set_my_commands(self, params: dict[str, Any]) -> bool:
        commands = params.get("commands")
        if not isinstance(commands, list):
            raise _bad_request("can't parse commands JSON object")
        self.commands[_commands_key(params)] = commands
        return True

    async def _get_my_commands(self, params: dict[str, Any]) -> list[dict[str, Any]]:
        return self.commands.get(_commands_key(params), [])

    async def _delete_my_commands(self, params: dict[str, Any]) -> bool:
        self.commands.pop(_commands_key(params), None)
        return True

    async def _get_chat(self, params: dict[str, Any]) -> dict[str, Any]:
        chat_id = _require_chat(params)
        return {
            **self._chat(chat_id),
            "accent_color_id": 0,
            "max_reaction_count": 11,
            "accepted_gift_types": {
                "unlimited_gifts": True,
                "limited_gifts": True,
                "unique_gifts": True,
                "premium_subscription": True,
                "gifts_from_channels": True,
            },
        }

    async def _set_chat_menu_button(self, params: dict[str, Any]) -> bool:
        button = params.get("menu_button") or {"type": "default"}
        self.menu_buttons[_as_chat_id(params.get("chat_id"))] = button
        return True

    async def _get_chat_menu_button(self, params: dict[str, Any]) -> dict[str, Any]:
        chat_id = _as_chat_id(params.get("chat_id"))
        return self.menu_buttons.get(chat_id, self.menu_buttons.get(None, {"type": "commands"}))


def _photo_size(stored: _StoredFile, width: int, height: int) -> dict[str, Any]:
    return {
        "file_id": stored.file_id,
        "file_unique_id": stored.file_unique_id,
        "file_size": stored.file_size,
        "width": width,
        "height": height,
    }


def _file_of(message: dict[str, Any]) -> dict[str, Any]:
    if "photo" in message:
        return {"file_id": message["photo"][-1]["file_id"]}
    if "document" in message:
        doc = message["document"]
        return {"file_id": doc["file_id"], "file_name": doc.get("file_name")}
    return {}


def _commands_key(params: dict[str, Any]) -> str:
    scope = params.get("scope") or {"type": "default"}
    return f"{json.dumps(scope, sort_keys=True)}|{params.get('language_code') or ''}"


def _suffix(name: str) -> str:
    tail = name.rsplit("/", 1)[-1]
    return f".{tail.rsplit('.', 1)[-1]}" if "." in tail else ""


def _as_chat_id(value: Any) -> int | None:
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int):
        return value
    with contextlib.suppress(ValueError):
        return int(str(value))
    return None


def _require_chat(params: dict[str, Any]) -> int:
    if params.get("chat_id") in (None, ""):
        raise _bad_request("chat_id is empty")
    chat_id = _as_chat_id(params["chat_id"])
    if chat_id is None or chat_id == 0:
        raise _bad_request("chat not found")
    return chat_id


async def _call_handler(
    handler: Callable[[dict[str, Any]], Awaitable[Any]], params: dict[str, Any]
) -> Any:
    """Returns the handler's result; malformed parameters become 400 like Telegram's."""
    try:
        return await handler(params)
    except (ValueError, TypeError, KeyError, AttributeError) as err:
        logger.debug("malformed parameters: %r", err)
        raise _bad_request(f"invalid parameters: {err}") from err


async def _read_params(request: web.Request) -> dict[str, Any]:
    """Returns query, JSON, urlencoded and multipart parameters merged and decoded."""
    raw: dict[str, Any] = dict(request.query)
    if request.content_type == "application/json" and request.can_read_body:
        with contextlib.suppress(ValueError):
            body = await request.json()
            if isinstance(body, dict):
                return {**raw, **body}
    elif request.can_read_body:
        form = await request.post()
        for key, value in form.items():
            if isinstance(value, web.FileField):
                raw[key] = UploadedFile(value.filename, value.content_type, value.file.read())
            else:
                raw[key] = value
    params = {
        key: _decode_form_value(key, value) if isinstance(value, str) else value
        for key, value in raw.items()
    }
    for key, value in list(params.items()):
        if isinstance(value, str) and value.startswith("attach://"):
            params[key] = params.get(value.removeprefix("attach://"), value)
    return params


async def _serve_forever(args: argparse.Namespace) -> None:
    blocked = [int(x) for x in args.blocked.split(",") if x.strip()] if args.blocked else []
    api = FakeBotApi(
        token=args.token,
        global_rate_per_s=args.rate,
        per_chat_rate_per_s=args.per_chat_rate,
        blocked_chat_ids=blocked,
        host=args.host,
        port=args.port,
    )
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    async with api:
        print(f"api_base_url={api.api_base_url}", flush=True)
        print(f"file_base_url={api.file_base_url}", flush=True)
        print(f"token={api.token}", flush=True)
        await stop.wait()
        print(json.dumps(api.stats()), flush=True)


def main(argv: list[str] | None = None) -> None:
    """Runs the fake server until SIGTERM/SIGINT, printing its base URLs and final stats."""
    parser = argparse.ArgumentParser(description="Fake Telegram Bot API server")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8081)
    parser.add_argument("--token", default="123456:TEST-TOKEN")
    parser.add_argument("--rate", type=float, default=None, help="global messages/s (429 beyond)")
    parser.add_argument("--per-chat-rate", type=float, default=None, help="per-chat messages/s")
    parser.add_argument("--blocked", default="", help="comma-separated chat ids that blocked us")
    asyncio.run(_serve_forever(parser.parse_args(argv)))


if __name__ == "__main__":
    main()
