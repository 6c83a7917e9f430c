"""Staff training mode of the console (`prakerja chat --staff`): walk flows, preview replies,
look applicants up — the same desk as on Telegram, with the console user acting as staff."""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy.engine import Engine

from bot.console import plain
from flows.messages import Button, Reply
from flows.staff_desk import SEND_PREFIX, StaffDesk
from flows.staff_texts import staff_text
from flows.troubleshooting import CALLBACK_PREFIX, load_replies, reply_text
from storage.settings import Settings

EXIT_WORDS = ("/keluar", "/exit", "/quit")


class StaffConsole:
    """Reads staff commands, prints the desk's answers; numbered buttons are picked by number."""

    def __init__(
        self,
        desk: StaffDesk,
        *,
        user_id: int,
        read: Callable[[str], str] = input,
        write: Callable[[str], None] = print,
    ) -> None:
        self.desk = desk
        self.user_id = user_id
        self.read = read
        self.write = write
        self.buttons: list[Button] = []

    def run(self) -> None:
        """Runs until /keluar or end of input."""
        self.write(plain(staff_text("console_staff_help")))
        while True:
            try:
                line = self.read("petugas> ").strip()
            except EOFError:
                return
            if line in EXIT_WORDS:
                return
            self.handle(line)

    def handle(self, line: str) -> None:
        """Runs one typed line: a button number, a reply preview, or a staff command."""
        if line.isdigit() and 1 <= int(line) <= len(self.buttons):
            self._press(self.buttons[int(line) - 1].value)
        elif line in ("/bantuan", "/help"):
            self.write(plain(staff_text("staff_help")))
        elif line.startswith("/kirim ") and line.split()[1] in load_replies():
            self._preview(line.split()[1])
        elif line.startswith("/"):
            out = self.desk.command(user_id=self.user_id, chat_id=self.user_id, text=line)
            self._show([d.reply for d in out or [] if d.chat_id == self.user_id])
        elif line:
            self.write(plain(staff_text("console_staff_help")))

    def _press(self, value: str) -> None:
        if value.startswith(SEND_PREFIX):
            self._preview(value.removeprefix(SEND_PREFIX))
            return
        if value.startswith(CALLBACK_PREFIX):
            out = self.desk.press(user_id=self.user_id, chat_id=self.user_id, data=value)
            self._show([d.reply for d in out or [] if d.chat_id == self.user_id])

    def _preview(self, reply_id: str) -> None:
        # Training has no ticket: show what the applicant would receive.
        self.write("\n" + plain(staff_text("console_reply_preview", reply_id=reply_id)))
        self.write(plain(reply_text(reply_id)))

    def _show(self, replies: list[Reply]) -> None:
        self.buttons = []
        for reply in replies:
            self.write("\n🤖 " + plain(reply.text))
            flat = [button for row in reply.buttons for button in row]
            if flat:
                self.buttons = flat
                self.write("\n".join(f"   [{i}] {b.label}" for i, b in enumerate(flat, 1)))


def run_training(engine: Engine, settings: Settings, *, user_id: int) -> None:
    """Runs the staff console with the console user given the staff role for this session."""
    ids = ",".join(filter(None, (settings.staff_telegram_ids, str(user_id))))
    desk = StaffDesk(engine, settings.model_copy(update={"staff_telegram_ids": ids}))
    StaffConsole(desk, user_id=user_id).run()
