"""Broadcasts: templates, audiences resolved in SQL, lifecycle, progress and the send queue.

Lifecycle: draft → (scheduled →) running ⇄ paused → done. Recipients are materialised as one
BroadcastRecipient row per chat when the broadcast starts running (for a scheduled one: when
it falls due), with one INSERT … SELECT, so the audience is counted at sending time.

Audiences: ``all`` (every active subscriber who did not opt out, plus those who opted into the
template's topic), ``registered``, ``not_registered`` (applicant registration completed or not),
``topic:T`` (only subscribers opted into topic T) and ``wave:N``. The waves tables belong to
another module, so ``wave:N`` is resolved by a provider: either one registered with
``register_audience_provider("wave", fn)`` or, lazily, ``actions.waves.broadcast_audience`` if
that module defines it. A provider takes the argument after the colon ("13") and returns a
``Select`` of one column of chat ids; the subscriber filters above are applied on top.
"""

from __future__ import annotations

import html
import importlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache
from pathlib import Path
from typing import Any

import yaml
from sqlalchemy import (
    ColumnElement,
    Select,
    and_,
    bindparam,
    delete,
    exists,
    func,
    insert,
    literal,
    or_,
    select,
    update,
)
from sqlmodel import Session, col

from actions.subscriptions import topic_pattern
from storage.models import Applicant, utcnow
from storage.models_broadcast import Broadcast, BroadcastRecipient, Subscriber

TEMPLATES_DIR = Path(__file__).resolve().parents[1] / "flows" / "announcements"
AUDIENCE_KINDS = ("all", "registered", "not_registered", "topic", "wave")
DIRECT_AUDIENCE = "direct"
AudienceProvider = Callable[[str], Select[Any]]
_providers: dict[str, AudienceProvider] = {}


class BroadcastError(ValueError):
    """A broadcast request that cannot be carried out (bad template, audience or state)."""


# --- templates ----------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class Template:
    """An announcement text with placeholders, loaded from flows/announcements/<id>.yml."""

    id: str
    text: str
    params: tuple[str, ...]
    topic: str | None = None
    description: str = ""
    transactional: bool = False

    @property
    def uses_name(self) -> bool:
        """Tells whether the text greets the recipient by name."""
        return "{name}" in self.text


@cache
def load_template(template_id: str) -> Template:
    """Returns the template `template_id`, raising BroadcastError if there is none."""
    path = TEMPLATES_DIR / f"{template_id}.yml"
    if template_id.startswith("_") or "/" in template_id or not path.is_file():
        raise BroadcastError(f"template tidak dikenal: {template_id}")
    with path.open(encoding="utf-8") as handle:
        data: dict[str, Any] = yaml.safe_load(handle)
    return Template(
        id=template_id, text=str(data["text"]).strip(), params=tuple(data.get("params", ())),
        topic=data.get("topic"), description=str(data.get("description", "")),
        transactional=bool(data.get("transactional", False)),
    )


def list_templates() -> list[str]:
    """Returns the ids of every announcement template."""
    return sorted(p.stem for p in TEMPLATES_DIR.glob("*.yml") if not p.stem.startswith("_"))


def render(template: Template, params: Mapping[str, Any], name: str | None = None) -> str:
    """Returns the message text with every value HTML-escaped; a missing name is left out."""
    values = {key: html.escape(str(value)) for key, value in params.items()}
    values["name"] = f" {html.escape(name)}" if name else ""
    try:
        return template.text.format(**values)
    except KeyError as missing:
        raise BroadcastError(f"parameter {missing} belum diisi") from missing


# --- audiences ----------------------------------------------------------------------------
def register_audience_provider(kind: str, provider: AudienceProvider) -> None:
    """Registers the resolver for audiences "kind:ARG" (used for wave:N by the waves module)."""
    _providers[kind] = provider


