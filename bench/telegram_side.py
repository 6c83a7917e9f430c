"""Telegram's side of bench.load, in its own process: the fake Bot API and the simulated users.

bench.load starts `python -m bench.telegram_side`; it prints its URLs as one JSON line, then
runs JSON commands read from stdin (`calibrate`, `expect`, `phase`, `quit`), answering each
with one JSON line. Users arrive open-loop (Poisson, at a given rate, whatever the bot's
speed), each walks a script of turns with exponential think time between them, and waits for
the bot's answers like a person. Webhook updates are POSTed as Telegram does (retried until
200; a Bot API method in the webhook answer is executed, as Telegram executes it); in polling
mode they wait in getUpdates.

Per turn the expected answer count comes from a calibration user walking the same script alone.
A turn with no answer within --turn-timeout is lost; answers beyond the expected count are
duplicated; a burst (several updates at once) whose answers come back in another order is
reordered.
"""

from __future__ import annotations

import asyncio
import json
import os
import random
import re
import sys
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

from fakes.bot_api import FakeBotApi, SentMessage  # noqa: E402

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
NOTICE = "terkirim"  # the outbox worker's later "sent" notice is not a turn's answer
BURST = ["syarat ikut prakerja apa?", "kapan gelombang berikutnya?", "berapa insentifnya?"]

Updates = list[dict[str, Any]]
MakeTurn = Callable[["Telegram", int], Awaitable[Updates]]


@dataclass(frozen=True)
class Turn:
    """One thing a user does: one update, or a burst of several sent at once."""

    name: str
    make: MakeTurn
    burst: bool = False


def _nik(chat_id: int) -> str:
    return f"327301{(chat_id % 28) + 41:02d}0890{(chat_id % 9999) + 1:04d}"


def _text(text: str) -> MakeTurn:
    async def make(tg: Telegram, chat_id: int) -> Updates:
        return [tg.api.user_sends_text(chat_id, text)]
    return make


def _press(data: str | None = None) -> MakeTurn:
    """Presses `data` on the bot's last message (None: its first button)."""
    async def make(tg: Telegram, chat_id: int) -> Updates:
        last = tg.replies(chat_id)[-1]
        chosen = data or last.reply_markup["inline_keyboard"][0][0]["callback_data"]  # type: ignore[index]
        return [tg.api.user_presses_button(chat_id, chosen, message_id=last.message_id)]
    return make


def _burst(texts: list[str]) -> MakeTurn:
    async def make(tg: Telegram, chat_id: int) -> Updates:
        return [tg.api.user_sends_text(chat_id, text) for text in texts]
    return make


def registration_script(chat_id: int) -> list[Turn]:
    """Returns the 14 updates of one whole registration (argon2 and a KTP photo included)."""
    async def code(tg: Telegram, c: int) -> Updates:
        return [tg.api.user_sends_text(c, await asyncio.to_thread(tg.email_code, c))]

    async def photo(tg: Telegram, c: int) -> Updates:
        return [tg.api.user_sends_photo(c, tg.photo, width=1280, height=960)]

    async def contact(tg: Telegram, c: int) -> Updates:
        return [tg.api.user_shares_contact(c, f"+62812{c:08d}")]

    birth = f"{int(_nik(chat_id)[6:8]) - 40:02d}-08-1990"
    return [
        Turn("daftar", _text("/daftar")), Turn("name", _text("Siti Nurhaliza")),
        Turn("email", _text(f"siti{chat_id}@example.com")), Turn("code", code),
        Turn("password", _text("RahasiaKu2024")), Turn("nik", _text(_nik(chat_id))),
        Turn("birth", _text(birth)), Turn("address", _text("Jl. Merdeka 10 RT 1 RW 2, Bandung")),
        Turn("domicile", _press("s:domicile_same:yes")),
        Turn("education", _press("s:education:SMA/SMK")),
        Turn("employment", _press("s:employment_status:Korban PHK")),
        Turn("photo", photo), Turn("contact", contact),
        Turn("confirm", _press("s:summary:confirm")),
    ]


