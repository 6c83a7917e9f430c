"""Canned troubleshooting flows (flows/canned/*.yml) and the engine that walks one per chat.

A flow is a tree of nodes: a node shows text (its own, a FAQ answer or a canned reply) and either
offers options leading to other nodes or ends the walk — with an answer, or with a handoff to a
person. A node may name the bot's buttons and steps (`{button:…}`, `{step:…}`, see
flows/bot_references.py), run one of the bot's actions for the applicant (`action:`), and branch
once per selection-result reason of flows/texts/results.yml (`reasons:` with `then:` options),
whose explanation and contacts are shown from results.yml itself. Where a chat stands is stored in
the database, so a walk survives restarts.
"""

from __future__ import annotations

import html
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import yaml
from sqlalchemy import inspect
from sqlmodel import Session

from actions.results import explain, explain_reason
from flows.bot_references import render, unknown_references
from flows.faq import load_faq, unwrap
from flows.messages import Button, Reply
from flows.staff_texts import staff_entry, staff_text
from flows.troubleshooting_actions import ACTIONS
from storage.models import utcnow
from storage.models_staff import TroubleshootingWalk

CANNED_DIR = Path(__file__).parent / "canned"
REPLIES_FILE = CANNED_DIR / "replies.yml"
CALLBACK_PREFIX = "ts:"
MAX_CALLBACK_BYTES = 64  # Telegram's limit for callback_data
REASON_PREFIX = "r_"  # ids of the nodes generated from results.yml reasons
TWO_COLUMNS_FROM = 7  # long option lists (the agencies) go in two columns


class CannedError(ValueError):
    """Raised when a canned reply or flow file is malformed."""


@dataclass(frozen=True, slots=True)
class Option:
    """One answer the user can pick, leading to another node."""

    label: str
    next: str


@dataclass(frozen=True, slots=True)
class Node:
    """One step: what is shown, and either options or the end of the walk."""

    id: str
    text: str = ""
    faq: str | None = None
    reply: str | None = None
    options: tuple[Option, ...] = ()
    handoff: bool = False
    action: str | None = None
    reason: str | None = None  # a results.yml reason code: its explanation is shown

    @property
    def is_leaf(self) -> bool:
        """Tells whether the walk ends here."""
        return not self.options


@dataclass(frozen=True, slots=True)
class Tree:
    """One troubleshooting flow; its id is the file name."""

    id: str
    title: str
    start: str
    nodes: dict[str, Node]


@dataclass(frozen=True, slots=True)
class CannedReply:
    """A short answer with an id: its own text, or the answer of a FAQ intent (one source)."""

    id: str
    text: str = ""
    faq: str | None = None


@dataclass(frozen=True, slots=True)
class WalkStep:
    """What one move of a walk produced, and where the walk stands afterwards."""

    reply: Reply
    flow_id: str
    node_id: str
    finished: bool
    handoff: bool
    ticket_id: int | None
    pushed_by: int | None
    action: str | None = None


# --- loading ---------------------------------------------------------------------------------
def parse_replies(data: dict[str, Any]) -> dict[str, CannedReply]:
    """Returns the canned replies of a parsed replies.yml, checking each has one source."""
    replies: dict[str, CannedReply] = {}
    for raw in data.get("replies") or ():
        reply = CannedReply(id=str(raw["id"]), text=unwrap(str(raw.get("text") or "")),
                            faq=raw.get("faq"))
        if bool(reply.text) == bool(reply.faq):
            raise CannedError(f"reply {reply.id!r} needs exactly one of text/faq")
        if unknown_references(reply.text):
            raise CannedError(f"reply {reply.id!r}: {unknown_references(reply.text)} name nothing")
        if reply.id in replies:
            raise CannedError(f"reply {reply.id!r} is defined twice")
        replies[reply.id] = reply
    return replies


@cache
def load_replies() -> dict[str, CannedReply]:
    """Returns the canned replies keyed by id."""
    return parse_replies(yaml.safe_load(REPLIES_FILE.read_text(encoding="utf-8")) or {})


def _options(raw: Any) -> tuple[Option, ...]:
    return tuple(Option(label=str(o["label"]), next=str(o["next"])) for o in raw or ())


def result_reason_label(code: str) -> str:
    """Returns the short Indonesian label of a selection-result reason code."""
    return str(staff_entry("result_reason_labels").get(code, code))


