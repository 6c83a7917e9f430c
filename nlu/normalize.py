"""Normalisation of informal Indonesian (slang, abbreviations, reduplication) from data."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import yaml

NORMALIZATION_PATH = Path(__file__).with_name("normalization.yml")

_REDUPLICATION = re.compile(r"\b([^\W\d_]{2,})2\b")
_REPEATED_CHAR = re.compile(r"([^\W\d_])\1{2,}")
_TOKEN = re.compile(r"[\w@.\-]+|\S")
_NUMBER = re.compile(r"\d+")
_NIK_NUMBER = re.compile(r"(?<!\d)\d{16}(?!\d)")
_PUNCTUATION_EDGES = re.compile(r"^[.\-]+|[.\-]+$")


@dataclass(frozen=True)
class Normalizer:
    """Maps informal tokens to standard ones; built from normalization.yml."""

    tokens: dict[str, str]
    numbers: dict[str, int]

    def normalize(self, text: str) -> str:
        """Returns text lowercased, de-slanged, with "masuk2" spelled "masuk masuk"."""
        text = _REDUPLICATION.sub(r"\1 \1", text.lower())
        text = _REPEATED_CHAR.sub(r"\1", text)
        words = (_PUNCTUATION_EDGES.sub("", w) for w in _TOKEN.findall(text))
        return " ".join(self.tokens.get(w, w) for w in words if w)

    def features_text(self, text: str) -> str:
        """Returns the normalised text with numbers masked, as fed to the classifier."""
        masked = _NIK_NUMBER.sub(" nomornik ", text)
        return " ".join(_NUMBER.sub(" angka ", self.normalize(masked)).split())


def load_normalizer(path: Path = NORMALIZATION_PATH) -> Normalizer:
    """Returns the Normalizer described by the YAML file at path."""
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    tokens = {str(k).lower(): str(v).lower() for k, v in (data.get("tokens") or {}).items()}
    numbers = {str(k).lower(): int(v) for k, v in (data.get("numbers") or {}).items()}
    return Normalizer(tokens=tokens, numbers=numbers)
