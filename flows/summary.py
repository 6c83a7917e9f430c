"""The registration summary and the /status checklist, rendered from the flow's YAML."""

from __future__ import annotations

import html
from collections.abc import Callable
from typing import Any

from flows.definition import Flow, Step
from flows.texts import text
from flows.validators import mask_kk, mask_nik, mask_phone
from storage.models import Applicant


def _format(applicant: Applicant, field: str, fmt: str | None) -> str:
    value: Any = getattr(applicant, field)
    if fmt == "domicile":
        if applicant.domicile_same is None:
            return "—"
        return text("domicile_same_as_ktp") if applicant.domicile_same else html.escape(
            applicant.domicile_address or "—"
        )
    if value is None:
        return "—"
    formatters: dict[str, Callable[[Any], str]] = {
        "hidden": lambda _v: "••••••••",
        "masked_nik": mask_nik,
        "masked_kk": mask_kk,
        "masked_phone": mask_phone,
        "date": lambda v: v.strftime("%d-%m-%Y"),
        "received": lambda _v: text("received"),
    }
    shown = formatters[fmt](value) if fmt in formatters else str(value)
    return shown if fmt == "received" else html.escape(shown)


def summary_text(step: Step, applicant: Applicant) -> str:
    """Returns one line per field, with sensitive values masked."""
    lines = [
        f"• {item['label']}: {_format(applicant, item['field'], item.get('format'))}"
        for item in step.setting("fields", [])
    ]
    return "\n".join(lines)


def checklist_text(flow: Flow, applicant: Applicant | None) -> str:
    """Returns the ✅/⬜ checklist and the next thing to do."""
    if applicant is None:
        return text("status_none")
    lines = [text("status_title")]
    pending = None
    for item in flow.checklist:
        done = getattr(applicant, item.done_when) is not None
        lines.append(f"{'✅' if done else '⬜'} {item.label}")
        if not done and pending is None:
            pending = item.label
    lines.append("")
    lines.append(text("status_next", step=pending) if pending else text("status_done"))
    return "\n".join(lines)
