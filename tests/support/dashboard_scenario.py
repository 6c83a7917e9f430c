"""A scripted set of registrations, driven through the real conversation and turn runner."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.engine import Engine
from support.applicant_data import ANSWERS, good_ktp_report, latest_code, photocopy_ktp_jpeg

from actions.analytics import TALLY
from actions.ktp import check_ktp
from bot.turns import TurnRunner
from flows.conversation import Conversation
from flows.faq_responder import FaqResponder
from flows.messages import Incoming
from nlu import embedded_parser
from storage.settings import Settings

PMO = 700001
CITIZEN = 700002
COMPLETE, STOPPED_AT_NIK = 12, 10
# Kota Bandung (32 73), a woman born 5 Aug 1990; the serial makes each NIK distinct.
NIK_PREFIX = "327301450890"


@dataclass(frozen=True, slots=True)
class Scenario:
    """What the scripted registrations did, to compare with the dashboard."""

    complete: int
    stopped_at_nik: int
    ktp_refusal_codes: tuple[str, ...]

    @property
    def started(self) -> int:
        """Returns how many chats began registering."""
        return self.complete + self.stopped_at_nik


class Driver:
    """Sends one chat's messages through the turn runner, as the Telegram handler does."""

    def __init__(self, runner: TurnRunner, engine: Engine) -> None:
        self.runner = runner
        self.engine = engine

    async def say(self, chat: int, value: str) -> None:
        """Sends a text (or a /command)."""
        kind = "command" if value.startswith("/") else "text"
        await self.runner.run(chat, Incoming(kind=kind, text=value))

    async def press(self, chat: int, value: str) -> None:
        """Presses a button."""
        await self.runner.run(chat, Incoming(kind="button", text=value))

    async def until_nik(self, chat: int) -> None:
        """Registers name, email (verified) and password; the chat is then asked for its NIK."""
        await self.say(chat, "/start")
        await self.press(chat, "menu:register")
        await self.say(chat, ANSWERS["full_name"])
        await self.say(chat, f"orang{chat}@example.com")
        await self.say(chat, latest_code(self.engine, chat_id=chat, kind="email"))
        await self.say(chat, ANSWERS["password"])

    async def complete(self, chat: int, serial: int, *, refused_photo: Incoming | None) -> None:
        """Registers every step and confirms; optionally sends a refused KTP photo first."""
        await self.until_nik(chat)
        await self.say(chat, f"{NIK_PREFIX}{serial:04d}")
        await self.say(chat, ANSWERS["birth_date"])
        await self.say(chat, ANSWERS["kk_number"])
        await self.say(chat, ANSWERS["address"])
        await self.press(chat, "s:domicile_same:yes")
        await self.press(chat, "s:education:SMA/SMK")
        await self.press(chat, "s:employment_status:Korban PHK")
        if refused_photo is not None:
            await self.runner.run(chat, refused_photo)
        await self.runner.run(chat, Incoming(kind="photo", file_id=f"AgAD{chat}",
                                             file_size=150_000, ktp_report=good_ktp_report()))
        await self.runner.run(chat, Incoming(kind="contact", phone=f"+62812345{chat:05d}",
                                             contact_is_own=True))
        await self.press(chat, "s:summary:confirm")


async def run_scenario(engine: Engine) -> Scenario:
    """Registers COMPLETE people fully and leaves STOPPED_AT_NIK after a too-short NIK."""
    TALLY.clear()
    conversation = Conversation(engine, free_text=FaqResponder())
    runner = TurnRunner(conversation, nlu=embedded_parser())
    driver = Driver(runner, engine)
    refused_report = check_ktp(photocopy_ktp_jpeg(), source="photo")
    refused = Incoming(kind="photo", file_id="AgADcopy", file_size=120_000,
                       ktp_report=refused_report)
    try:
        for index in range(COMPLETE):
            await driver.complete(1000 + index, index + 1,
                                  refused_photo=refused if index == 0 else None)
        for index in range(STOPPED_AT_NIK):
            await driver.until_nik(2000 + index)
            await driver.say(2000 + index, "12345")
        await driver.say(3000, "zxqv blorp wibble")  # not understood: "Maksud Anda …?"
    finally:
        runner.close()
    TALLY.flush(engine)
    codes = tuple(problem.code for problem in refused_report.problems)
    return Scenario(complete=COMPLETE, stopped_at_nik=STOPPED_AT_NIK, ktp_refusal_codes=codes)


def dashboard_settings() -> Settings:
    """Returns settings for a dashboard that lets PMO in and counts idle chats at once."""
    return Settings(pmo_telegram_ids=str(PMO), dashboard_secret="test-dashboard-secret",
                    dashboard_give_up_minutes=0, dashboard_refresh_seconds=0,
                    dashboard_host="127.0.0.1", dashboard_port=0)