def chat_script(_chat_id: int) -> list[Turn]:
    """Returns 8 text and button turns: menu, FAQ questions (3 at once), a button, commands."""
    return [
        Turn("start", _text("/start")), Turn("faq", _text("berapa insentifnya?")),
        Turn("burst", _burst(BURST), burst=True), Turn("button", _press()),
        Turn("help", _text("/bantuan")), Turn("status", _text("/status")),
    ]


def echo_script(_chat_id: int) -> list[Turn]:
    """Returns 6 text turns (3 of them at once) for the floors, which only answer text."""
    return [Turn("hello", _text("halo")), Turn("faq", _text("berapa insentifnya?")),
            Turn("burst", _burst(BURST), burst=True), Turn("thanks", _text("terima kasih"))]


SCRIPTS: dict[str, Callable[[int], list[Turn]]] = {
    "registration": registration_script, "chat": chat_script, "echo": echo_script,
}


@dataclass
class Figures:
    """What one phase measured on Telegram's side."""

    updates: int = 0
    latencies: list[float] = field(default_factory=list)
    lost: int = 0
    duplicated: int = 0
    reordered: int = 0
    retries: int = 0
    users: int = 0
    completed: int = 0
    seconds: float = 0.0


@dataclass
class Expectation:
    """Per turn, how many answers the calibration user got; per burst text, its answer."""

    counts: list[int]
    answers: dict[str, str]


class Telegram:
    """The fake Bot API plus delivery: webhook POSTs with redelivery, or queued for polling."""

    def __init__(self, api: FakeBotApi) -> None:
        self.api = api
        self.webhook: str | None = None
        self.secret = ""
        self.database_url = ""
        self.http: aiohttp.ClientSession | None = None
        self.photo = b""
        self.retries = 0
        self._engine: Any = None

    def replies(self, chat_id: int) -> list[SentMessage]:
        """Returns the bot's messages to the chat that answer turns (notices left out)."""
        return [m for m in self.api.sent_messages(chat_id) if NOTICE not in (m.text or "")]

    async def deliver(self, updates: Updates) -> None:
        """Hands updates to the bot: POSTs them at once (webhook) or leaves them queued."""
        if self.webhook is not None:
            await asyncio.gather(*(self._post(update) for update in updates))

    async def _post(self, update: dict[str, Any]) -> None:
        assert self.http is not None and self.webhook is not None
        for attempt in range(300):
            try:
                async with self.http.post(self.webhook, json=update,
                                          headers={SECRET_HEADER: self.secret}) as response:
                    if response.status == 200:
                        await self._run_answer(await response.read())
                        return
            except (TimeoutError, aiohttp.ClientError):
                pass
            self.retries += 1  # Telegram redelivers until it gets a 200
            await asyncio.sleep(min(0.1 * (attempt + 1), 1.0))
        raise RuntimeError("update could not be delivered")

    async def _run_answer(self, body: bytes) -> None:
        """Executes the Bot API method a webhook answer may carry, as Telegram does."""
        if not body.strip():
            return
        call = json.loads(body)
        method = call.pop("method", None) if isinstance(call, dict) else None
        if method:
            assert self.http is not None
            url = f"{self.api.api_base_url}{self.api.token}/{method}"
            async with self.http.post(url, json=call) as response:
                await response.read()

    async def wait_replies(self, chat_id: int, seen: int, count: int,
                           within_s: float) -> tuple[float | None, list[SentMessage]]:
        """Waits for `count` new answers after `seen`; returns when the first came, and them."""
        deadline = time.monotonic() + within_s
        first: float | None = None
        while True:
            fresh = self.replies(chat_id)[seen:]
            if fresh and first is None:
                first = time.monotonic()
            if len(fresh) >= count or time.monotonic() >= deadline:
                return first, fresh
            await self.api.next_activity(min(0.5, max(0.0, deadline - time.monotonic())))

    def email_code(self, chat_id: int) -> str:
        """Returns the 6-digit code of the chat's newest email in the outbox (the user's inbox)."""
        from sqlalchemy import text

        from storage.db import make_engine

        self._engine = self._engine or make_engine(self.database_url)
        for _ in range(600):
            with self._engine.connect() as connection:
                row = connection.execute(text(
                    "select payload from outbox where chat_id=:c and kind='email' "
                    "order by id desc"), {"c": chat_id}).first()
            if row is not None:
                payload = row[0] if isinstance(row[0], dict) else json.loads(row[0])
                found = re.search(r"\d{6}", payload["body"])
                if found:
                    return found.group()
            time.sleep(0.05)
        raise RuntimeError("no email code")


