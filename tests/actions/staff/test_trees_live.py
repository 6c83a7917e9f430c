"""The troubleshooting trees against the live registration conversation: every button a tree
names is offered by the bot at that step, every phrase it quotes is a text the bot sends, and
every path, pushed to a real applicant's chat, runs its actions with the bot's own steps."""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select
from support.applicant_data import ANSWERS, latest_code
from support.conversation_driver import Clock, press, register_until, step_of, text

from actions.tickets import route
from flows.bot_references import REFERENCE
from flows.conversation import Conversation
from flows.messages import Reply
from flows.staff_desk import Delivery, StaffDesk
from flows.troubleshooting import Tree, leaf_paths, load_replies, load_trees
from storage.db import make_engine
from storage.migrate import upgrade
from storage.models import Applicant, ConversationState, Outbox
from storage.models_waves import BasicTestAttempt
from storage.settings import Settings

ROOT = Path(__file__).resolve().parents[3]
STAFF = 9001
TREES = load_trees()
QUOTE = re.compile(r"“([^”]+)”")
TEXT_FILES = ("flows/texts/common.yml", "flows/texts/validation.yml", "flows/texts/results.yml",
              "flows/texts/waves.yml", "flows/texts/staff.yml", "flows/test.yml",
              "flows/registration.yml", "actions/ktp/problems.yml", "actions/outbox/messages.yml")
# Where each tree's applicant stands when staff push it: the step before it is answered.
CONTEXT: dict[str, str] = {
    "email_verifikasi_tidak_masuk": "email", "otp_tidak_masuk": "typed_phone",
    "ktp_gagal": "employment_status", "nik_tidak_valid": "password",
    "nik_sudah_dipakai": "password", "lupa_password": "summary",
    "ganti_hp_email": "summary", "tes_gagal": "summary", "tidak_lolos_seleksi": "summary",
}


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Engine, Conversation]]:
    """Yields one migrated database and the live conversation on it, for this module."""
    url = f"sqlite:///{tmp_path_factory.mktemp('live') / 'live.db'}"
    upgrade(url)
    engine = make_engine(url)
    yield engine, Conversation(engine, clock=Clock())
    engine.dispose()


def _strings(node: Any) -> Iterator[str]:
    if isinstance(node, str):
        yield node
    elif isinstance(node, dict):
        for value in node.values():
            yield from _strings(value)
    elif isinstance(node, list):
        for value in node:
            yield from _strings(value)


def _normal(raw: str) -> str:
    plain = html.unescape(re.sub(r"<[^>]+>", "", re.sub(r"\{[a-z_]+\}", "…", raw)))
    return " ".join(plain.replace('"', "“").split())


def bot_corpus() -> str:
    """Returns every text the bot can send, placeholders shown as "…", tags and spacing gone."""
    texts = [s for path in TEXT_FILES
             for s in _strings(yaml.safe_load((ROOT / path).read_text(encoding="utf-8")))]
    return "\n".join(_normal(t) for t in texts)


def _at_step(conv: Conversation, engine: Engine, chat: int, context: str) -> list[Reply]:
    """Answers the registration correctly up to `context` (a typed phone for `typed_phone`);
    returns the bot's prompt of the step reached."""
    if context == "reset":  # a confirmed account asking for a new kata sandi
        register_until(conv, engine, "summary", chat)
        replies = press(conv, "account:edit:password", chat).replies
        assert step_of(engine, chat) == "reset_code"
        return replies
    if context == "typed_phone":
        register_until(conv, engine, "ktp_photo", chat)
        text(conv, ANSWERS["phone"], chat)
        assert step_of(engine, chat) == "phone_code"
        return _offered(conv, chat)
    register_until(conv, engine, context, chat)
    return _offered(conv, chat)


@contextmanager
def applicant_at(
    conv: Conversation, engine: Engine, chat: int, context: str,
) -> Iterator[list[Reply]]:
    """Registers a live applicant up to `context` (yielding the step's prompt), and erases them
    afterwards with /hapusdata (one NIK belongs to one chat, so the next may use it again)."""
    try:
        yield _at_step(conv, engine, chat, context)
    finally:
        text(conv, "/hapusdata", chat)
        press(conv, "delete:yes", chat)


def _offered(conv: Conversation, chat: int) -> list[Reply]:
    """Returns the bot's prompt of the chat's current step, as /daftar shows it again
    (before the registration is confirmed)."""
    return text(conv, "/daftar", chat).replies


def _step_refs() -> set[tuple[str, str]]:
    """Returns the (step, value) of every button the trees and canned replies name."""
    texts = [node.text for tree in TREES.values() for node in tree.nodes.values()]
    texts += [reply.text for reply in load_replies().values()]
    return {(m[2].partition(":")[0], m[2].partition(":")[2])
            for text_ in texts for m in REFERENCE.finditer(text_) if m[1] == "button"}


