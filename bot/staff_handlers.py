"""Telegram side of the call-center desk: staff commands, /petugas, ticket relay and buttons.

The relay runs first (group -2): while a ticket is taken, the applicant's messages are copied to
the staff member and the staff member's plain messages to the applicant, and nothing else runs for
them — except while a troubleshooting action handed the applicant back to the bot for one numbered
step (actions/ticket_alerts.bot_has_turn): then their answers (an email, a code) reach the bot.
Commands and buttons run in group -1; a staff command from someone without a role is left to the
normal bot (group 0), so applicants get nothing beyond their own features.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from telegram import Update
from telegram.error import BadRequest, TelegramError
from telegram.ext import (
    Application,
    ApplicationHandlerStop,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    TypeHandler,
)

from actions.tickets import Route, log_event, route
from bot.handlers import RUNNER_KEY
from bot.telegram_io import send_reply
from flows.messages import Reply
from flows.staff_desk import (
    HANDOFF_COMMAND,
    RATE_PREFIX,
    SEND_PREFIX,
    STAFF_COMMANDS,
    Delivery,
    StaffDesk,
)
from flows.staff_texts import staff_text
from flows.troubleshooting import CALLBACK_PREFIX
from storage.db import session_scope
from storage.models import ProcessedUpdate
from storage.settings import Settings, get_settings

logger = logging.getLogger(__name__)

DESK_KEY = "staff_desk"
SETTINGS_KEY = "staff_settings"
RELAY_GROUP = -2
COMMAND_GROUP = -1
OUR_BUTTONS = (CALLBACK_PREFIX, RATE_PREFIX, SEND_PREFIX)
BUTTON_PATTERN = r"^(ts|rate|kirim):"


def register_staff_handlers(
    application: Application,  # type: ignore[type-arg]
    *, engine: Engine | None = None, settings: Settings | None = None,
) -> None:
    """Adds the relay (group -2) and the staff commands, /petugas and buttons (group -1)."""
    application.bot_data[SETTINGS_KEY] = settings or get_settings()
    if engine is not None:
        application.bot_data[DESK_KEY] = StaffDesk(engine, application.bot_data[SETTINGS_KEY])
    application.add_handler(TypeHandler(Update, on_relay), group=RELAY_GROUP)
    application.add_handler(CommandHandler(list(STAFF_COMMANDS), on_staff_command),
                            group=COMMAND_GROUP)
    application.add_handler(CommandHandler(HANDOFF_COMMAND, on_ask_for_person),
                            group=COMMAND_GROUP)
    application.add_handler(CallbackQueryHandler(on_button, pattern=BUTTON_PATTERN),
                            group=COMMAND_GROUP)


def _desk(context: ContextTypes.DEFAULT_TYPE) -> StaffDesk:
    desk = context.bot_data.get(DESK_KEY)
    if desk is None:  # built lazily from the turn runner's engine
        engine = context.bot_data[RUNNER_KEY].conversation.engine
        desk = StaffDesk(engine, context.bot_data.get(SETTINGS_KEY) or get_settings())
        context.bot_data[DESK_KEY] = desk
    return desk


async def _deliver(context: ContextTypes.DEFAULT_TYPE, deliveries: list[Delivery]) -> None:
    for delivery in deliveries:
        try:
            await send_reply(context.bot, delivery.chat_id, delivery.reply)
        except TelegramError as error:
            logger.warning("staff delivery failed: %s", type(error).__name__)


# --- relay -----------------------------------------------------------------------------------
def _claim(engine: Engine, update_id: int) -> bool:
    """Marks the update as handled; False when it was already (a redelivery)."""
    try:
        with session_scope(engine) as session:
            if session.get(ProcessedUpdate, update_id) is not None:
                return False
            session.add(ProcessedUpdate(update_id=update_id))
    except IntegrityError:
        return False
    return True


def _log_relay(engine: Engine, found: Route, message_id: int) -> None:
    with session_scope(engine) as session:
        kind = "relay_in" if found.from_applicant else "relay_out"
        staff = found.ticket.assigned_staff_id
        log_event(session=session, ticket=found.ticket, kind=kind, staff_id=staff,
                  detail=str(message_id))


def _route(engine: Engine, chat_id: int, button: str | None) -> Route | None:
    with session_scope(engine) as session:
        return route(session=session, chat_id=chat_id, button=button)


async def on_relay(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Copies messages between applicant and staff while a ticket is taken, and stops there."""
    chat = update.effective_chat
    if chat is None or (update.message is None and update.callback_query is None):
        return
    query = update.callback_query
    if query is not None and (query.data or "").startswith(OUR_BUTTONS):
        return
    engine = _desk(context).engine
    button = (query.data or "") if query is not None else None
    found = await asyncio.to_thread(_route, engine, chat.id, button)
    if found is None:
        return
    if query is not None:  # the applicant's old menu buttons stay quiet while a person helps
        if found.from_applicant:
            with contextlib.suppress(BadRequest):
                await query.answer()
            raise ApplicationHandlerStop
        return
    await _relay_message(update, context, found)


async def _relay_message(
    update: Update, context: ContextTypes.DEFAULT_TYPE, found: Route
) -> None:
    message = update.message
    assert message is not None
    if not found.from_applicant and (message.text or "").startswith("/"):
        return  # staff commands are not relayed
    engine = _desk(context).engine
    if not await asyncio.to_thread(_claim, engine, update.update_id):
        raise ApplicationHandlerStop
    try:
        await context.bot.copy_message(chat_id=found.to_chat_id, from_chat_id=message.chat_id,
                                       message_id=message.message_id)
    except TelegramError as error:
        logger.warning("relay of ticket %s failed: %s", found.ticket.id, type(error).__name__)
        if not found.from_applicant:
            await send_reply(context.bot, message.chat_id, Reply(staff_text("relay_failed")))
        raise ApplicationHandlerStop from None
    await asyncio.to_thread(_log_relay, engine, found, message.message_id)
    raise ApplicationHandlerStop


# --- commands and buttons -------------------------------------------------------------------
async def on_staff_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Runs a staff command for staff and PMO; anyone else falls through to the normal bot."""
    message, user = update.effective_message, update.effective_user
    if message is None or user is None or message.text is None:
        return
    deliveries = await asyncio.to_thread(
        _desk(context).command, user_id=user.id, chat_id=message.chat_id, text=message.text)
    if deliveries is None:
        return
    await _deliver(context, deliveries)
    raise ApplicationHandlerStop


async def on_ask_for_person(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Opens a ticket for /petugas and answers with the place in the queue."""
    chat = update.effective_chat
    if chat is None:
        return
    deliveries = await asyncio.to_thread(_desk(context).ask_for_person, chat_id=chat.id)
    await _deliver(context, deliveries)
    raise ApplicationHandlerStop


async def on_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Handles troubleshooting options, ratings and the staff's canned-reply keyboard."""
    query, chat = update.callback_query, update.effective_chat
    if query is None or chat is None:
        return
    with contextlib.suppress(BadRequest):  # an old query cannot be answered; still handled
        await query.answer()
    deliveries = await asyncio.to_thread(
        _desk(context).press, user_id=query.from_user.id, chat_id=chat.id, data=query.data or "")
    if deliveries is None:
        return
    if query.data and query.data.startswith((CALLBACK_PREFIX, RATE_PREFIX)):
        with contextlib.suppress(BadRequest):
            await query.edit_message_reply_markup(None)  # one press per question
    await _deliver(context, deliveries)
    raise ApplicationHandlerStop