class User:
    """One simulated person walking a script; records latency, loss, duplicates, order."""

    def __init__(self, tg: Telegram, chat_id: int, turns: list[Turn], figures: Figures,
                 think_s: float, timeout: float, rng: random.Random) -> None:
        self.tg, self.chat_id, self.turns, self.figures = tg, chat_id, turns, figures
        self.think_s, self.timeout, self.rng = think_s, timeout, rng
        self.expected_answers = 0  # what the turns tried so far should have brought

    async def walk(self, expected: Expectation | None) -> list[int]:
        """Walks the script; returns the answers per turn (for calibration)."""
        counts: list[int] = []
        seen = 0
        for index, turn in enumerate(self.turns):
            updates = await turn.make(self.tg, self.chat_id)
            want = expected.counts[index] if expected else 1
            self.expected_answers += want
            started = time.monotonic()
            await self.tg.deliver(updates)
            self.figures.updates += len(updates)
            first, fresh = await self.tg.wait_replies(self.chat_id, seen, want, self.timeout)
            if expected is None:  # calibration: let every answer of the turn arrive
                fresh = await self._settle(seen)
            if first is None:
                self.figures.lost += len(updates)
                return counts
            self.figures.latencies.append(first - started)
            if turn.burst and expected is not None and not _in_order(fresh, updates, expected):
                self.figures.reordered += 1
                _explain(self.chat_id, updates, fresh)
            seen += len(fresh) if expected is None else want
            counts.append(len(fresh))
            await asyncio.sleep(self.rng.expovariate(1 / self.think_s) if self.think_s else 0)
        self.figures.completed += 1
        return counts

    async def _settle(self, seen: int) -> list[SentMessage]:
        quiet_since, count = time.monotonic(), len(self.tg.replies(self.chat_id))
        while time.monotonic() - quiet_since < 0.4:
            await asyncio.sleep(0.05)
            now = len(self.tg.replies(self.chat_id))
            if now != count:
                quiet_since, count = time.monotonic(), now
        return self.tg.replies(self.chat_id)[seen:]


def _explain(chat_id: int, updates: Updates, fresh: list[SentMessage]) -> None:
    """With BENCH_VERBOSE set, shows a reordered burst: what was asked, what came back."""
    if os.environ.get("BENCH_VERBOSE"):
        asked = [(u["update_id"], u["message"]["text"]) for u in updates]
        answered = [(m.text or "")[:40] for m in fresh]
        print(f"reordered in chat {chat_id}: asked {asked}, answered {answered}",
              file=sys.stderr, flush=True)


def _in_order(fresh: list[SentMessage], updates: Updates, expected: Expectation) -> bool:
    """Tells whether a burst's answers came in the order of its updates."""
    asked = [u["message"]["text"] for u in updates]
    order = [asked.index(q) for m in fresh for q, a in expected.answers.items()
             if q in asked and m.text == a]
    return order == sorted(order)