# The context that brings a chat to each step a reference can name.
REACH = {"email_code": "email", "phone": "ktp_photo", "phone_code": "typed_phone",
         "summary": "phone", "reset_code": "reset"}


@pytest.mark.parametrize(("step", "value"), sorted(_step_refs()))
def test_every_button_a_tree_names_is_offered_live(
    live: tuple[Engine, Conversation], step: str, value: str,
) -> None:
    engine, conv = live
    chat = 7000 + sorted(_step_refs()).index((step, value))
    with applicant_at(conv, engine, chat, REACH[step]) as replies:
        assert step_of(engine, chat) == step
    if value == "contact":
        contact = conv.flow.step(step).setting("contact_button")
        assert contact in [r.request_contact for r in replies]
        return
    pressed = {b.value: b.label for r in replies for row in r.buttons for b in row}
    assert f"s:{step}:{value}" in pressed, f"{step} offers no button {value!r}"


def test_every_quoted_phrase_is_a_text_the_bot_sends() -> None:
    corpus = bot_corpus()
    quotes = [(tree.id, node.id, q) for tree in TREES.values() for node in tree.nodes.values()
              for q in QUOTE.findall(node.text)]
    assert len(quotes) >= 15  # the trees quote the bot instead of paraphrasing it
    for flow_id, node_id, quote in quotes:
        assert _normal(quote) in corpus, f"{flow_id}.{node_id} quotes {quote!r}"


def test_a_misquote_would_be_caught() -> None:
    assert _normal("Klik tautan konfirmasinya") not in bot_corpus()
    assert _normal("Kode sudah kedaluwarsa") in bot_corpus()


def _desk(engine: Engine) -> StaffDesk:
    return StaffDesk(engine, Settings(staff_telegram_ids=str(STAFF)))


def _outbox_count(engine: Engine, chat: int, kind: str) -> int:
    with Session(engine) as session:
        rows = session.exec(select(Outbox).where(col(Outbox.chat_id) == chat,
                                                 col(Outbox.kind) == kind)).all()
    return len(rows)


def _state(engine: Engine, chat: int) -> ConversationState:
    with Session(engine) as session:
        state = session.get(ConversationState, chat)
    assert state is not None
    return state


def _confirmed(engine: Engine, chat: int) -> bool:
    with Session(engine) as session:
        found = session.exec(select(Applicant).where(col(Applicant.chat_id) == chat)).one()
    return found.registration_completed_at is not None


def _prompt_line(conv: Conversation, step: str) -> str:
    first = conv.flow.step(step).prompt.strip().splitlines()[0]
    return first.split("{", 1)[0].strip()


def _check_action(
    name: str, engine: Engine, conv: Conversation, chat: int, said: str, before: dict[str, int],
) -> None:
    """Asserts the bot's own action really ran in the applicant's chat."""
    state = _state(engine, chat)
    if name in ("resend_email_code", "resend_sms_code"):
        kind, step = (("email", "email_code") if name == "resend_email_code"
                      else ("sms", "phone_code"))
        assert state.step == step
        assert _outbox_count(engine, chat, kind) > before[kind] or "Tunggu" in said
    elif name.startswith("ask_"):
        step = name.removeprefix("ask_")
        if step == "password" and _confirmed(engine, chat):  # a reset: the email code first
            step = "reset_code"
            assert _outbox_count(engine, chat, "email") > before["email"]
        assert state.step == step and state.flow == "registration"
        assert _prompt_line(conv, step) in said
    elif name == "resume_registration":
        assert _prompt_line(conv, state.step or "") in said
    elif name == "show_status":
        assert "Status pendaftaran" in said
    elif name == "show_result":
        assert "belum bergabung ke gelombang" in said
    elif name == "start_test":
        with Session(engine) as session:
            attempt = session.exec(select(BasicTestAttempt).where(
                col(BasicTestAttempt.chat_id) == chat)).first()
        assert attempt is not None and "Soal 1/" in said
    else:  # pragma: no cover - a new action needs its check here
        raise AssertionError(f"no check for action {name!r}")


def _texts_to(out: list[Delivery], chat: int) -> str:
    return "\n".join(d.reply.text for d in out if d.chat_id == chat)


def _walk_path(
    tree: Tree, path: list[int], engine: Engine, conv: Conversation, chat: int,
) -> set[str]:
    """Pushes the tree to a live applicant and presses the path; returns the actions run."""
    with applicant_at(conv, engine, chat, CONTEXT[tree.id]):
        return _pushed_walk(tree, path, engine, conv, chat)


