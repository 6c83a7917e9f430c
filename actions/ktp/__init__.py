"""KTP photo check: is this upload a readable photo of a whole, original e-KTP?"""

from __future__ import annotations

from actions.ktp.check import Source, check_ktp
from actions.ktp.codes import ProblemCode, Side
from actions.ktp.limits import DEFAULT_LIMITS, ID1_ASPECT, KtpLimits
from actions.ktp.report import KtpProblem, KtpReport

__all__ = [
    "DEFAULT_LIMITS",
    "ID1_ASPECT",
    "KtpLimits",
    "KtpProblem",
    "KtpReport",
    "ProblemCode",
    "Side",
    "Source",
    "check_ktp",
]
