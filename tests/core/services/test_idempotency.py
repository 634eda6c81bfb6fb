"""Idempotency keys at the service level: claimed with the effect, answered again, kept a day."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from core.domain.access import Actor
from core.errors import Conflict, InvalidInput
from core.models import IdempotencyRecord, utcnow
from core.services import idempotency, linking


def test_a_key_is_answered_again_refused_for_another_request_and_forgotten_after_a_day(db):
    with db.session() as session:
        account = linking.sign_in(session, "openid-1", "小丁")
        actor = Actor.student(account.id, account.nickname)
        assert idempotency.claim(session, actor, "key-00000001", "fingerprint-a") is None
        idempotency.answer(session, actor, "key-00000001", 201, {"id": 7})
    with db.session() as session:
        again = idempotency.claim(session, actor, "key-00000001", "fingerprint-a")
        assert again == idempotency.Answer(201, {"id": 7})
        with pytest.raises(Conflict):
            idempotency.claim(session, actor, "key-00000001", "fingerprint-b")
        other = Actor.student(linking.sign_in(session, "openid-2", "小李").id, "小李")
        assert idempotency.claim(session, other, "key-00000001", "fingerprint-b") is None  # keys are per student
    with db.session() as session:
        for row in session.scalars(select(IdempotencyRecord)):
            row.created_at = utcnow() - timedelta(hours=25)
    with db.session() as session:
        assert idempotency.claim(session, actor, "key-00000001", "fingerprint-b") is None
        assert session.scalars(select(IdempotencyRecord.fingerprint).where(
            IdempotencyRecord.account_id == actor.id)).all() == ["fingerprint-b"]


@pytest.mark.parametrize("key", [None, "", "short", "x" * 65, "键键键键键键键键", "has space 1234"])
def test_a_missing_or_malformed_key_is_refused(db, key):
    with db.session() as session:
        account = linking.sign_in(session, "openid-1", "小丁")
        with pytest.raises(InvalidInput):
            idempotency.claim(session, Actor.student(account.id, account.nickname), key, "f")