def _pushed_walk(
    tree: Tree, path: list[int], engine: Engine, conv: Conversation, chat: int,
) -> set[str]:
    desk = _desk(engine)
    desk.ask_for_person(chat_id=chat)
    queue = desk.command(user_id=STAFF, chat_id=STAFF, text="/antrian") or []
    ticket = int(re.findall(r"#(\d+)", _texts_to(queue, STAFF))[-1])
    desk.command(user_id=STAFF, chat_id=STAFF, text=f"/ambil {ticket}")
    before = {k: _outbox_count(engine, chat, k) for k in ("email", "sms")}
    out = desk.command(user_id=STAFF, chat_id=STAFF, text=f"/alur {tree.id} @tiket{ticket}") or []
    node_id, ran = tree.start, set()
    for index in [*path, None]:
        node = tree.nodes[node_id]
        said = _texts_to(out, chat)
        if node.action is not None:
            _check_action(node.action, engine, conv, chat, said, before)
            ran.add(node.action)
            assert "asisten menjalankan" in _texts_to(out, STAFF)
        if index is None:
            break
        buttons = [b for d in out if d.chat_id == chat for row in d.reply.buttons for b in row
                   if b.value.startswith("ts:")]
        assert buttons[index].label == node.options[index].label
        before = {k: _outbox_count(engine, chat, k) for k in ("email", "sms")}
        out = desk.press(user_id=chat, chat_id=chat, data=buttons[index].value) or []
        node_id = node.options[index].next
    assert "menyelesaikan alur" in _texts_to(out, STAFF) or "memilih bicara" in _texts_to(
        out, STAFF)
    desk.command(user_id=STAFF, chat_id=STAFF, text="/selesai")
    return ran


@pytest.mark.parametrize("flow_id", sorted(TREES))
def test_every_path_pushed_to_a_live_applicant_runs_its_actions(
    live: tuple[Engine, Conversation], flow_id: str,
) -> None:
    engine, conv = live
    tree = TREES[flow_id]
    ran: set[str] = set()
    base = 10_000 + sorted(TREES).index(flow_id) * 1000
    for number, path in enumerate(leaf_paths(tree)):
        ran |= _walk_path(tree, path, engine, conv, base + number)
    assert ran == {n.action for n in tree.nodes.values() if n.action is not None}


def test_a_step_asked_for_the_staff_takes_the_applicants_answer_not_the_relay(
    live: tuple[Engine, Conversation],
) -> None:
    engine, conv = live
    chat, desk = 20_001, _desk(engine)
    with applicant_at(conv, engine, chat, "email"):  # waiting for the email code
        _handed_back_to_the_bot(engine, conv, chat, desk)


def _handed_back_to_the_bot(engine: Engine, conv: Conversation, chat: int, desk: StaffDesk) -> None:
    desk.ask_for_person(chat_id=chat)
    queue = desk.command(user_id=STAFF, chat_id=STAFF, text="/antrian") or []
    ticket = int(re.findall(r"#(\d+)", _texts_to(queue, STAFF))[-1])
    desk.command(user_id=STAFF, chat_id=STAFF, text=f"/ambil {ticket}")
    with Session(engine) as session:
        assert route(session=session, chat_id=chat) is not None  # a chat with the person
    out = desk.command(user_id=STAFF, chat_id=STAFF,
                       text=f"/alur email_verifikasi_tidak_masuk @tiket{ticket}") or []
    wrong_address = next(b for d in out for row in d.reply.buttons for b in row
                         if b.label == "Alamatnya salah ketik")
    desk.press(user_id=chat, chat_id=chat, data=wrong_address.value)
    with Session(engine) as session:
        assert route(session=session, chat_id=chat) is None  # the bot asks the email step
        assert route(session=session, chat_id=STAFF) is not None  # staff still reach them
    emails = _outbox_count(engine, chat, "email")
    conv.clock.now += timedelta(minutes=2)  # type: ignore[attr-defined]  # past the resend wait
    turn = text(conv, "siti.baru@example.com", chat)
    assert "Kami sudah mengirim kode 6 angka" in "\n".join(r.text for r in turn.replies)
    assert step_of(engine, chat) == "email_code"
    assert _outbox_count(engine, chat, "email") == emails + 1
    with Session(engine) as session:  # the code belongs to step 2 too: it never reaches staff
        assert route(session=session, chat_id=chat) is None
    text(conv, latest_code(engine, chat_id=chat, kind="email"), chat)
    assert step_of(engine, chat) == "password"
    with Session(engine) as session:  # step 2 done: the applicant talks to the person again
        assert route(session=session, chat_id=chat) is not None
