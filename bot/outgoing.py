"""A turn's Telegram side as plain Bot API calls: recorded with the turn, made after the commit.

A call is a JSON dict in the shape Telegram accepts as a webhook answer ({"method": …, params}),
so the same record serves the reply-in-the-response, sending over the wire and re-sending after a
crash.
"""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path
from typing import Any

from telegram import (
    Bot,
    InlineKeyboardMarkup,
    LinkPreviewOptions,
    ReplyKeyboardMarkup,
    ReplyKeyboardRemove,
)
from telegram.constants import ParseMode
from telegram.error import BadRequest, Forbidden, RetryAfter

from bot.telegram_io import PHOTO_CAPTION, reply_markup
from flows.messages import Reply, Turn

logger = logging.getLogger(__name__)

Call = dict[str, Any]
Markup = InlineKeyboardMarkup | ReplyKeyboardMarkup | ReplyKeyboardRemove
IN_RESPONSE = frozenset({"sendMessage", "deleteMessage"})  # JSON-only methods (no uploads)


def calls_for(chat_id: int, turn: Turn) -> list[Call]:
    """Returns the calls a turn needs: deletions of secret messages first, then the replies."""
    calls: list[Call] = [{"method": "deleteMessage", "chat_id": chat_id, "message_id": message_id}
                         for message_id in turn.delete_message_ids]
    for reply in turn.replies:
        calls.append(message_call(chat_id, reply))
        if reply.photo is not None:
            calls.append({"method": "sendPhoto", "chat_id": chat_id, "photo_path": reply.photo,
                          "caption": PHOTO_CAPTION})
    return calls


def message_call(chat_id: int, reply: Reply) -> Call:
    """Returns the sendMessage call of one reply."""
    call: Call = {"method": "sendMessage", "chat_id": chat_id, "text": reply.text,
                  "parse_mode": ParseMode.HTML.value,
                  "link_preview_options": {"is_disabled": True}}
    markup = reply_markup(reply)
    if markup is not None:
        call["reply_markup"] = markup.to_dict()
    return call


def split_for_response(calls: list[Call]) -> tuple[list[Call], Call | None]:
    """Returns the calls to make first over the wire, and the last one to answer with."""
    if calls and calls[-1]["method"] in IN_RESPONSE:
        return calls[:-1], calls[-1]
    return calls, None


async def perform_all(bot: Bot, calls: list[Call]) -> None:
    """Makes the calls in order; a chat that blocked the bot or a gone message is skipped."""
    for call in calls:
        try:
            await _perform_with_retry(bot, call)
        except (Forbidden, BadRequest) as error:
            logger.warning("%s not delivered: %s", call["method"], type(error).__name__)


async def _perform_with_retry(bot: Bot, call: Call) -> None:
    try:
        await perform(bot, call)
    except RetryAfter as error:  # Telegram's flood control: wait as told, once
        await asyncio.sleep(_seconds(error.retry_after))
        await perform(bot, call)


async def perform(bot: Bot, call: Call) -> None:
    """Makes one recorded call through PTB."""
    method, chat_id = call["method"], call["chat_id"]
    if method == "deleteMessage":
        await bot.delete_message(chat_id=chat_id, message_id=call["message_id"])
    elif method == "sendPhoto":
        await bot.send_photo(chat_id=chat_id, photo=Path(call["photo_path"]),
                             caption=call.get("caption"))
    else:
        await bot.send_message(chat_id=chat_id, text=call["text"], parse_mode=call["parse_mode"],
                               reply_markup=_markup(call.get("reply_markup"), bot),
                               link_preview_options=LinkPreviewOptions(is_disabled=True))


def _markup(data: dict[str, Any] | None, bot: Bot) -> Markup | None:
    if data is None:
        return None
    if "inline_keyboard" in data:
        return InlineKeyboardMarkup.de_json(data, bot)
    if "keyboard" in data:
        return ReplyKeyboardMarkup.de_json(data, bot)
    return ReplyKeyboardRemove.de_json(data, bot)


def _seconds(retry_after: Any) -> float:
    return float(retry_after.total_seconds() if hasattr(retry_after, "total_seconds")
                 else retry_after)
