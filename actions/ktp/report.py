"""Value objects returned by the KTP photo check."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True, kw_only=True)
class KtpProblem:
    """Holds one refused aspect of the photo and the Indonesian tip that fixes it."""

    code: str
    message: str
    details: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, kw_only=True)
class KtpReport:
    """Holds the verdict on one KTP photo and, when accepted, the cleaned JPEG."""

    ok: bool
    problems: list[KtpProblem]
    shrunk: bool
    size_bytes: int
    image: bytes | None
    width: int | None
    height: int | None
    format: str | None
    suggest_send_as_file: bool = False
    measures: dict[str, float] = field(default_factory=dict)
    converted_from: str | None = None  # HEIC, WEBP or PDF turned into the JPEG judged

    @property
    def codes(self) -> list[str]:
        """Returns the problem codes in report order."""
        return [problem.code for problem in self.problems]

    def to_json_dict(self) -> dict[str, Any]:
        """Returns a JSON-serialisable summary (without the image bytes)."""
        return {
            "ok": self.ok,
            "problems": self.codes,
            "messages": [problem.message for problem in self.problems],
            "shrunk": self.shrunk,
            "converted_from": self.converted_from,
            "size_bytes": self.size_bytes,
            "output_bytes": len(self.image) if self.image is not None else None,
            "width": self.width,
            "height": self.height,
            "format": self.format,
            "suggest_send_as_file": self.suggest_send_as_file,
            "measures": {name: round(value, 4) for name, value in self.measures.items()},
        }
