"""Reader for Rasa 3.1 NLU YAML (intents with entity annotations, regexes, synonyms)."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from pathlib import Path

import yaml

NLU_DIR = Path(__file__).parent
TRAINING_PATH = NLU_DIR / "nlu.yml"
HELDOUT_PATH = NLU_DIR / "heldout.yml"

# [value](entity) or [value]{"entity": "x", "value": "y"}
_ANNOTATION = re.compile(r"\[(?P<value>[^\]]+)\](?:\((?P<name>[^)]+)\)|\{(?P<json>[^}]*)\})")
_JSON_ENTITY = re.compile(r'"entity"\s*:\s*"(?P<name>[^"]+)"')


@dataclass(frozen=True)
class Example:
    """One training sentence with its annotations removed."""

    text: str
    intent: str
    entities: tuple[tuple[str, str], ...] = ()


def strip_annotations(line: str) -> tuple[str, tuple[tuple[str, str], ...]]:
    """Returns the plain text of an annotated line and its (entity, surface value) pairs."""
    entities: list[tuple[str, str]] = []

    def _plain(match: re.Match[str]) -> str:
        name = match.group("name")
        if name is None:
            json_name = _JSON_ENTITY.search(match.group("json") or "")
            name = json_name.group("name") if json_name else ""
        entities.append((name, match.group("value")))
        return match.group("value")

    return _ANNOTATION.sub(_plain, line), tuple(entities)


def load_examples(path: Path = TRAINING_PATH) -> list[Example]:
    """Returns every intent example in a Rasa NLU YAML file, in file order."""
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    examples: list[Example] = []
    for block in data.get("nlu") or []:
        if "intent" not in block:
            continue
        for raw in str(block.get("examples", "")).splitlines():
            line = raw.strip().removeprefix("- ").strip()
            if line:
                text, entities = strip_annotations(line)
                examples.append(Example(text=text, intent=str(block["intent"]), entities=entities))
    return examples


def data_fingerprint(*paths: Path, extra: str = "") -> str:
    """Returns a short SHA-256 over the given files' bytes plus an extra tag."""
    digest = hashlib.sha256(extra.encode())
    for path in paths:
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]
