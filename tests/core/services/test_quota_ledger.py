"""The quota rules hold through the services and the ledger, on both databases."""

from __future__ import annotations

from datetime import datetime, time, timedelta, UTC

import pytest

from core.domain.enums import Decision, QuotaKind, Role, SubmissionState
from core.errors import PaymentRequired, QuotaExceeded
from core.models import Submission, utcnow
from core.services import audit, quotas, review, submissions
from tests import factories as f
from tests.core.services.helpers import portrait


@pytest.fixture
def student(env):
    db, _ = env
    with db.session() as session:
        school = f.make_school(session)
        task = f.make_task(session, school)
        record = f.make_record(session, school)
        student = f.make_linked_student(session, task, record)
        f.keep(session, student)
        return student


def standardise(db, store, student, n=1, now=None):
    with db.session() as session:
        return submissions.request_standardisation(session, student.actor, student.link.id, portrait(n), store, now=now).id


def test_sixth_standardisation_of_the_day_is_refused_until_beijing_midnight(env, student):
    db, store = env
    morning = datetime.combine(utcnow().date(), time(1, 0), tzinfo=UTC)  # 09:00 in Beijing
    for _ in range(5):
        standardise(db, store, student, now=morning)
    with pytest.raises(QuotaExceeded):
        standardise(db, store, student, now=morning + timedelta(hours=14))  # 23:00 Beijing
    standardise(db, store, student, now=morning + timedelta(hours=15))  # 00:00 next day Beijing
    with db.session() as session:
        assert quotas.usage(session, student.record.id, morning).standardisations_today == 5


def test_staff_grant_allows_a_sixth_and_is_audited(env, student):
    db, store = env
    for _ in range(5):
        standardise(db, store, student)
    with db.session() as session:
        support = f.make_staff(session, Role.SUPPORT)
        quotas.grant(session, f.actor_of(support), student.record.id, QuotaKind.STANDARDISATION, "拍摄失败，热线申请")
    standardise(db, store, student)
    with db.session() as session:
        events = audit.events_for(session, action="quota.grant")
        assert [e.detail["reason"] for e in events] == ["拍摄失败，热线申请"]
        assert events[0].actor_name == "Support"


def test_third_free_submission_needs_payment(env, student):
    db, store = env
    with db.session() as session:
        reviewer = f.actor_of(f.make_staff(session, Role.REVIEWER))
    for n in (1, 2):
        submission_id = standardise(db, store, student, n)
        with db.session() as session:
            submissions.submit(session, student.actor, submission_id)
        with db.session() as session:
            review.decide(session, reviewer, submission_id, Decision.REJECT, reason_code="blurred")
    third = standardise(db, store, student, 3)
    with pytest.raises(PaymentRequired) as refused, db.session() as session:
        submissions.submit(session, student.actor, third)
    assert "1 元" in refused.value.message_zh
    with db.session() as session:
        assert session.get(Submission, third).state is SubmissionState.STANDARDISED  # nothing half-applied


def test_one_free_replacement_before_review_then_none_after_approval(env, student):
    db, store = env
    first = standardise(db, store, student, 1)
    with db.session() as session:
        submissions.submit(session, student.actor, first)
    second = standardise(db, store, student, 2)
    with db.session() as session:
        submissions.submit(session, student.actor, second)
        assert session.get(Submission, first).state is SubmissionState.REPLACED
    with db.session() as session:
        reviewer = f.actor_of(f.make_staff(session, Role.REVIEWER))
        review.decide(session, reviewer, second, Decision.APPROVE)
    with pytest.raises(QuotaExceeded) as refused:
        standardise(db, store, student, 3)
    assert "通过人工审核" in refused.value.message_zh
    with pytest.raises(QuotaExceeded), db.session() as session:
        quotas.grant(session, reviewer, student.record.id, QuotaKind.REPLACEMENT, "学生申请")
