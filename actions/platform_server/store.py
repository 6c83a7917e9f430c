"""Storage of the reference platform: submissions and idempotency records (sqlmodel)."""

from __future__ import annotations

import hashlib
import json
import uuid
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, update
from sqlalchemy import select as sa_select
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from actions.platform_server.models import IdempotencyRecord, PlatformBase, PlatformSubmission
from storage.db import make_engine


@dataclass(frozen=True, kw_only=True)
class Answer:
    """What the platform answers to one submission."""

    status_code: int
    body: dict[str, Any]
    replayed: bool = False


def request_hash(registration: dict[str, Any], image: bytes | None) -> str:
    """Returns a fingerprint of the request, to catch a key reused for different content."""
    digest = hashlib.sha256(json.dumps(registration, sort_keys=True).encode())
    digest.update(hashlib.sha256(image or b"").digest())
    return digest.hexdigest()


class PlatformStore:
    """Stores each registration once per Idempotency-Key and replays the first answer."""

    def __init__(self, database_url: str) -> None:
        self.engine: Engine = make_engine(database_url)
        PlatformBase.metadata.create_all(self.engine)

    def submit(self, *, key: str, registration: dict[str, Any], image: bytes | None) -> Answer:
        """Stores a new registration, or replays the answer already given for this key."""
        fingerprint = request_hash(registration, image)
        replay = self._replay(key, fingerprint)
        if replay is not None:
            return replay
        registration_id = str(uuid.uuid4())
        body = {"registration_id": registration_id, "status": "received"}
        with Session(self.engine) as session:
            session.add(PlatformSubmission(
                registration_id=registration_id, idempotency_key=key,
                nik=str(registration.get("nik") or "")[:16] or None, registration=registration,
                ktp_sha256=hashlib.sha256(image).hexdigest() if image else None,
                ktp_size=len(image or b""),
            ))
            return self._commit_once(session, key, fingerprint, Answer(status_code=201, body=body))

    def change(self, *, key: str, submission_key: str, changes: dict[str, Any]) -> Answer:
        """Applies changed account fields to the registration submitted under submission_key."""
        fingerprint = request_hash({"submission_key": submission_key, **changes}, None)
        replay = self._replay(key, fingerprint)
        if replay is not None:
            return replay
        with Session(self.engine) as session:
            stored = session.exec(select(PlatformSubmission).where(
                PlatformSubmission.idempotency_key == submission_key)).first()
            if stored is None:
                # The submission may still be on its way: the caller retries later.
                return Answer(status_code=409, body={"error": "submission_pending"})
            stored.registration = {**stored.registration, **changes}
            body = {"registration_id": stored.registration_id, "updated": sorted(changes)}
            session.add(stored)
            return self._commit_once(session, key, fingerprint, Answer(status_code=200, body=body))

    def _commit_once(self, session: Session, key: str, fingerprint: str, answer: Answer) -> Answer:
        """Commits the session's writes with the key's idempotency record, or replays the winner."""
        session.add(IdempotencyRecord(key=key, request_hash=fingerprint,
                                      status_code=answer.status_code, body=answer.body))
        try:
            session.commit()
        except IntegrityError:
            # A concurrent request with the same key won the race; answer as it did.
            session.rollback()
            return self._replay(key, fingerprint) or Answer(status_code=409, body={})
        return answer

    def _replay(self, key: str, fingerprint: str) -> Answer | None:
        with Session(self.engine) as session:
            record = session.get(IdempotencyRecord, key)
            if record is None:
                return None
            if record.request_hash != fingerprint:
                return Answer(status_code=422, body={
                    "error": "idempotency_key_reused",
                    "detail": "Idempotency-Key was used with a different request",
                })
            session.execute(update(IdempotencyRecord).where(col(IdempotencyRecord.key) == key)
                            .values(replays=col(IdempotencyRecord.replays) + 1))
            session.commit()
            return Answer(status_code=record.status_code, body=dict(record.body), replayed=True)

    def get(self, registration_id: str) -> dict[str, Any] | None:
        """Returns a stored registration (without image bytes), or None."""
        with Session(self.engine) as session:
            row = session.execute(
                sa_select(PlatformSubmission)
                .where(col(PlatformSubmission.registration_id) == registration_id)
            ).scalars().first()
            if row is None:
                return None
            return {"registration_id": row.registration_id, "status": "received",
                    "ktp_sha256": row.ktp_sha256, "created_at": row.created_at.isoformat()}

    def stats(self) -> dict[str, int]:
        """Returns counts: submissions, distinct keys, duplicated keys and NIKs, replays."""
        with Session(self.engine) as session:
            submissions = _scalar(session, sa_select(func.count()).select_from(PlatformSubmission))
            keys = _scalar(session, sa_select(
                func.count(func.distinct(col(PlatformSubmission.idempotency_key)))))
            niks = _scalar(session, sa_select(
                func.count(func.distinct(col(PlatformSubmission.nik)))))
            replays = _scalar(session, sa_select(func.coalesce(
                func.sum(col(IdempotencyRecord.replays)), 0)))
        return {"submissions": submissions, "distinct_keys": keys,
                "duplicate_by_key": submissions - keys, "distinct_niks": niks,
                "duplicate_by_nik": submissions - niks, "replays": replays}

    def close(self) -> None:
        """Releases the database connections."""
        self.engine.dispose()


def _scalar(session: Session, statement: Any) -> int:
    return int(session.execute(statement).scalar() or 0)