def _node(node_id: str, raw: dict[str, Any]) -> list[Node]:
    """Returns the node, plus one generated node per reason it branches on."""
    codes = [str(code) for code in raw.get("reasons") or ()]
    generated = [Node(id=f"{REASON_PREFIX}{code.lower()}", reason=code,
                      options=_options(raw.get("then"))) for code in codes]
    options = tuple(Option(result_reason_label(n.reason or ""), n.id) for n in generated)
    node = Node(id=node_id, text=unwrap(str(raw.get("text") or "")), faq=raw.get("faq"),
                reply=raw.get("reply"), options=options + _options(raw.get("options")),
                handoff=bool(raw.get("handoff")), action=raw.get("action"))
    return [node, *generated]


def parse_tree(flow_id: str, data: dict[str, Any]) -> Tree:
    """Returns the flow described by a parsed YAML document (validated by check_tree)."""
    nodes: dict[str, Node] = {}
    for key, raw in (data.get("nodes") or {}).items():
        for node in _node(str(key), raw):
            if node.id in nodes:
                raise CannedError(f"{flow_id}: node {node.id!r} is defined twice")
            nodes[node.id] = node
    return Tree(id=flow_id, title=str(data.get("title") or flow_id),
                start=str(data.get("start") or ""), nodes=nodes)


@cache
def load_trees() -> dict[str, Tree]:
    """Returns every troubleshooting flow in flows/canned, keyed by id (the file name)."""
    trees: dict[str, Tree] = {}
    for path in sorted(CANNED_DIR.glob("*.yml")):
        if path == REPLIES_FILE:
            continue
        tree = parse_tree(path.stem, yaml.safe_load(path.read_text(encoding="utf-8")) or {})
        problems = check_tree(tree)
        if problems:
            raise CannedError(f"{path.name}: " + "; ".join(problems))
        trees[tree.id] = tree
    return trees


# --- validation -------------------------------------------------------------------------------
def check_tree(tree: Tree) -> list[str]:
    """Returns what is wrong with a flow: unknown targets, dead ends, cycles, unreachable nodes."""
    problems = [] if tree.start in tree.nodes else [f"start {tree.start!r} is not a node"]
    for node in tree.nodes.values():
        problems += _node_problems(tree, node)
    if problems:
        return problems
    problems += _cycle_problems(tree)
    reachable = set(reachable_nodes(tree))
    problems += [f"node {n!r} is unreachable" for n in tree.nodes if n not in reachable]
    return problems


def _node_problems(tree: Tree, node: Node) -> list[str]:
    problems = [f"node {node.id!r}: option leads to unknown {o.next!r}"
                for o in node.options if o.next not in tree.nodes]
    if not (node.text or node.faq or node.reply or node.handoff or node.reason):
        problems.append(f"node {node.id!r} shows nothing")
    problems += [f"node {node.id!r}: {ref} names nothing in the bot"
                 for ref in unknown_references(node.text)]
    if node.action is not None and node.action not in ACTIONS:
        problems.append(f"node {node.id!r}: unknown action {node.action!r}")
    elif node.action is not None and node.action not in staff_entry("action_labels"):
        problems.append(f"node {node.id!r}: no label for action {node.action!r}")
    if node.reason is not None:
        problems += _reason_problems(node)
    if node.faq is not None and node.faq not in load_faq():
        problems.append(f"node {node.id!r}: unknown FAQ intent {node.faq!r}")
    if node.reply is not None and node.reply not in load_replies():
        problems.append(f"node {node.id!r}: unknown canned reply {node.reply!r}")
    if node.options and node.handoff:
        problems.append(f"node {node.id!r}: a handoff must end the walk")
    longest = callback_data(tree.id, node.id, max(len(node.options) - 1, 0))
    if len(longest.encode()) > MAX_CALLBACK_BYTES:
        problems.append(f"node {node.id!r}: ids too long for callback data")
    return problems


def _reason_problems(node: Node) -> list[str]:
    try:
        explain_reason(node.reason or "")
    except KeyError:
        return [f"node {node.id!r}: {node.reason!r} is no reason in flows/texts/results.yml"]
    if node.reason not in staff_entry("result_reason_labels"):
        return [f"node {node.id!r}: no label for {node.reason!r} in the staff texts"]
    return []


def _cycle_problems(tree: Tree) -> list[str]:
    # Depth-first search with colours: grey = on the current path, so reaching grey is a cycle.
    colour: dict[str, str] = {}

    def visit(node_id: str) -> bool:
        colour[node_id] = "grey"
        for option in tree.nodes[node_id].options:
            state = colour.get(option.next)
            if state == "grey" or (state is None and visit(option.next)):
                return True
        colour[node_id] = "black"
        return False

    return [f"flow {tree.id!r} has a cycle"] if visit(tree.start) else []


