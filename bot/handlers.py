"""Telegram handlers: turn an update into a conversation turn and send the replies."""

from __future__ import annotations

import contextlib
import logging
import traceback
from dataclasses import replace

from telegram import Update
from telegram.constants import ChatAction
from telegram.error import BadRequest, TelegramError
from telegram.ext import ContextTypes

from bot.delivery import CURRENT_DELIVERY
from bot.telegram_io import incoming_from_update, send_reply
from bot.turns import TurnRunner
from flows.messages import Incoming
from flows.registration_steps import TELEGRAM_DOWNLOAD_LIMIT
from flows.texts import text
from storage.inbox import Busy

logger = logging.getLogger(__name__)

RUNNER_KEY = "turn_runner"


async def on_update(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Runs the conversation for one update and delivers every reply in order."""
    incoming = incoming_from_update(update)
    chat = update.effective_chat
    if incoming is None or chat is None:
        return  # edited messages, channel posts and the like are ignored on purpose
    runner: TurnRunner = context.bot_data[RUNNER_KEY]
    if update.callback_query is not None:
        await _acknowledge(update)
    if incoming.kind in ("photo", "document"):
        incoming = await _with_ktp_report(incoming, runner, context, chat.id)
    delivery = CURRENT_DELIVERY.get()
    turn = await runner.run(chat.id, incoming,
                            journal=delivery.journal if delivery is not None else None)
    if turn.duplicate:
        return
    if delivery is not None:  # recorded with the turn; the inbox processor makes the calls
        delivery.turn = turn
        return
    for message_id in turn.delete_message_ids:
        await _delete_quietly(context, chat.id, message_id)
    for reply in turn.replies:
        await send_reply(context.bot, chat.id, reply)


async def _with_ktp_report(
    incoming: Incoming, runner: TurnRunner, context: ContextTypes.DEFAULT_TYPE, chat_id: int
) -> Incoming:
    """Fetches the photo (Telegram is our upload buffer) and checks it, when the step wants it."""
    too_big = (incoming.file_size or 0) > TELEGRAM_DOWNLOAD_LIMIT
    if too_big or incoming.file_id is None:
        return incoming
    if not await runner.at_photo_step(chat_id):
        return incoming
    if not runner.allow_photo_check(chat_id):
        return replace(incoming, throttled=True)
    await context.bot.send_chat_action(chat_id=chat_id, action=ChatAction.TYPING)
    try:
        telegram_file = await context.bot.get_file(incoming.file_id)
        data = bytes(await telegram_file.download_as_bytearray())
    except TelegramError as error:
        logger.warning("could not fetch a KTP photo: %s", type(error).__name__)
        return incoming
    report = await runner.inspect_ktp(
        data, source="photo" if incoming.kind == "photo" else "document"
    )
    return replace(incoming, ktp_report=report)


async def _acknowledge(update: Update) -> None:
    # Queries older than ~15 min cannot be answered; the turn still runs.
    with contextlib.suppress(BadRequest):
        await update.callback_query.answer()  # type: ignore[union-attr]


async def _delete_quietly(
    context: ContextTypes.DEFAULT_TYPE, chat_id: int, message_id: int
) -> None:
    try:
        await context.bot.delete_message(chat_id=chat_id, message_id=message_id)
    except TelegramError as error:
        logger.warning("could not delete a secret message: %s", type(error).__name__)


async def on_error(update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Logs where a handler failed (no message contents) and apologises to the user."""
    error = context.error
    delivery = CURRENT_DELIVERY.get()
    if delivery is not None:
        delivery.error = error  # the inbox processor retries, and apologises if it gives up
        if isinstance(error, Busy):
            return  # not a failure: an earlier update of the chat arrived, this one queues
    frames = traceback.extract_tb(error.__traceback__) if error else []
    where = " <- ".join(f"{f.filename.rsplit('/', 1)[-1]}:{f.lineno}:{f.name}" for f in frames[-4:])
    # The exception text is left out: database errors quote the values, which may be a NIK.
    logger.error("handler failed with %s at %s", type(error).__name__, where)
    if delivery is None and isinstance(update, Update) and update.effective_chat is not None:
        try:
            await context.bot.send_message(chat_id=update.effective_chat.id, text=text("error"))
        except TelegramError:
            logger.warning("could not send the apology either")
