"""Intent and entity names: the interface between the NLU and the rest of the assistant."""

from __future__ import annotations

from typing import Final

OUT_OF_SCOPE: Final = "out_of_scope"

INTENTS: Final[tuple[str, ...]] = (
    "greet",
    "register_account",
    "ktp_photo_requirements",
    "ktp_upload_failed",
    "nik_not_registered",
    "dukcapil_contact",
    "prakerja_contact",
    "file_complaint",
    "eligibility",
    "incentive_amount",
    "wave_schedule",
    "selection_process",
    "check_result",
    "rejection_reason",
    "forgot_password",
    "email_verification",
    "otp_not_received",
    "basic_test",
    "join_wave",
    "site_error",
    "human_handoff",
    "thanks",
    "registration_status",
    "change_data",
    "training_info",
    "about_prakerja",
    "incentive_disbursement",
    "subscribe_announcements",
    OUT_OF_SCOPE,
)

ENTITY_NIK: Final = "nik"
ENTITY_WAVE_NUMBER: Final = "wave_number"
