"""Idempotency keys: a request retried with the same ``Idempotency-Key`` gets the first answer
again instead of paying, uploading or submitting twice.

The key is claimed in the same transaction as the effect and the answer written before it commits,
so either both are stored or neither: a request killed half-way leaves no key, and its retry runs
afresh. Two copies racing meet at the unique (account, key) index: the second waits for the first
and then finds its answer. Answers are kept for a day.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from core.domain.access import Actor, students_only
from core.errors import Conflict, InvalidInput
from core.models import IdempotencyRecord, utcnow

KEY = re.compile(r"[A-Za-z0-9_.:\-]{8,64}")
KEPT = timedelta(hours=24)
"""How long an answer is kept for a retry (a client retries within minutes; a day is generous)."""


@dataclass(frozen=True)
class Answer:
    status_code: int
    body: dict[str, Any]


def _valid(key: str | None) -> str:
    if key is None or not KEY.fullmatch(key):
        raise InvalidInput("请求缺少有效的 Idempotency-Key（8-64 位字母、数字或 _.:-），请重试。",
                           "This request needs an Idempotency-Key header of 8-64 letters, digits or _.:-.",
                           field="Idempotency-Key")
    return key


@students_only
def claim(session: Session, actor: Actor, key: str | None, fingerprint: str) -> Answer | None:
    """None when the key is new (go ahead; it is now taken), else the answer given before. A key
    reused for a different request is refused."""
    key = _valid(key)
    session.execute(delete(IdempotencyRecord).where(IdempotencyRecord.account_id == actor.id,
                                                    IdempotencyRecord.created_at < utcnow() - KEPT))
    row = _row(session, actor, key)
    if row is None:
        session.add(IdempotencyRecord(account_id=actor.id, key=key, fingerprint=fingerprint))
        session.flush()  # takes the unique index now: a racing copy waits here
        return None
    if row.fingerprint != fingerprint:
        raise Conflict("该 Idempotency-Key 已用于另一个请求，请为新请求使用新的键。",
                       "This Idempotency-Key was used for a different request; use a new key.")
    return Answer(row.status_code, row.response)


@students_only
def answer(session: Session, actor: Actor, key: str, status_code: int, body: dict[str, Any]) -> None:
    """Stores the answer with the effect, before the transaction commits."""
    row = _row(session, actor, _valid(key))
    if row is None:
        raise Conflict("Idempotency-Key 未被占用。", "The Idempotency-Key was not claimed.")
    row.status_code = status_code
    row.response = body
    session.flush()


def _row(session: Session, actor: Actor, key: str) -> IdempotencyRecord | None:
    return session.scalar(select(IdempotencyRecord).where(
        IdempotencyRecord.account_id == actor.id, IdempotencyRecord.key == key))
