"""Indonesian texts for problem codes, read from problems.yml (data, not code)."""

from __future__ import annotations

from functools import cache
from importlib import resources
from typing import Any

import yaml

from actions.ktp.codes import ProblemCode, Side
from actions.ktp.report import KtpProblem

_PHOTO_VARIANTS = {ProblemCode.BLURRY: "blurry_photo"}


@cache
def _catalogue() -> dict[str, Any]:
    """Returns the parsed problems.yml shipped next to this module."""
    text = resources.files("actions.ktp").joinpath("problems.yml").read_text(encoding="utf-8")
    data = yaml.safe_load(text)
    if not isinstance(data, dict):
        raise ValueError("problems.yml must hold a mapping")
    return data


def side_names(sides: list[Side]) -> str:
    """Returns the Indonesian names of the given sides, joined for a sentence."""
    catalogue = _catalogue()
    if not sides:
        return str(catalogue["unknown_side"])
    names = [str(catalogue["sides"][side.value]) for side in sides]
    return str(catalogue["joiner"]).join(names)


def make_problem(code: ProblemCode, *, photo: bool = False, **params: Any) -> KtpProblem:
    """Returns a KtpProblem whose message is the catalogue text filled with params."""
    templates: dict[str, str] = _catalogue()["problems"]
    key = _PHOTO_VARIANTS.get(code, code.value) if photo else code.value
    message = templates[key].format(**params)
    return KtpProblem(code=code.value, message=message, details=dict(params))