def reachable_nodes(tree: Tree) -> list[str]:
    """Returns the ids of the nodes reachable from the start, in visiting order."""
    seen: list[str] = []
    pending = [tree.start]
    while pending:
        node_id = pending.pop()
        if node_id in seen:
            continue
        seen.append(node_id)
        pending.extend(o.next for o in reversed(tree.nodes[node_id].options))
    return seen


def leaf_paths(tree: Tree) -> list[list[int]]:
    """Returns every path from the start to a leaf, as the option indexes chosen."""
    paths: list[list[int]] = []

    def walk(node_id: str, path: list[int]) -> None:
        node = tree.nodes[node_id]
        if node.is_leaf:
            paths.append(path)
        for index, option in enumerate(node.options):
            walk(option.next, [*path, index])

    walk(tree.start, [])
    return paths


# --- rendering --------------------------------------------------------------------------------
def reply_text(reply_id: str) -> str:
    """Returns the HTML text of a canned reply (a FAQ answer when the reply names one)."""
    reply = load_replies()[reply_id]
    if reply.faq is not None:
        return html.escape(load_faq()[reply.faq].text)
    return render(reply.text)


def callback_data(flow_id: str, node_id: str, index: int) -> str:
    """Returns the button value of one option; it names the node so old buttons are detected."""
    return f"{CALLBACK_PREFIX}{flow_id}:{node_id}:{index}"


def node_reply(tree: Tree, node: Node, *, for_caller: bool = False) -> Reply:
    """Returns what a node shows: its texts, its options as buttons, or the handoff note."""
    parts = [render(node.text)] if node.text else []
    if node.reason is not None:
        parts.append(explain([node.reason]))
    if node.faq is not None:
        parts.append(html.escape(load_faq()[node.faq].text))
    if node.reply is not None:
        parts.append(reply_text(node.reply))
    if node.handoff:
        parts.append(staff_text("flow_handoff_caller" if for_caller else "flow_handoff_applicant"))
    flat = [Button(o.label, callback_data(tree.id, node.id, i)) for i, o in enumerate(node.options)]
    width = 2 if len(flat) >= TWO_COLUMNS_FROM else 1
    buttons = tuple(tuple(flat[i : i + width]) for i in range(0, len(flat), width))
    return Reply("\n\n".join(parts), buttons=buttons)


# --- walking ----------------------------------------------------------------------------------
def start_walk(
    *, session: Session, chat_id: int, flow_id: str, ticket_id: int | None = None,
    pushed_by: int | None = None,
) -> WalkStep:
    """Starts a flow in a chat (replacing any walk there) and returns its first node."""
    tree = load_trees()[flow_id]
    walk = session.get(TroubleshootingWalk, chat_id) or TroubleshootingWalk(
        chat_id=chat_id, flow_id=flow_id, node_id=tree.start)
    walk.flow_id, walk.node_id, walk.ticket_id, walk.pushed_by = (
        flow_id, tree.start, ticket_id, pushed_by)
    return _arrive(session, walk, tree)


def choose(*, session: Session, chat_id: int, data: str) -> WalkStep | None:
    """Follows a pressed option; returns None when the button is not the current node's."""
    try:
        flow_id, node_id, raw_index = data.removeprefix(CALLBACK_PREFIX).rsplit(":", 2)
        index = int(raw_index)
    except ValueError:
        return None
    walk = session.get(TroubleshootingWalk, chat_id)
    tree = load_trees().get(flow_id)
    if walk is None or tree is None or (walk.flow_id, walk.node_id) != (flow_id, node_id):
        return None
    options = tree.nodes[node_id].options
    if not 0 <= index < len(options):
        return None
    walk.node_id = options[index].next
    return _arrive(session, walk, tree)


def _arrive(session: Session, walk: TroubleshootingWalk, tree: Tree) -> WalkStep:
    node = tree.nodes[walk.node_id]
    step = WalkStep(
        reply=node_reply(tree, node, for_caller=walk.ticket_id is None),
        flow_id=tree.id, node_id=node.id, finished=node.is_leaf, handoff=node.handoff,
        ticket_id=walk.ticket_id, pushed_by=walk.pushed_by, action=node.action,
    )
    if node.is_leaf:
        _forget(session, walk)
    else:
        walk.updated_at = utcnow()
        session.add(walk)
    return step


def _forget(session: Session, walk: TroubleshootingWalk) -> None:
    state = inspect(walk)
    if state.pending:
        session.expunge(walk)
    elif state.persistent:
        session.delete(walk)


def flow_titles() -> dict[str, str]:
    """Returns each flow's title keyed by id, for usage lists."""
    return {flow_id: tree.title for flow_id, tree in load_trees().items()}
