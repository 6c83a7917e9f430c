"""rasa_sdk actions (one per module), served by `prakerja actions serve`."""

from __future__ import annotations

from typing import Final

# Declared once: the domain generator (flows/rasa_domain.py) and the tests read these names.
ACTION_NAMES: Final = frozenset({
    "action_check_result",
    "action_rejection_reason",
    "action_registration_status",
    "action_check_nik",
    "action_join_wave",
    "action_human_handoff",
})
