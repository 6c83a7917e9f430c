"""/umumkan for PMO staff: a preview and an explicit confirm button before anything is sent.

Handlers run in group -1 and stop further handling, so the conversation never sees /umumkan
or the bc:* buttons. PMO users are the Telegram user ids in PMO_TELEGRAM_IDS (comma list).
"""

from __future__ import annotations

import asyncio
import contextlib
import shlex
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from sqlalchemy.engine import Engine
from telegram import Update
from telegram.error import BadRequest
from telegram.ext import (
    Application,
    ApplicationHandlerStop,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
)

from actions.broadcasts import (
    BroadcastError,
    cancel_draft,
    count_audience,
    create_broadcast,
    list_templates,
    load_template,
    render,
    start_broadcast,
)
from bot.handlers import RUNNER_KEY
from bot.telegram_io import send_kwargs
from flows.messages import Button, Reply
from flows.subscription_steps import subscription_text
from storage.db import session_scope
from storage.settings import get_settings

COMMAND = "umumkan"
CALLBACK_PATTERN = r"^bc:(ok|no):\d+$"
ENGINE_KEY = "broadcast_engine"
PMO_KEY = "pmo_telegram_ids"
SCHEDULE_PARAM = "jadwal"
WIB = timezone(timedelta(hours=7))


def parse_pmo_ids(raw: str) -> frozenset[int]:
    """Returns the Telegram user ids in a comma list such as "111, 222"."""
    return frozenset(int(part) for part in raw.replace(" ", "").split(",") if part.isdigit())


def register_broadcast_handlers(
    application: Application,  # type: ignore[type-arg]
    *, engine: Engine | None = None, pmo_ids: frozenset[int] | None = None,
) -> None:
    """Adds /umumkan and its confirm buttons; the engine defaults to the turn runner's."""
    if engine is not None:
        application.bot_data[ENGINE_KEY] = engine
    application.bot_data[PMO_KEY] = (
        pmo_ids if pmo_ids is not None else parse_pmo_ids(get_settings().pmo_telegram_ids))
    application.add_handler(CommandHandler(COMMAND, on_announce), group=-1)
    application.add_handler(CallbackQueryHandler(on_confirm, pattern=CALLBACK_PATTERN), group=-1)


def _engine(context: ContextTypes.DEFAULT_TYPE) -> Engine:
    engine = context.bot_data.get(ENGINE_KEY)
    if engine is None:
        engine = context.bot_data[RUNNER_KEY].conversation.engine
    return engine  # type: ignore[no-any-return]


def _is_pmo(update: Update, context: ContextTypes.DEFAULT_TYPE) -> bool:
    user = update.effective_user
    return user is not None and user.id in context.bot_data.get(PMO_KEY, frozenset())


async def _say(update: Update, context: ContextTypes.DEFAULT_TYPE, reply: Reply) -> None:
    if update.effective_chat is not None:
        await context.bot.send_message(chat_id=update.effective_chat.id, **send_kwargs(reply))


@dataclass(frozen=True, slots=True)
class Request:
    """A parsed /umumkan: template, audience, template values and an optional send time."""

    template: str
    audience: str
    params: dict[str, str]
    at: datetime | None


def parse_request(text: str) -> Request | None:
    """Returns the parsed command, or None when template or audience is missing."""
    try:
        words = shlex.split(text)[1:]
    except ValueError:
        return None
    if len(words) < 2:
        return None
    params = dict(word.split("=", 1) for word in words[2:] if "=" in word)
    raw_at = params.pop(SCHEDULE_PARAM, None)
    at = datetime.fromisoformat(raw_at) if raw_at else None
    if at is not None and at.tzinfo is None:
        at = at.replace(tzinfo=WIB)  # PMO writes times in WIB
    return Request(template=words[0], audience=words[1], params=params, at=at)


def _create_draft(engine: Engine, request: Request, created_by: str) -> tuple[int, str]:
    with session_scope(engine) as session:
        broadcast = create_broadcast(session=session, template=request.template,
                                     audience=request.audience, params=request.params,
                                     created_by=created_by, scheduled_at=request.at)
        template = load_template(request.template)
        count = count_audience(session=session, audience=request.audience, template=template)
        when = subscription_text("pmo_when", at=request.at.isoformat()) if request.at else ""
        header = subscription_text("pmo_preview", id=broadcast.id, template_id=request.template,
                                   audience=request.audience, count=count, when=when)
        # render() escapes the values itself, so its HTML goes in as it is.
        preview = render(template, broadcast.params, "Budi")
        return broadcast.id or 0, f"{header}\n{preview}\n{subscription_text('pmo_preview_footer')}"


async def on_announce(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Creates a draft from /umumkan and shows its preview with Kirim / Batal buttons."""
    if not _is_pmo(update, context):
        await _say(update, context, Reply(subscription_text("pmo_refused")))
        raise ApplicationHandlerStop
    text = update.effective_message.text if update.effective_message else ""
    request = parse_request(text or "")
    if request is None:
        usage = subscription_text("pmo_usage", templates=", ".join(list_templates()))
        await _say(update, context, Reply(usage))
        raise ApplicationHandlerStop
    user_id = update.effective_user.id if update.effective_user else 0
    try:
        broadcast_id, preview = await asyncio.to_thread(_create_draft, _engine(context), request,
                                         f"telegram:{user_id}")
    except (BroadcastError, ValueError) as error:
        await _say(update, context, Reply(subscription_text("pmo_invalid", error=str(error))))
        raise ApplicationHandlerStop from None
    buttons = (Button(subscription_text("pmo_confirm"), f"bc:ok:{broadcast_id}"),
               Button(subscription_text("pmo_cancel"), f"bc:no:{broadcast_id}"))
    await _say(update, context, Reply(preview, buttons=(buttons,)))
    raise ApplicationHandlerStop


def _decide(engine: Engine, broadcast_id: int, confirmed: bool) -> str:
    with session_scope(engine) as session:
        if not confirmed:
            if cancel_draft(session=session, broadcast_id=broadcast_id):
                return subscription_text("pmo_cancelled", id=broadcast_id)
            return subscription_text("pmo_stale", id=broadcast_id, status="dimulai")
        try:
            broadcast = start_broadcast(session=session, broadcast_id=broadcast_id)
        except BroadcastError:
            return subscription_text("pmo_stale", id=broadcast_id, status="diproses")
        if broadcast.status == "scheduled" and broadcast.scheduled_at is not None:
            at = broadcast.scheduled_at.astimezone(WIB).strftime("%d-%m-%Y %H:%M WIB")
            template = load_template(broadcast.template)
            count = count_audience(session=session, audience=broadcast.audience,
                                   template=template)
            return subscription_text("pmo_scheduled", id=broadcast_id, at=at, count=count)
        return subscription_text("pmo_started", id=broadcast_id, count=broadcast.total)


async def on_confirm(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Starts (Kirim) or drops (Batal) the previewed draft; only PMO users may press."""
    query = update.callback_query
    if query is None:
        return
    with contextlib.suppress(BadRequest):  # an old query cannot be answered; still decided
        await query.answer()
    if not _is_pmo(update, context):
        await _say(update, context, Reply(subscription_text("pmo_refused")))
        raise ApplicationHandlerStop
    _, verdict, raw_id = (query.data or "").split(":")
    answer = await asyncio.to_thread(_decide, _engine(context), int(raw_id), verdict == "ok")
    with contextlib.suppress(BadRequest):
        await query.edit_message_reply_markup(None)  # one press only
    await _say(update, context, Reply(answer))
    raise ApplicationHandlerStop

