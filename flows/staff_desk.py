"""The call-center desk, channel-independent: staff commands and the buttons of tickets and walks.

Every call runs in one transaction and returns deliveries (chat id + reply), so Telegram and the
console training mode share it. Role checks happen here too: callers pass the user id.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy.engine import Engine
from sqlmodel import Session

from actions.lookup import ApplicantView, lookup, view_of
from actions.staff import Role, is_on_duty, on_duty_chats, role_of, set_duty, staff_name
from actions.ticket_alerts import reason_label, step_label
from actions.tickets import (
    Ticket,
    active_ticket_of_staff,
    close_ticket,
    get_ticket,
    handoff_text,
    hours_text,
    log_event,
    open_queue,
    queue_position,
    rate_ticket,
    take_ticket,
    taken_count,
    wait_text,
)
from flows.messages import Button, Reply
from flows.staff_texts import staff_entry, staff_label, staff_text
from flows.troubleshooting import (
    CALLBACK_PREFIX,
    WalkStep,
    choose,
    flow_titles,
    load_replies,
    load_trees,
    reply_text,
    result_reason_label,
    start_walk,
)
from flows.troubleshooting_actions import run_action
from flows.validators.nik import NIK_LENGTH, SEPARATORS
from storage.db import session_scope
from storage.models import ConversationState, utcnow
from storage.repositories import get_applicant
from storage.settings import Settings

STAFF_COMMANDS = ("antrian", "ambil", "selesai", "kirim", "alur", "cari", "tugas")
HANDOFF_COMMAND = "petugas"
RATE_PREFIX = "rate:"
SEND_PREFIX = "kirim:"
QUEUE_SHOWN = 15
TICKET_MARKERS = ("@tiket", "@ticket", "@")
DUTY_WORDS = {"on": True, "off": False, "mulai": True, "selesai": False, "ya": True,
              "tidak": False}


@dataclass(frozen=True, slots=True)
class Delivery:
    """A reply for one chat (the staff's own, or the applicant's)."""

    chat_id: int
    reply: Reply


@dataclass(slots=True)
class _Call:
    session: Session
    user_id: int
    chat_id: int
    role: Role
    args: list[str]
    out: list[Delivery]

    def say(self, text: str, buttons: tuple[tuple[Button, ...], ...] = ()) -> None:
        self.out.append(Delivery(self.chat_id, Reply(text, buttons=buttons)))


class StaffDesk:
    """Runs staff commands, ticket buttons and troubleshooting walks against the database."""

    def __init__(self, engine: Engine, settings: Settings) -> None:
        self.engine = engine
        self.settings = settings

    def role(self, user_id: int) -> Role | None:
        """Returns the user's staff role, or None for applicants."""
        with Session(self.engine) as session:
            return role_of(session=session, user_id=user_id, settings=self.settings)

    def command(self, *, user_id: int, chat_id: int, text: str) -> list[Delivery] | None:
        """Runs a staff command; None when the user has no role (the normal bot answers)."""
        words = text.split()
        name = words[0].lstrip("/").split("@", 1)[0].lower() if words else ""
        handlers: dict[str, Callable[[_Call], None]] = {
            "antrian": self._queue, "ambil": self._take, "selesai": self._close,
            "kirim": self._send, "alur": self._flow, "cari": self._lookup, "tugas": self._duty,
        }
        with session_scope(self.engine) as session:
            role = role_of(session=session, user_id=user_id, settings=self.settings)
            if role is None or name not in handlers:
                return None
            call = _Call(session, user_id, chat_id, role, words[1:], [])
            handlers[name](call)
            return call.out

    def ask_for_person(self, *, chat_id: int) -> list[Delivery]:
        """Opens a ticket for an applicant (/petugas) and tells their place in the queue."""
        with session_scope(self.engine) as session:
            message = handoff_text(session=session, chat_id=chat_id, reason="user_command",
                                   settings=self.settings)
        return [Delivery(chat_id, Reply(message))]

    def press(self, *, user_id: int, chat_id: int, data: str) -> list[Delivery] | None:
        """Handles a ts:/rate:/kirim: button; None when it is not one of ours to handle."""
        with session_scope(self.engine) as session:
            if data.startswith(CALLBACK_PREFIX):
                return self._walk(session, chat_id, data)
            if data.startswith(RATE_PREFIX):
                return self._rate(session, chat_id, data)
            if data.startswith(SEND_PREFIX):
                role = role_of(session=session, user_id=user_id, settings=self.settings)
                if role is None:
                    return None
                call = _Call(session, user_id, chat_id, role, [data.removeprefix(SEND_PREFIX)],
                             [])
                self._send(call)
                return call.out
        return None

    # --- queue and tickets ------------------------------------------------------------------
    def _queue(self, call: _Call) -> None:
        tickets = open_queue(session=call.session)
        if not tickets:
            call.say(staff_text("queue_empty"))
            return
        now = utcnow()
        lines = [staff_text("queue_title", count=len(tickets),
                            taken=taken_count(session=call.session))]
        lines += [staff_text("queue_line", ticket=t.id, reason=reason_label(t.reason),
                             minutes=int((now - t.created_at).total_seconds() // 60),
                             step=_step_of(call.session, t.chat_id))
                  for t in tickets[:QUEUE_SHOWN]]
        if len(tickets) > QUEUE_SHOWN:
            lines.append(staff_text("queue_more", count=len(tickets) - QUEUE_SHOWN))
        call.say("\n".join([*lines, "", staff_text("queue_hint")]))

    def _take(self, call: _Call) -> None:
        ticket_id = _number(call.args[0]) if call.args else None
        if ticket_id is None:
            call.say(staff_text("take_usage"))
            return
        outcome = take_ticket(session=call.session, ticket_id=ticket_id, staff_id=call.user_id,
                              staff_chat_id=call.chat_id)
        if outcome == "busy":
            busy = active_ticket_of_staff(session=call.session, staff_chat_id=call.chat_id)
            call.say(staff_text("take_busy", ticket=busy.id if busy else "?"))
            return
        if outcome != "taken":
            call.say(staff_text(f"take_{outcome}", ticket=ticket_id))
            return
        ticket = get_ticket(session=call.session, ticket_id=ticket_id)
        assert ticket is not None
        call.say(staff_text("take_ok", ticket=ticket_id) + self._context_of(call, ticket))
        name = staff_name(session=call.session, user_id=call.user_id) or staff_text(
            "staff_default_name")
        call.out.append(Delivery(ticket.chat_id, Reply(
            staff_text("applicant_connected", name=name, ticket=ticket_id))))

    def _context_of(self, call: _Call, ticket: Ticket) -> str:
        # Taking a ticket shows the applicant's masked progress, audited like a lookup.
        applicant = get_applicant(session=call.session, chat_id=ticket.chat_id)
        if applicant is None:
            return ""
        log_event(session=call.session, ticket=ticket, kind="viewed", staff_id=call.user_id)
        view = view_of(session=call.session, applicant=applicant)
        return "\n\n" + _view_text(view, _step_of(call.session, ticket.chat_id))

    def _close(self, call: _Call) -> None:
        ticket = close_ticket(session=call.session, staff_chat_id=call.chat_id)
        if ticket is None:
            call.say(staff_text("no_active_ticket"))
            return
        call.say(staff_text("close_ok", ticket=ticket.id))
        stars = tuple(Button(str(score), f"{RATE_PREFIX}{ticket.id}:{score}")
                      for score in range(1, 6))
        call.out.append(Delivery(ticket.chat_id, Reply(
            staff_text("applicant_closed", ticket=ticket.id), buttons=(stars,))))

    def _rate(self, session: Session, chat_id: int, data: str) -> list[Delivery]:
        raw_ticket, _, raw_score = data.removeprefix(RATE_PREFIX).partition(":")
        ticket_id, score = _number(raw_ticket), _number(raw_score)
        rated = None
        if ticket_id is not None and score is not None:
            rated = rate_ticket(session=session, ticket_id=ticket_id, chat_id=chat_id,
                                score=score)
        if rated is None:
            return [Delivery(chat_id, Reply(staff_text("rate_stale")))]
        out = [Delivery(chat_id, Reply(staff_text("rate_thanks", score=score)))]
        if rated.staff_chat_id is not None:
            out.append(Delivery(rated.staff_chat_id, Reply(
                staff_text("staff_rated", ticket=rated.id, score=score))))
        return out

    # --- canned replies and flows -------------------------------------------------------------
    def _send(self, call: _Call) -> None:
        replies = load_replies()
        if not call.args:
            rows = tuple((Button(reply_id, f"{SEND_PREFIX}{reply_id}"),) for reply_id in replies)
            call.say(staff_text("send_usage"), buttons=rows)
            return
        reply_id = call.args[0]
        if reply_id not in replies:
            call.say(staff_text("send_unknown", reply_id=reply_id))
            return
        ticket = active_ticket_of_staff(session=call.session, staff_chat_id=call.chat_id)
        if ticket is None:
            call.say(staff_text("no_active_ticket"))
            return
        call.out.append(Delivery(ticket.chat_id, Reply(reply_text(reply_id))))
        log_event(session=call.session, ticket=ticket, kind="canned", staff_id=call.user_id,
                  detail=reply_id)
        call.say(staff_text("send_ok", reply_id=reply_id, ticket=ticket.id))

    def _flow(self, call: _Call) -> None:
        if not call.args:
            listing = "\n".join(f"• {fid} — {title}" for fid, title in flow_titles().items())
            call.say(staff_text("flow_usage") + "\n" + listing)
            return
        flow_id = call.args[0]
        if flow_id not in load_trees():
            call.say(staff_text("flow_unknown", flow_id=flow_id))
            return
        target = _ticket_marker(call.args[1:])
        if target is None:
            step = start_walk(session=call.session, chat_id=call.chat_id, flow_id=flow_id)
            call.out += _step_deliveries(call.session, call.chat_id, step)
            return
        self._push_flow(call, flow_id, target)

    def _push_flow(self, call: _Call, flow_id: str, ticket_id: int) -> None:
        ticket = get_ticket(session=call.session, ticket_id=ticket_id)
        if ticket is None or ticket.status == "closed":
            call.say(staff_text("flow_ticket_closed", ticket=ticket_id))
            return
        step = start_walk(session=call.session, chat_id=ticket.chat_id, flow_id=flow_id,
                          ticket_id=ticket.id, pushed_by=call.chat_id)
        log_event(session=call.session, ticket=ticket, kind="flow", staff_id=call.user_id,
                  detail=flow_id)
        call.say(staff_text("flow_pushed", flow_id=flow_id, ticket=ticket.id))
        call.out += _step_deliveries(call.session, ticket.chat_id, step)

    def _walk(self, session: Session, chat_id: int, data: str) -> list[Delivery]:
        step = choose(session=session, chat_id=chat_id, data=data)
        if step is None:
            return [Delivery(chat_id, Reply(staff_text("flow_stale")))]
        out = _step_deliveries(session, chat_id, step)
        if step.finished and step.ticket_id is not None:
            out += self._walk_ended(session, step)
        return out

    def _walk_ended(self, session: Session, step: WalkStep) -> list[Delivery]:
        ticket = get_ticket(session=session, ticket_id=step.ticket_id or 0)
        if ticket is None:
            return []
        out: list[Delivery] = []
        if step.handoff and ticket.status == "open":
            position = queue_position(session=session, ticket_id=ticket.id)
            out.append(Delivery(ticket.chat_id, Reply(wait_text(
                session=session, settings=self.settings, position=position))))
        if step.pushed_by is not None:
            key = "flow_handoff_staff" if step.handoff else "flow_done_staff"
            out.append(Delivery(step.pushed_by, Reply(staff_text(
                key, ticket=ticket.id, flow_id=step.flow_id, node_id=_node_name(step)))))
        return out

    # --- lookup and duty ------------------------------------------------------------------------
    def _lookup(self, call: _Call) -> None:
        query = normalise_query(" ".join(call.args))
        if not query:
            call.say(staff_text("lookup_usage"))
            return
        views = lookup(session=call.session, query=query, actor_id=call.user_id,
                       actor_role=call.role)
        if not views:
            call.say(staff_text("lookup_none"))
            return
        body = "\n\n".join(_view_text(view, _step_of(call.session, view.chat_id))
                            for view in views)
        call.say(staff_text("lookup_title", count=len(views)) + "\n\n" + body)

    def _duty(self, call: _Call) -> None:
        wanted = DUTY_WORDS.get(call.args[0].lower()) if call.args else None
        hours = hours_text(self.settings)
        if wanted is not None:
            set_duty(session=call.session, user_id=call.user_id, chat_id=call.chat_id,
                     on_duty=wanted)
            call.say(staff_text("duty_on", hours=hours) if wanted else staff_text("duty_off"))
            return
        on = is_on_duty(session=call.session, user_id=call.user_id)
        count = len(on_duty_chats(session=call.session, settings=self.settings))
        call.say(staff_text("duty_status", status=staff_text("duty_word_on" if on else
                                                             "duty_word_off"),
                            count=count, hours=hours))


def normalise_query(query: str) -> str:
    """Returns the /cari term with a NIK's grouping (spaces, dots, dashes) taken out."""
    term = query.strip()
    compact = SEPARATORS.sub("", unicodedata.normalize("NFKC", term))  # as the NIK step reads it
    return compact if len(compact) == NIK_LENGTH and compact.isdigit() else term


def _step_deliveries(session: Session, chat_id: int, step: WalkStep) -> list[Delivery]:
    """Returns what arriving at a node sends: in an applicant's chat the bot's own action runs
    first; in a staff chat (a caller on the phone) the action is described instead."""
    if step.action is None:
        return [Delivery(chat_id, step.reply)]
    label = staff_label("action_labels", step.action)
    if step.ticket_id is None:
        note = staff_text("flow_action_caller", flow_id=step.flow_id, action=label)
        return [Delivery(chat_id, Reply(f"{step.reply.text}\n\n{note}",
                                        buttons=step.reply.buttons))]
    replies = run_action(session=session, chat_id=chat_id, name=step.action, now=utcnow(),
                         ticket_id=step.ticket_id)
    out = [Delivery(chat_id, reply) for reply in replies] + [Delivery(chat_id, step.reply)]
    if step.pushed_by is not None:
        out.append(Delivery(step.pushed_by, Reply(staff_text(
            "flow_action_staff", ticket=step.ticket_id, action=label))))
    return out


def _node_name(step: WalkStep) -> str:
    """Returns the end node as staff read it: the agency's label, or the node id in words."""
    node = load_trees()[step.flow_id].nodes[step.node_id]
    return result_reason_label(node.reason) if node.reason else node.id.replace("_", " ")


def _step_of(session: Session, chat_id: int) -> str:
    return step_label(session.get(ConversationState, chat_id),
                      get_applicant(session=session, chat_id=chat_id))


def _number(raw: str) -> int | None:
    digits = raw.lstrip("#")
    return int(digits) if digits.isdigit() else None


def _ticket_marker(args: list[str]) -> int | None:
    """Returns N of "@tiketN" / "@ticketN" / "@N" / "@tiket N", if given."""
    joined = "".join(args).lower()
    for marker in TICKET_MARKERS:
        if joined.startswith(marker):
            return _number(joined.removeprefix(marker))
    return None


def _ktp_label(status: str) -> str:
    labels = staff_entry("ktp_labels")
    return str(labels.get(status, labels["other"]))


def _view_text(view: ApplicantView, step: str) -> str:
    yes, no = staff_text("word_yes"), staff_text("word_no")
    result = staff_label("result_labels", view.result)
    if view.reasons:
        result += f" ({', '.join(result_reason_label(code) for code in view.reasons)})"
    return staff_text(
        "lookup_entry", name=view.name, chat_id=view.chat_id, nik=view.nik_masked,
        phone=view.phone_masked, email=view.email_masked, step=step,
        email_ok=yes if view.email_verified else no, ktp=_ktp_label(view.ktp_status),
        phone_ok=yes if view.phone_verified else no, done=yes if view.registration_done else no,
        wave=view.wave if view.wave is not None else staff_text("word_none"), result=result,
        tickets=", ".join(f"#{t}" for t in view.open_tickets) or staff_text("word_none"),
    )
