"""What a troubleshooting tree may name of the bot: its buttons, step titles and texts.

Trees write `{button:email_code:resend}`, `{step:phone}` or `{text:code_cooldown}` instead of
copying labels, so a renamed button changes the trees too and a button that does not exist is
an error when the trees load.
"""

from __future__ import annotations

import html
import re
from functools import cache

from flows.definition import Flow, load_flow
from flows.texts import raw_texts

REFERENCE = re.compile(r"\{(button|step|text):([^{}\s]+)\}")
_TAG = re.compile(r"<[^>]+>")
_PLACEHOLDER = re.compile(r"\{[a-z_]+\}")


@cache
def registration() -> Flow:
    """Returns the registration flow the references point into."""
    return load_flow("registration")


def _step_buttons(step_id: str) -> dict[str, str]:
    step = registration().step(step_id)
    labels = {o.value: o.label for o in step.options}
    labels |= {b["value"]: b["label"] for b in step.setting("buttons", [])}
    if step.setting("contact_button"):
        labels["contact"] = step.setting("contact_button")
    if step.kind == "summary":
        labels[step.setting("confirm")["value"]] = step.setting("confirm")["label"]
        labels |= {f"edit:{e['step']}": e["label"] for e in step.setting("edits")}
    return labels


def button_label(ref: str) -> str | None:
    """Returns the label of "<step>:<value>" or "<common button list>:<value>", if it exists."""
    where, _, value = ref.partition(":")
    if where in registration().steps:
        return _step_buttons(where).get(value)
    listed = raw_texts().get(where)
    if isinstance(listed, list):
        return next((str(b["label"]) for b in listed
                     if isinstance(b, dict) and b.get("value") == value), None)
    return None


def step_title(step_id: str) -> str | None:
    """Returns the title of the numbered step this step belongs to, as the bot shows it
    ("Langkah 2 dari 8 — Email" also for the email code)."""
    step = registration().steps.get(step_id)
    if step is None:
        return None
    first = next(s for s in registration().steps.values() if s.number == step.number)
    line = _TAG.sub("", first.prompt.strip().splitlines()[0])
    return html.unescape(re.sub(r"^\W+", "", line).strip())


def bot_text(key: str) -> str | None:
    """Returns a shared text of the bot, its {values} shown as "…" (HTML kept)."""
    raw = raw_texts().get(key)
    return _PLACEHOLDER.sub("…", str(raw).strip()) if isinstance(raw, str) else None


def resolve(kind: str, ref: str) -> str | None:
    """Returns the HTML a reference stands for, or None when it names nothing."""
    if kind == "button":
        label = button_label(ref)
        return f"<b>{html.escape(label)}</b>" if label is not None else None
    if kind == "step":
        title = step_title(ref)
        return f"<b>{html.escape(title)}</b>" if title is not None else None
    return bot_text(ref)


def unknown_references(text: str) -> list[str]:
    """Returns the references in a tree text that name nothing."""
    return [m[0] for m in REFERENCE.finditer(text) if resolve(m[1], m[2]) is None]


def render(text: str) -> str:
    """Returns a tree text as HTML: escaped, with its references filled in."""
    return REFERENCE.sub(lambda m: resolve(m[1], m[2]) or m[0], html.escape(text, quote=False))