def _provider(kind: str) -> AudienceProvider:
    if kind not in _providers:
        try:
            module = importlib.import_module(f"actions.{kind}s")
        except ImportError:
            module = None
        found = getattr(module, "broadcast_audience", None)
        if found is None:
            raise BroadcastError(f"audiens {kind}:N belum tersedia (modul actions.{kind}s)")
        _providers[kind] = found
    return _providers[kind]


def parse_audience(audience: str) -> tuple[str, str]:
    """Returns (kind, argument) of an audience like "wave:13", raising on unknown kinds."""
    kind, _, argument = audience.strip().partition(":")
    if kind not in AUDIENCE_KINDS or bool(argument) != (kind in ("topic", "wave")):
        raise BroadcastError(f"audiens tidak dikenal: {audience} (pilihan: all, registered, "
                             "not_registered, topic:T, wave:N)")
    return kind, argument


def audience_query(audience: str, template: Template) -> Select[Any]:
    """Returns a SELECT of the chat ids that `audience` reaches for this template."""
    kind, argument = parse_audience(audience)
    reachable = col(Subscriber.active).is_(True)
    wants: ColumnElement[bool] = col(Subscriber.opted_out).is_(False)
    if template.topic:
        wants = or_(wants, col(Subscriber.topics).like(topic_pattern(template.topic)))
    query = select(col(Subscriber.chat_id)).where(reachable, wants)
    completed = exists().where(
        col(Applicant.chat_id) == col(Subscriber.chat_id),
        col(Applicant.registration_completed_at).is_not(None),
    )
    if kind == "registered":
        query = query.where(completed)
    elif kind == "not_registered":
        query = query.where(~completed)
    elif kind == "topic":
        query = select(col(Subscriber.chat_id)).where(
            reachable, col(Subscriber.topics).like(topic_pattern(argument)))
    elif kind == "wave":
        provided = _provider(kind)(argument).scalar_subquery()
        query = query.where(col(Subscriber.chat_id).in_(provided))
    return query


def count_audience(*, session: Session, audience: str, template: Template) -> int:
    """Returns how many chats the audience reaches right now."""
    subquery = audience_query(audience, template).subquery()
    return int(session.execute(select(func.count()).select_from(subquery)).scalar_one())


# --- lifecycle ----------------------------------------------------------------------------
def create_broadcast(
    *, session: Session, template: str, audience: str, params: Mapping[str, Any],
    created_by: str, scheduled_at: datetime | None = None,
) -> Broadcast:
    """Creates a draft after checking template, parameters and audience; nothing is sent."""
    loaded = load_template(template)
    missing = [name for name in loaded.params if name not in params]
    if missing:
        raise BroadcastError(f"parameter belum diisi: {', '.join(missing)}")
    render(loaded, params, "Budi")
    audience_query(audience, loaded)
    broadcast = Broadcast(template=template, audience=audience, params=dict(params),
                          created_by=created_by[:64], scheduled_at=scheduled_at)
    session.add(broadcast)
    session.flush()
    return broadcast


def _get(session: Session, broadcast_id: int) -> Broadcast:
    broadcast = session.get(Broadcast, broadcast_id)
    if broadcast is None:
        raise BroadcastError(f"pengumuman #{broadcast_id} tidak ada")
    return broadcast


