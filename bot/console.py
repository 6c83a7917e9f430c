"""The console channel: the same conversation in a terminal, no Telegram token needed."""

from __future__ import annotations

import asyncio
import getpass
import html
import re
import sys
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from actions.outbox.kinds import TELEGRAM_MESSAGE
from bot.outbox_task import OutboxWorkerTask
from bot.turns import TurnRunner
from flows.messages import Button, Incoming, Reply
from storage.models import Outbox
from storage.settings import Settings

CONSOLE_HELP = (
    "Ketik jawaban Anda. Tombol dipilih dengan mengetik nomornya. "
    "/foto PATH mengirim foto KTP, /kontak NOMOR membagikan nomor HP, /keluar untuk berhenti."
)
SIMULATED_KINDS = {"email": "📧 Email", "sms": "📨 SMS"}
_TAG = re.compile(r"<[^>]+>")


def plain(text: str) -> str:
    """Returns Telegram HTML as terminal text."""
    return html.unescape(_TAG.sub("", text))


class ConsoleChat:
    """Reads lines, runs turns, prints replies, simulated emails and SMS."""

    def __init__(
        self,
        runner: TurnRunner,
        engine: Engine,
        *,
        chat_id: int = 1,
        read: Callable[[str], str] = input,
        write: Callable[[str], None] = print,
        settings: Settings | None = None,
        poll_seconds: float = 1.0,
    ) -> None:
        self.runner = runner
        self.engine = engine
        self.chat_id = chat_id
        self.read = read
        self.write = write
        self.settings = settings
        self.poll_seconds = poll_seconds
        self.buttons: list[Button] = []
        self.last_outbox_id = self._newest_outbox_id()

    async def run(self) -> None:
        """Chats until /keluar or end of input, delivering the outbox in the background."""
        self.write(CONSOLE_HELP)
        worker = OutboxWorkerTask(self.engine, self.settings) if self.settings else None
        watcher = asyncio.create_task(self._watch_outbox())
        if worker is not None:
            worker.start()
        try:
            await self.send(Incoming(kind="command", text="/start", first_name=""))
            await self._chat()
        finally:
            watcher.cancel()
            if worker is not None:
                await worker.stop()
            self._show_outbox()  # whatever was delivered while stopping

    async def _chat(self) -> None:
        while True:
            try:
                # Read in a thread: the outbox worker and the watcher run while the person types.
                line = await asyncio.to_thread(self._read_line)
            except EOFError:
                return
            if line.strip() in ("/keluar", "/exit", "/quit"):
                return
            incoming = self.incoming_from_line(line)
            if incoming is not None:
                await self.send(incoming)

    async def _watch_outbox(self) -> None:
        """Prints messages the worker sends to this chat later (delivery news, results, staff)."""
        while True:
            await asyncio.sleep(self.poll_seconds)
            self._show_outbox()

    def _read_line(self) -> str:
        step = self.runner.conversation.current_step(self.chat_id)
        if step is not None and step.secret and sys.stdin.isatty():
            return getpass.getpass("🔒 (tidak ditampilkan) > ")
        return self.read("> ")

    def incoming_from_line(self, line: str) -> Incoming | None:
        """Turns a typed line into an event: a numbered button, a file, a contact or text."""
        text = line.strip()
        if text.isdigit() and 1 <= int(text) <= len(self.buttons):
            return Incoming(kind="button", text=self.buttons[int(text) - 1].value)
        if text.startswith("/foto"):
            return self._photo(text.removeprefix("/foto").strip())
        if text.startswith("/kontak"):
            return Incoming(kind="contact", phone=text.removeprefix("/kontak").strip(),
                            contact_is_own=True)
        if text.startswith("/"):
            return Incoming(kind="command", text=text)
        return Incoming(kind="text", text=text)

    def _photo(self, path_text: str) -> Incoming | None:
        path = Path(path_text).expanduser()
        if not path.is_file():
            self.write(f"File tidak ditemukan: {path_text}")
            return None
        return Incoming(kind="document", file_id=f"file:{path.resolve()}",
                        file_size=path.stat().st_size, mime_type=None)

    async def send(self, incoming: Incoming) -> None:
        """Runs one turn and prints what came back."""
        if incoming.kind == "document" and incoming.file_id and self.runner.expects_photo(
            self.chat_id
        ):
            if not self.runner.allow_photo_check(self.chat_id):
                await self._deliver(replace(incoming, throttled=True))
                return
            path = Path(incoming.file_id.removeprefix("file:"))
            data = await asyncio.to_thread(path.read_bytes)
            report = await self.runner.inspect_ktp(data, source="document")
            incoming = replace(incoming, ktp_report=report)
        await self._deliver(incoming)

    async def _deliver(self, incoming: Incoming) -> None:
        turn = await self.runner.run(self.chat_id, incoming)
        if any(reply.buttons for reply in turn.replies):
            self.buttons = []  # numbers refer to the buttons of the newest turn that had any
        for reply in turn.replies:
            self.show(reply)
        self._show_outbox()

    def show(self, reply: Reply) -> None:
        """Prints a reply with its buttons numbered on from the turn's earlier replies."""
        self.write("\n🤖 " + plain(reply.text))
        flat = [button for row in reply.buttons for button in row]
        if flat:
            first = len(self.buttons) + 1
            self.buttons.extend(flat)
            self.write("   " + "   ".join(f"[{i}] {b.label}" for i, b in enumerate(flat, first)))
        if reply.photo:
            self.write(f"   (contoh foto: {reply.photo})")
        if reply.request_contact:
            self.write(f"   ({plain(reply.request_contact)}: ketik /kontak 08xxxxxxxxxx)")

    def _newest_outbox_id(self) -> int:
        with Session(self.engine) as session:
            newest = session.exec(select(Outbox.id).order_by(col(Outbox.id).desc())).first()
            return newest or 0

    def _show_outbox(self) -> None:
        with Session(self.engine) as session:
            rows = session.exec(
                select(Outbox).where(Outbox.chat_id == self.chat_id,
                                     col(Outbox.id) > self.last_outbox_id)
            ).all()
        for row in rows:
            self.last_outbox_id = max(self.last_outbox_id, row.id or 0)
            if row.kind in SIMULATED_KINDS:
                icon = SIMULATED_KINDS[row.kind]
                body = row.payload.get("body", "")
                self.write(f"\n{icon} (simulasi, ke {row.destination}):\n{body}")
            elif row.kind == TELEGRAM_MESSAGE:
                self.write("\n🔔 " + plain(str(row.payload.get("text", ""))))
