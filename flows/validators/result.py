"""Result types returned by every validator."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Generic, TypeAlias, TypeVar

T = TypeVar("T")
T_co = TypeVar("T_co", covariant=True)


@dataclass(frozen=True, slots=True)
class Valid(Generic[T_co]):
    """Carries the normalised value of an accepted input."""

    value: T_co


@dataclass(frozen=True, slots=True)
class Invalid:
    """Carries a stable failure code and the Indonesian message to show the user."""

    code: str
    message: str


ValidationResult: TypeAlias = Valid[T] | Invalid
