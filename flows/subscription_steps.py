"""Subscription steps of the conversation: /start asks (default on), /berhenti, /langganan, topics.

Wiring (flows.conversation): call `on_start(ctx)` inside the /start handler, map the commands
"berhenti" → `stop_announcements` and "langganan" → `manage_subscription`, the intent
subscribe_announcements → `subscribe_announcements`, and merge `subscription_button_actions()`
into the table of button values. Texts live in flows/announcements/_texts.yml.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from actions.subscriptions import (
    TOPICS,
    get_subscriber,
    set_opted_out,
    set_topic,
    subscribe,
    topic_list,
)
from flows.context import TurnContext
from flows.messages import Button, Incoming, Reply
from flows.texts import TextBook

TEXTS_FILE = Path(__file__).parent / "announcements" / "_texts.yml"
BUTTON_ON, BUTTON_OFF, BUTTON_KEEP = "sub:on", "sub:off", "sub:keep"
WAVE_TOPIC = "gelombang_dibuka"


_BOOK = TextBook(TEXTS_FILE)


def _texts() -> dict[str, Any]:
    return _BOOK.entries


def subscription_text(key: str, **values: object) -> str:
    """Returns the announcement/subscription text `key`, stripped and filled (HTML-escaped)."""
    return _BOOK.text(key, **values)


def topic_label(topic: str) -> str:
    """Returns the human label of a topic."""
    return str(_texts()["topics"].get(topic, topic))


def on_start(ctx: TurnContext, first_name: str = "") -> None:
    """Subscribes the chat to announcements; tells a new subscriber how to stop them."""
    _, created = subscribe(session=ctx.session, chat_id=ctx.chat_id, first_name=first_name or None,
                           now=ctx.now)
    if created:
        keep = Button(subscription_text("button_keep_on"), BUTTON_KEEP)
        off = Button(subscription_text("button_general_off"), BUTTON_OFF)
        ctx.say(Reply(subscription_text("subscribed_first"), buttons=((keep, off),)))


def stop_announcements(ctx: TurnContext, _incoming: Incoming | None = None) -> None:
    """Opts the chat out of general announcements (/berhenti)."""
    set_opted_out(session=ctx.session, chat_id=ctx.chat_id, opted_out=True, now=ctx.now)
    ctx.say(subscription_text("stopped"))


def resume_announcements(ctx: TurnContext, _incoming: Incoming | None = None) -> None:
    """Turns general announcements back on."""
    set_opted_out(session=ctx.session, chat_id=ctx.chat_id, opted_out=False, now=ctx.now)
    ctx.say(subscription_text("resumed"))


def subscribe_announcements(ctx: TurnContext, _incoming: Incoming | None = None) -> None:
    """Handles intent subscribe_announcements: remind this chat when a wave opens."""
    set_topic(session=ctx.session, chat_id=ctx.chat_id, topic=WAVE_TOPIC, enabled=True,
              now=ctx.now)
    ctx.say(subscription_text("subscribe_intent"))


def manage_subscription(ctx: TurnContext, _incoming: Incoming | None = None) -> None:
    """Shows the chat's subscription with buttons to change it (/langganan)."""
    subscriber = get_subscriber(session=ctx.session, chat_id=ctx.chat_id)
    if subscriber is None:
        subscriber, _ = subscribe(session=ctx.session, chat_id=ctx.chat_id, now=ctx.now)
    chosen = topic_list(subscriber)
    state = {True: subscription_text("state_on"), False: subscription_text("state_off")}
    lines = "\n".join(f"• {topic_label(t)}: {state[t in chosen]}" for t in TOPICS)
    general = Button(subscription_text("button_general_on"), BUTTON_ON) if subscriber.opted_out \
        else Button(subscription_text("button_general_off"), BUTTON_OFF)
    toggles = tuple(
        Button(subscription_text("button_topic_off" if t in chosen else "button_topic_on",
                                 topic=topic_label(t)),
               f"sub:{'off' if t in chosen else 'on'}:{t}")
        for t in TOPICS)
    ctx.say(Reply(subscription_text("manage", general=state[not subscriber.opted_out],
                                    topics=lines),
                  buttons=((general,), *((button,) for button in toggles))))


def _toggle_topic(topic: str, enabled: bool) -> Callable[[TurnContext, Incoming], None]:
    def toggle(ctx: TurnContext, _incoming: Incoming) -> None:
        set_topic(session=ctx.session, chat_id=ctx.chat_id, topic=topic, enabled=enabled,
                  now=ctx.now)
        ctx.say(subscription_text("topic_on" if enabled else "topic_off",
                                  topic=topic_label(topic)))
    return toggle


def subscription_button_actions() -> dict[str, Callable[[TurnContext, Incoming], None]]:
    """Returns button value → handler for the /langganan buttons (merge into the button table)."""
    actions: dict[str, Callable[[TurnContext, Incoming], None]] = {
        BUTTON_ON: resume_announcements, BUTTON_OFF: stop_announcements,
        BUTTON_KEEP: lambda ctx, _incoming: ctx.say(subscription_text("kept_on")),
    }
    for topic in TOPICS:
        actions[f"sub:on:{topic}"] = _toggle_topic(topic, True)
        actions[f"sub:off:{topic}"] = _toggle_topic(topic, False)
    return actions
