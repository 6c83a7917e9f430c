"""Flow definitions read from YAML: steps, their kinds, prompts, options and next steps."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any, Literal

import yaml

StepKind = Literal["text", "code", "choice", "photo", "phone", "summary"]
FLOWS_DIR = Path(__file__).parent


@dataclass(frozen=True, slots=True)
class Option:
    """A choice shown as a button; `next` overrides the step's next step."""

    label: str
    value: str
    next: str | None = None
    synonyms: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Step:
    """One step of a flow as written in YAML."""

    id: str
    kind: StepKind
    prompt: str
    number: int
    next: str | None = None
    validate: str | None = None
    secret: bool = False
    edit_continues: bool = False
    after: str | None = None
    purpose: str | None = None
    options: tuple[Option, ...] = ()
    columns: int = 1
    extra: dict[str, Any] | None = None

    def setting(self, key: str, default: Any = None) -> Any:
        """Returns a kind-specific setting from the YAML (e.g. `contact_button`)."""
        return (self.extra or {}).get(key, default)


@dataclass(frozen=True, slots=True)
class ChecklistItem:
    """A line of /status: done once the named applicant field is filled."""

    label: str
    done_when: str


@dataclass(frozen=True, slots=True)
class Flow:
    """A whole flow: its steps by id, the first step, and the /status checklist."""

    id: str
    start: str
    steps: dict[str, Step]
    checklist: tuple[ChecklistItem, ...]

    def step(self, step_id: str) -> Step:
        """Returns the step with this id."""
        return self.steps[step_id]


_KNOWN = {"kind", "prompt", "number", "next", "validate", "secret", "edit_continues", "after",
          "purpose", "options", "columns"}


def _words(raw: Any) -> tuple[str, ...]:
    """Returns synonyms as strings; YAML reads a bare yes/no as a boolean, so refuse that."""
    if any(not isinstance(word, str) for word in raw):
        raise ValueError(f"synonyms must be quoted strings: {raw!r}")
    return tuple(raw)


def _step(step_id: str, raw: dict[str, Any]) -> Step:
    options = tuple(
        Option(label=o["label"], value=str(o["value"]), next=o.get("next"),
               synonyms=_words(o.get("synonyms", ())))
        for o in raw.get("options", ())
    )
    return Step(
        id=step_id, kind=raw["kind"], prompt=raw["prompt"].strip(), number=raw["number"],
        next=raw.get("next"), validate=raw.get("validate"), secret=raw.get("secret", False),
        edit_continues=raw.get("edit_continues", False), after=raw.get("after"),
        purpose=raw.get("purpose"), options=options, columns=raw.get("columns", 1),
        extra={k: v for k, v in raw.items() if k not in _KNOWN},
    )


def parse_flow(raw: dict[str, Any]) -> Flow:
    """Builds a Flow from its YAML mapping and checks every `next` points at a real step."""
    steps = {step_id: _step(step_id, body) for step_id, body in raw["steps"].items()}
    targets = [s.next for s in steps.values()] + [o.next for s in steps.values() for o in s.options]
    targets += [s.setting("typed_next") for s in steps.values()]
    missing = {t for t in targets if t is not None and t not in steps}
    if missing or raw["start"] not in steps:
        raise ValueError(f"flow {raw['id']} points at unknown steps: {sorted(missing)}")
    checklist = tuple(ChecklistItem(**item) for item in raw.get("checklist", ()))
    return Flow(id=raw["id"], start=raw["start"], steps=steps, checklist=checklist)


@cache
def load_flow(name: str) -> Flow:
    """Loads flows/<name>.yml once."""
    with (FLOWS_DIR / f"{name}.yml").open(encoding="utf-8") as handle:
        return parse_flow(yaml.safe_load(handle))
