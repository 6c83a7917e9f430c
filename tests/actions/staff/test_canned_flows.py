"""Every canned troubleshooting flow walked to every leaf; every referenced answer exists."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session

from flows.faq import load_faq
from flows.troubleshooting import (
    Node,
    Option,
    Tree,
    callback_data,
    check_tree,
    choose,
    leaf_paths,
    load_replies,
    load_trees,
    reachable_nodes,
    reply_text,
    start_walk,
)
from storage.db import make_engine
from storage.migrate import upgrade
from storage.models_staff import TroubleshootingWalk

REQUIRED = {"ktp_gagal", "nik_tidak_valid", "otp_tidak_masuk", "email_verifikasi_tidak_masuk",
            "lupa_password", "tidak_lolos_seleksi"}
TREES = load_trees()


@pytest.fixture(scope="module")
def walk_engine(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Engine]:
    """Yields one migrated SQLite database shared by the walks of this module."""
    url = f"sqlite:///{tmp_path_factory.mktemp('walks') / 'walks.db'}"
    upgrade(url)
    engine = make_engine(url)
    yield engine
    engine.dispose()


def test_the_six_required_flows_exist() -> None:
    assert set(TREES) >= REQUIRED


@pytest.mark.parametrize("flow_id", sorted(TREES))
def test_flow_is_valid_and_reaches_answers_or_handoff(flow_id: str) -> None:
    tree = TREES[flow_id]
    assert check_tree(tree) == []
    assert set(reachable_nodes(tree)) == set(tree.nodes)
    leaves = [n for n in tree.nodes.values() if n.is_leaf]
    assert any(n.handoff for n in leaves), "every flow offers a person at some point"
    for node in tree.nodes.values():
        assert node.faq is None or node.faq in load_faq()
        assert node.reply is None or node.reply in load_replies()


@pytest.mark.parametrize("flow_id", sorted(TREES))
def test_walk_every_path_to_its_leaf(flow_id: str, walk_engine: Engine) -> None:
    tree = TREES[flow_id]
    paths = leaf_paths(tree)
    seen_leaves: set[str] = set()
    with Session(walk_engine) as session:
        for path in paths:
            step = start_walk(session=session, chat_id=5, flow_id=flow_id, ticket_id=1)
            for index in path:
                assert not step.finished
                flat = [button for row in step.reply.buttons for button in row]
                assert len(flat) == len(tree.nodes[step.node_id].options)
                pressed = flat[index].value
                moved = choose(session=session, chat_id=5, data=pressed)
                assert moved is not None, f"dead button {pressed}"
                step = moved
            assert step.finished and step.reply.text.strip() and not step.reply.buttons
            seen_leaves.add(step.node_id)
            session.flush()
            assert session.get(TroubleshootingWalk, 5) is None  # a finished walk is forgotten
    assert seen_leaves == {n.id for n in tree.nodes.values() if n.is_leaf}


def test_every_canned_reply_resolves_and_faq_ones_are_the_faq_text() -> None:
    for reply in load_replies().values():
        assert reply_text(reply.id).strip()
    assert "1500537" in reply_text("kontak_dukcapil")
    assert reply_text("kontak_dukcapil").startswith(load_faq()["dukcapil_contact"].text[:20])


def test_stale_and_forged_buttons_are_refused(walk_engine: Engine) -> None:
    with Session(walk_engine) as session:
        first = start_walk(session=session, chat_id=6, flow_id="lupa_password")
        assert choose(session=session, chat_id=6, data="ts:lupa_password:reset:0") is None
        assert choose(session=session, chat_id=6, data="ts:lupa_password:email_ingat:9") is None
        assert choose(session=session, chat_id=6, data="ts:garbage") is None
        assert choose(session=session, chat_id=7, data=first.reply.buttons[0][0].value) is None


def _tree(**nodes: Node) -> Tree:
    return Tree(id="t", title="t", start="a", nodes=dict(nodes))


def test_checker_finds_dead_ends_cycles_unknown_targets_and_references() -> None:
    dead = _tree(a=Node("a", text="q", options=(Option("x", "b"),)), b=Node("b"))
    assert any("shows nothing" in p for p in check_tree(dead))
    loop = _tree(a=Node("a", text="q", options=(Option("x", "b"),)),
                 b=Node("b", text="q", options=(Option("y", "a"),)))
    assert any("cycle" in p for p in check_tree(loop))
    unknown = _tree(a=Node("a", text="q", options=(Option("x", "zz"),)))
    assert any("unknown 'zz'" in p for p in check_tree(unknown))
    refs = _tree(a=Node("a", faq="no_such_intent", reply="no_such_reply"))
    assert len(check_tree(refs)) == 2
    orphan = _tree(a=Node("a", text="end"), b=Node("b", text="never"))
    assert check_tree(orphan) == ["node 'b' is unreachable"]


def test_callback_data_fits_telegram_limit() -> None:
    for tree in TREES.values():
        for node in tree.nodes.values():
            for index in range(len(node.options)):
                assert len(callback_data(tree.id, node.id, index).encode()) <= 64
