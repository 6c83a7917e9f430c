"""/dasbor in Telegram: a PMO user gets a single-use login link to the dashboard.

Registered in group -1 and stopping further handling, like /umumkan, so the conversation
never sees the command.
"""

from __future__ import annotations

from telegram import Update
from telegram.constants import ParseMode
from telegram.ext import Application, ApplicationHandlerStop, CommandHandler, ContextTypes

from bot.broadcast_commands import parse_pmo_ids
from bot.dashboard.auth import Signer, dashboard_secret, login_url
from bot.dashboard.pages import labels
from flows.texts import fill
from storage.settings import Settings

COMMAND = "dasbor"


def register_dashboard_handler(application: Application, *,  # type: ignore[type-arg]
                               settings: Settings) -> None:
    """Adds /dasbor for the Telegram user ids in PMO_TELEGRAM_IDS."""
    pmo_ids = parse_pmo_ids(settings.pmo_telegram_ids)
    signer = Signer(dashboard_secret(settings))

    async def on_dashboard(update: Update, _context: ContextTypes.DEFAULT_TYPE) -> None:
        """Sends a fresh login link to a PMO user, a refusal to anyone else."""
        message, user = update.effective_message, update.effective_user
        if message is None:
            raise ApplicationHandlerStop
        texts = labels()["telegram"]
        if user is None or user.id not in pmo_ids:
            await message.reply_text(texts["not_pmo"])
        elif not settings.dashboard_enabled:
            await message.reply_text(texts["disabled"])
        else:
            url = login_url(settings, signer, user.id)
            await message.reply_text(fill(texts["link"].strip(), url=url),
                                     parse_mode=ParseMode.HTML,
                                     disable_web_page_preview=True)
        raise ApplicationHandlerStop

    application.add_handler(CommandHandler(COMMAND, on_dashboard), group=-1)
