"""The erasure registry: what /hapusdata does with every table and file that can name a person.

Every table of the schema that has a chat id, applicant, NIK, email or phone column must be
listed in ERASURE (tests/storage/test_erasure.py fails otherwise): erased by chat, erased through
a parent row of the chat, kept because a legal duty requires it (the reason is stated), or
declared free of applicant data. Kept tables are named to the user in the delete_done text.

To register a table kept by legal duty (e.g. keyed hashes of NIKs that received the card):
    ERASURE["tablename"] = KeptByLegalDuty("why the law requires keeping it")
"""

from __future__ import annotations

import json
import os
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import Select, column, delete, select, table
from sqlmodel import Session

ERASE_FILES_LOCK = threading.Lock()


@dataclass(frozen=True, slots=True)
class ByChat:
    """Rows whose `column` is the erased chat id are deleted."""

    column: str = "chat_id"


@dataclass(frozen=True, slots=True)
class ByParent:
    """Rows whose `column` points at a `parent` row of the chat are deleted (before the parent)."""

    column: str
    parent: str
    parent_key: str = "id"
    parent_chat: str = "chat_id"


@dataclass(frozen=True, slots=True)
class KeptByLegalDuty:
    """Rows are kept because a legal duty requires it; `reason` says which."""

    reason: str


@dataclass(frozen=True, slots=True)
class NoApplicantData:
    """The table holds nothing about an applicant; `reason` says why."""

    reason: str


Rule = ByChat | ByParent | KeptByLegalDuty | NoApplicantData

ERASURE: dict[str, Rule] = {
    "applicant": ByChat(),
    "conversationstate": ByChat(),
    "verificationcode": ByChat(),
    "outbox": ByChat(),
    "deliveryattempt": ByParent(column="outbox_id", parent="outbox"),
    "ktpblob": ByChat(),
    "handoffticket": ByChat(),
    "ticketevent": ByChat(),
    "troubleshootingwalk": ByChat(),
    "subscriber": ByChat(),
    "broadcastrecipient": ByChat(),
    "inbox_update": ByChat(),
    "waveapplication": ByChat(),
    "applicantresult": ByParent(column="application_id", parent="waveapplication"),
    "resultnotification": ByChat(),
    "basictestattempt": ByChat(),
    "nudge": ByChat(),
    "agencylistentry": KeptByLegalDuty(
        "exclusion lists supplied by ministries and agencies (the PMO must exclude the NIKs "
        "they list); not data the applicant gave us"),
    "cardrecipient": KeptByLegalDuty(
        "a keyed hash of each NIK that received the card (no name, chat or NIK): a previous "
        "recipient may not receive it again, so this survives erasure"),
    "wavefreeze": NoApplicantData("a wave's input digest, list versions and counts at close"),
    "wavesnapshotentry": NoApplicantData(
        "per-wave keyed ids frozen at close so a published draw stays verifiable; no NIK or chat"),
    "auditlog": NoApplicantData(
        "who looked up what: staff id and a masked term, never the applicant's chat; "
        "kept for RETENTION_AUDIT_DAYS as the record of access to personal data"),
    "staffmember": NoApplicantData("call-center staff accounts, not applicants"),
    "staffduty": NoApplicantData("whether a staff member is on duty, and their own chat"),
    "processedupdate": NoApplicantData("update ids only"),
    "circuitstate": NoApplicantData("health of delivery destinations"),
    "wave": NoApplicantData("waves and their quotas"),
    "broadcast": NoApplicantData("announcement templates and audiences"),
    "lotteryrun": NoApplicantData("counts and digests of a draw"),
    "agencylistimport": NoApplicantData("counts and file digests of list imports"),
    "analyticsminute": NoApplicantData(
        "dashboard counts per minute, metric and label (a problem code, an intent); no chat"),
    "dashboardloginuse": NoApplicantData("nonces of used PMO dashboard login links"),
}


def erase_chat(session: Session, chat_id: int) -> None:
    """Deletes every row of the chat that ERASURE marks for erasure (children first)."""
    for name, rule in ERASURE.items():
        if isinstance(rule, ByParent):
            parents: Select[Any] = select(column(rule.parent_key)).select_from(
                table(rule.parent, column(rule.parent_key), column(rule.parent_chat))
            ).where(column(rule.parent_chat) == chat_id)
            session.execute(delete(table(name, column(rule.column)))
                            .where(column(rule.column).in_(parents)))
    for name, rule in ERASURE.items():
        if isinstance(rule, ByChat):
            session.execute(delete(table(name, column(rule.column)))
                            .where(column(rule.column) == chat_id))


def erase_sink_lines(directory: Path, chat_id: int) -> int:
    """Drops the chat's lines from the local sink files (*.jsonl); returns lines removed."""
    removed = 0
    if not directory.is_dir():
        return removed
    with ERASE_FILES_LOCK:
        for path in sorted(directory.glob("*.jsonl")):
            removed += _rewrite_without(path, chat_id)
    return removed


def _rewrite_without(path: Path, chat_id: int) -> int:
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    kept = [line for line in lines if _chat_of(line) != chat_id]
    if len(kept) == len(lines):
        return 0
    draft = path.with_name(f".{path.name}.{os.getpid()}")
    draft.write_text("".join(kept), encoding="utf-8")
    os.replace(draft, path)  # atomic: a reader sees the old file or the new one
    return len(lines) - len(kept)


def _chat_of(line: str) -> object:
    try:
        record = json.loads(line)
    except ValueError:
        return None
    return record.get("chat_id") if isinstance(record, dict) else None


def kept_by_legal_duty() -> dict[str, str]:
    """Returns the tables kept after erasure with the reason of each."""
    return {name: rule.reason for name, rule in ERASURE.items()
            if isinstance(rule, KeptByLegalDuty)}