def _move(session: Session, broadcast_id: int, source: tuple[str, ...], target: str) -> bool:
    # A guarded UPDATE, so two processes racing on the same broadcast cannot both win.
    result = session.execute(
        update(Broadcast)
        .where(col(Broadcast.id) == broadcast_id, col(Broadcast.status).in_(source))
        .values(status=target)
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


def _materialise(session: Session, broadcast: Broadcast, now: datetime) -> int:
    template = load_template(broadcast.template)
    chats = audience_query(broadcast.audience, template).subquery()
    rows = select(literal(broadcast.id), chats.c.chat_id, literal("pending"), literal(0))
    session.execute(insert(BroadcastRecipient).from_select(
        ["broadcast_id", "chat_id", "status", "attempts"], rows))
    total = session.execute(select(func.count()).where(
        col(BroadcastRecipient.broadcast_id) == broadcast.id)).scalar_one()
    broadcast.total, broadcast.started_at = int(total), now
    session.add(broadcast)
    return int(total)


def start_broadcast(
    *, session: Session, broadcast_id: int, now: datetime | None = None
) -> Broadcast:
    """Starts a draft: scheduled if its time lies ahead, else running with recipients listed."""
    now = now or utcnow()
    broadcast = _get(session, broadcast_id)
    if broadcast.scheduled_at is not None and broadcast.scheduled_at > now:
        if not _move(session, broadcast_id, ("draft",), "scheduled"):
            raise BroadcastError(f"pengumuman #{broadcast_id} sudah {broadcast.status}")
    elif _move(session, broadcast_id, ("draft",), "running"):
        _materialise(session, broadcast, now)
    else:
        raise BroadcastError(f"pengumuman #{broadcast_id} sudah {broadcast.status}")
    session.flush()
    session.refresh(broadcast)
    return broadcast


def activate_due(*, session: Session, now: datetime | None = None) -> list[int]:
    """Starts every scheduled broadcast whose time has come; returns their ids."""
    now = now or utcnow()
    due = [int(i or 0) for i in session.scalars(select(col(Broadcast.id)).where(
        col(Broadcast.status) == "scheduled", col(Broadcast.scheduled_at) <= now))]
    started = []
    for broadcast_id in due:
        if _move(session, broadcast_id, ("scheduled",), "running"):
            _materialise(session, _get(session, broadcast_id), now)
            started.append(broadcast_id)
    return started


def pause_broadcast(*, session: Session, broadcast_id: int) -> None:
    """Pauses a running or scheduled broadcast; senders stop claiming its recipients."""
    if not _move(session, broadcast_id, ("running", "scheduled"), "paused"):
        raise BroadcastError(f"pengumuman #{broadcast_id} tidak sedang berjalan")


def resume_broadcast(*, session: Session, broadcast_id: int) -> None:
    """Resumes a paused broadcast (recipients listed before keep their state)."""
    broadcast = _get(session, broadcast_id)
    target = "running" if broadcast.started_at is not None else "scheduled"
    if not _move(session, broadcast_id, ("paused",), target):
        raise BroadcastError(f"pengumuman #{broadcast_id} tidak sedang dijeda")


def create_notifications(
    *, session: Session, template: str, per_chat: Mapping[int, Mapping[str, Any]],
    created_by: str, params: Mapping[str, Any] | None = None, now: datetime | None = None,
) -> Broadcast:
    """Queues one personal message per chat (e.g. selection results) on the same sender.

    Opt-outs do not apply (it is the person's own result); chats that blocked the bot are
    skipped. Each chat's values override the common `params`.
    """
    now = now or utcnow()
    blocked = set(session.scalars(select(col(Subscriber.chat_id)).where(
        col(Subscriber.active).is_(False), col(Subscriber.chat_id).in_(list(per_chat)))).all())
    broadcast = Broadcast(template=load_template(template).id, audience=DIRECT_AUDIENCE,
                          params=dict(params or {}), created_by=created_by[:64],
                          status="running", started_at=now)
    session.add(broadcast)
    session.flush()
    rows = [{"broadcast_id": broadcast.id, "chat_id": chat_id, "params": dict(values),
             "status": "pending", "attempts": 0}
            for chat_id, values in per_chat.items() if chat_id not in blocked]
    if rows:
        session.execute(insert(BroadcastRecipient), rows)
    broadcast.total = len(rows)
    session.add(broadcast)
    return broadcast


def finish_completed(*, session: Session, now: datetime | None = None) -> list[int]:
    """Marks running broadcasts with nothing pending or in flight as done; returns their ids."""
    now = now or utcnow()
    open_rows = exists().where(
        col(BroadcastRecipient.broadcast_id) == col(Broadcast.id),
        col(BroadcastRecipient.status).in_(("pending", "sending")),
    )
    ids = [int(i or 0) for i in session.scalars(select(col(Broadcast.id)).where(
        col(Broadcast.status) == "running", ~open_rows))]
    if ids:
        session.execute(update(Broadcast).where(col(Broadcast.id).in_(ids),
                                                col(Broadcast.status) == "running")
                        .values(status="done", finished_at=now))
    return ids


# --- progress -----------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class Progress:
    """Where a broadcast stands: counts per recipient status, recent rate and ETA."""

    broadcast: Broadcast
    pending: int
    sending: int
    sent: int
    failed: int
    rate_per_s: float

    @property
    def remaining(self) -> int:
        """Returns recipients not yet sent or failed."""
        return self.pending + self.sending

    @property
    def eta(self) -> timedelta | None:
        """Returns the time left at the recent rate, or None when nothing is moving."""
        if self.remaining == 0:
            return timedelta(0)
        return timedelta(seconds=self.remaining / self.rate_per_s) if self.rate_per_s else None


def broadcast_progress(
    *, session: Session, broadcast_id: int, now: datetime | None = None, window_s: float = 30.0
) -> Progress:
    """Returns the counts of one broadcast and its send rate over the last `window_s` seconds."""
    now = now or utcnow()
    broadcast = _get(session, broadcast_id)
    mine = col(BroadcastRecipient.broadcast_id) == broadcast_id
    counts = dict(session.execute(select(col(BroadcastRecipient.status), func.count())
                                  .where(mine).group_by(col(BroadcastRecipient.status))).all())
    recent = session.execute(select(func.count()).where(
        mine, col(BroadcastRecipient.sent_at) >= now - timedelta(seconds=window_s))).scalar_one()
    return Progress(broadcast=broadcast, pending=counts.get("pending", 0),
                    sending=counts.get("sending", 0), sent=counts.get("sent", 0),
                    failed=counts.get("failed", 0), rate_per_s=int(recent) / window_s)


# --- the send queue (used by bot.broadcast_sender) ----------------------------------------
@dataclass(frozen=True, slots=True)
class Claimed:
    """A recipient row claimed by one sender, with what is needed to render its message."""

    id: int
    broadcast_id: int
    chat_id: int
    params: dict[str, Any] | None
    attempts: int = 0


def running_broadcasts(*, session: Session) -> list[Broadcast]:
    """Returns running broadcasts, oldest first (result notifications queue behind nothing)."""
    return list(session.scalars(select(Broadcast).where(col(Broadcast.status) == "running")
                             .order_by(col(Broadcast.id))).all())


def claim_batch(
    *, session: Session, broadcast_id: int, worker: str, limit: int, now: datetime
) -> list[Claimed]:
    """Moves up to `limit` pending rows to sending for `worker` and returns them.

    On PostgreSQL the rows are picked FOR UPDATE SKIP LOCKED, so concurrent senders take
    disjoint batches without waiting; SQLite serialises writers, with the same effect.
    """
    table = BroadcastRecipient.__table__  # type: ignore[attr-defined]
    picked = (select(table.c.id)
              .where(table.c.broadcast_id == broadcast_id, table.c.status == "pending")
              .order_by(table.c.id).limit(limit).with_for_update(skip_locked=True)
              .cte("picked"))
    # A CTE runs once; a plain IN (subquery … LIMIT) may be re-run by PostgreSQL and exceed it.
    result = session.execute(
        update(table).where(table.c.id.in_(select(picked.c.id)), table.c.status == "pending")
        .values(status="sending", claimed_by=worker, claimed_at=now)
        .returning(table.c.id, table.c.broadcast_id, table.c.chat_id, table.c.params,
                   table.c.attempts)
    )
    rows = [Claimed(id=r.id, broadcast_id=r.broadcast_id, chat_id=r.chat_id, params=r.params,
                    attempts=r.attempts) for r in result]
    return sorted(rows, key=lambda row: row.id)


def recipient_names(*, session: Session, chat_ids: list[int]) -> dict[int, str]:
    """Returns a first name per chat: Telegram's first name, else the applicant's full name."""
    names: dict[int, str] = {}
    for chat_id, full_name in session.execute(select(col(Applicant.chat_id),
                                                     col(Applicant.full_name))
                                              .where(col(Applicant.chat_id).in_(chat_ids))):
        if full_name:
            names[chat_id] = str(full_name).split()[0].title()
    for chat_id, first_name in session.execute(select(col(Subscriber.chat_id),
                                                      col(Subscriber.first_name))
                                               .where(col(Subscriber.chat_id).in_(chat_ids))):
        if first_name:
            names[chat_id] = str(first_name)
    return names


@dataclass(frozen=True, slots=True)
class Outcome:
    """What happened to one claimed row: sent, failed, retry (back to pending) or release."""

    id: int
    kind: str
    message_id: int | None = None
    error: str | None = None


def record_outcomes(
    *, session: Session, worker: str, outcomes: list[Outcome], now: datetime
) -> None:
    """Writes outcomes of rows this worker still holds (a row taken over elsewhere is left)."""
    table = BroadcastRecipient.__table__  # type: ignore[attr-defined]
    guard = and_(table.c.id == bindparam("rid"), table.c.claimed_by == worker,
                 table.c.status == "sending")
    done = [o for o in outcomes if o.kind in ("sent", "failed")]
    back = [o for o in outcomes if o.kind in ("retry", "release")]
    connection = session.connection()
    if done:
        connection.execute(
            update(table).where(guard).values(
                status=bindparam("st"), message_id=bindparam("mid"), error=bindparam("err"),
                sent_at=bindparam("at"), attempts=table.c.attempts + 1),
            [{"rid": o.id, "st": o.kind, "mid": o.message_id, "err": (o.error or None),
              "at": now if o.kind == "sent" else None} for o in done])
    if back:
        connection.execute(
            update(table).where(guard).values(
                status="pending", claimed_by=None, claimed_at=None, error=bindparam("err"),
                attempts=table.c.attempts + bindparam("inc")),
            [{"rid": o.id, "err": o.error, "inc": int(o.kind == "retry")} for o in back])


@dataclass(frozen=True, slots=True)
class InFlight:
    """A row left in `sending` by a sender that stopped (or by this one before a restart)."""

    id: int
    chat_id: int
    claimed_by: str
    message_id: int | None


def orphaned_claims(
    *, session: Session, worker: str, lease: timedelta, now: datetime, live: set[str],
    own: bool = True,
) -> list[InFlight]:
    """Returns rows in `sending` held by this worker (with `own`, after a restart) or by an
    expired lease of another worker. Workers named in `live` are running and are left alone.
    """
    table = BroadcastRecipient.__table__  # type: ignore[attr-defined]
    expired = and_(table.c.claimed_at < now - lease, table.c.claimed_by != worker)
    mine_or_expired = or_(table.c.claimed_by == worker, expired) if own else expired
    query = select(table.c.id, table.c.chat_id, table.c.claimed_by, table.c.message_id).where(
        table.c.status == "sending", mine_or_expired)
    rows = [InFlight(id=r.id, chat_id=r.chat_id, claimed_by=r.claimed_by or "",
                     message_id=r.message_id) for r in session.execute(query)]
    return [row for row in rows if row.claimed_by == worker or row.claimed_by not in live]


def adopt_claims(*, session: Session, worker: str, rows: list[InFlight], now: datetime) -> None:
    """Takes orphaned rows over for `worker`, so their outcomes can be recorded by it."""
    table = BroadcastRecipient.__table__  # type: ignore[attr-defined]
    session.connection().execute(
        update(table).where(table.c.id == bindparam("rid"), table.c.status == "sending",
                            table.c.claimed_by == bindparam("old"))
        .values(claimed_by=worker, claimed_at=now),
        [{"rid": row.id, "old": row.claimed_by} for row in rows])


def cancel_draft(*, session: Session, broadcast_id: int) -> bool:
    """Deletes a draft that was never started; returns False if it had moved on already."""
    result = session.execute(delete(Broadcast).where(col(Broadcast.id) == broadcast_id,
                                                     col(Broadcast.status) == "draft"))
    return bool(result.rowcount)  # type: ignore[attr-defined]