async def calibrate(tg: Telegram, script: str, chat_id: int) -> Expectation:
    """Walks the script alone, then asks each burst text alone, and notes the answers."""
    turns = SCRIPTS[script](chat_id)
    user = User(tg, chat_id, turns, Figures(), 0.0, 60.0, random.Random(0))
    counts = await user.walk(None)
    if len(counts) != len(turns):
        raise RuntimeError(f"calibration of {script!r} stopped after {len(counts)} turns")
    answers: dict[str, str] = {}
    for question in BURST:  # asked one by one in the same chat, after the script
        seen = len(tg.replies(chat_id))
        await tg.deliver([tg.api.user_sends_text(chat_id, question)])
        await tg.wait_replies(chat_id, seen, 1, 60.0)
        fresh = await user._settle(seen)
        answers[question] = fresh[0].text or "" if fresh else ""
    if len(set(answers.values())) != len(BURST):
        raise RuntimeError("burst questions need distinct answers to check their order")
    return Expectation(counts=counts, answers=answers)


async def phase(tg: Telegram, command: dict[str, Any],
                expectations: dict[str, Expectation]) -> Figures:
    """Lets users arrive at `rate` per second until `users` came; waits until all are done.

    User i walks scripts[i % len(scripts)], so one phase can mix registrations and chat.
    """
    figures = Figures()
    rng = random.Random(command.get("seed", 1))
    scripts = command["scripts"]
    users: list[tuple[User, Expectation]] = []
    tasks: list[asyncio.Task[list[int]]] = []
    started = time.monotonic()
    for index in range(command["users"]):
        chat_id, name = command["first_chat"] + index, scripts[index % len(scripts)]
        user = User(tg, chat_id, SCRIPTS[name](chat_id), figures, command["think"],
                    command["timeout"], random.Random(rng.random()))
        users.append((user, expectations[name]))
        tasks.append(asyncio.create_task(user.walk(expectations[name])))
        await asyncio.sleep(rng.expovariate(command["rate"]))
    await asyncio.gather(*tasks)
    await _quiet(tg.api, 0.5)
    figures.seconds = time.monotonic() - started
    figures.users = command["users"]
    figures.duplicated = sum(max(0, len(tg.replies(u.chat_id)) - u.expected_answers)
                             for u, _ in users)
    figures.retries, tg.retries = tg.retries, 0
    return figures


async def _quiet(api: FakeBotApi, seconds: float, limit: float = 120.0) -> None:
    """Waits until the bot made no Bot API request for `seconds` (late duplicates show up)."""
    deadline = time.monotonic() + limit
    count, since = len(api.calls), time.monotonic()
    while time.monotonic() - since < seconds and time.monotonic() < deadline:
        await asyncio.sleep(0.1)
        if len(api.calls) != count:
            count, since = len(api.calls), time.monotonic()


async def serve(token: str) -> None:
    """Runs the fake and executes commands from stdin until `quit`."""
    import numpy as np
    from support import ktp_synth

    loop = asyncio.get_running_loop()
    async with FakeBotApi(token=token) as api, aiohttp.ClientSession(
        connector=aiohttp.TCPConnector(limit=500), timeout=aiohttp.ClientTimeout(total=60)
    ) as http:
        tg = Telegram(api)
        tg.http = http
        tg.photo = ktp_synth.jpeg(ktp_synth.good_scene(np.random.default_rng(5)))
        _answer({"api_base_url": api.api_base_url, "file_base_url": api.file_base_url})
        expectations: dict[str, Expectation] = {}
        while (line := await loop.run_in_executor(None, sys.stdin.readline)):
            command = json.loads(line)
            if command["cmd"] == "quit":
                return
            tg.webhook, tg.secret = command.get("webhook"), command.get("secret", "")
            tg.database_url = command.get("database_url", "")
            if command["cmd"] == "calibrate":
                found = await calibrate(tg, command["script"], command["first_chat"])
                expectations[command["script"]] = found
                _answer({"counts": found.counts, "answers": found.answers})
            elif command["cmd"] == "expect":  # calibrated in an earlier configuration
                expectations[command["script"]] = Expectation(command["counts"],
                                                              command["answers"])
                _answer({})
            else:
                figures = await phase(tg, command, expectations)
                _answer(figures.__dict__)


def _answer(payload: dict[str, Any]) -> None:
    print(json.dumps(payload), flush=True)


if __name__ == "__main__":
    asyncio.run(serve(sys.argv[1] if len(sys.argv) > 1 else "123456:LOAD-TOKEN"))
