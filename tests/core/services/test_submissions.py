"""The student's photo in the services: standardise (paid, open task, not after approval, daily
limit), discard before submitting, submit with free submissions and the replacement."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from core.domain.enums import QuotaEntryType, QuotaKind, SubmissionState
from core.errors import AccessDenied, Conflict, LinkRefused, PaymentRequired, QuotaExceeded
from core.models import CollectionTask, QuotaEntry, Submission, utcnow
from core.services import quotas, submissions
from tests import factories as f
from tests.student.conftest import portrait


def student(session, seed: int = 1, *, paid: bool = True, **task):
    school = f.make_school(session, f"1{seed:04d}", f"测试大学{seed}")
    made = f.make_task(session, school, **task)
    return f.make_linked_student(session, made, f.make_record(session, school, seed), paid=paid)


def test_an_unpaid_student_cannot_standardise(env, fixtures_dir):
    db, store = env
    with db.session() as session:
        s = student(session, paid=False)
        with pytest.raises(PaymentRequired):
            submissions.request_standardisation(session, s.actor, s.link.id, portrait(fixtures_dir), store)


def test_standardising_after_the_task_closed_is_refused_without_using_the_quota(env, fixtures_dir):
    db, store = env
    with db.session() as session:
        s = student(session)
        session.get(CollectionTask, s.task.id).closes_on = utcnow().date() - timedelta(days=1)
        session.flush()
        with pytest.raises(LinkRefused):
            submissions.request_standardisation(session, s.actor, s.link.id, portrait(fixtures_dir), store)
        assert session.scalar(select(func.count(QuotaEntry.id))) == 0


def test_no_new_photo_after_approval(env, fixtures_dir):
    db, store = env
    with db.session() as session:
        s = student(session)
        session.add(Submission(roster_record_id=s.record.id, task_id=s.task.id, account_id=s.account.id,
                               raw_sha="0" * 64, state=SubmissionState.APPROVED))
        session.flush()
        with pytest.raises(QuotaExceeded, match="passed human review"):
            submissions.request_standardisation(session, s.actor, s.link.id, portrait(fixtures_dir), store)
        assert quotas.usage(session, s.record.id).standardisations_today == 0


def test_the_sixth_standardisation_of_the_day_is_refused(env, fixtures_dir):
    db, store = env
    with db.session() as session:
        s = student(session)
        for _ in range(5):
            quotas.add_entry(session, s.record.id, QuotaKind.STANDARDISATION, QuotaEntryType.USE, actor=s.actor)
        with pytest.raises(QuotaExceeded):
            submissions.request_standardisation(session, s.actor, s.link.id, portrait(fixtures_dir), store)


def test_standardise_discard_and_submit(env, fixtures_dir):
    db, store = env
    with db.session() as session:
        s = student(session)
        first_id = submissions.request_standardisation(session, s.actor, s.link.id, portrait(fixtures_dir), store).id
        actor, link_id, record_id = s.actor, s.link.id, s.record.id
    with db.session() as session:
        assert session.get(Submission, first_id).state is SubmissionState.STANDARDISED
        submissions.discard_capture(session, actor, first_id)
        assert session.get(Submission, first_id).state is SubmissionState.REPLACED
        second_id = submissions.request_standardisation(session, actor, link_id, portrait(fixtures_dir, 2), store).id
    with db.session() as session:
        submitted = submissions.submit(session, actor, second_id)
        assert submitted.state is SubmissionState.AWAITING_REVIEW and submitted.attempt_number == 1
        with pytest.raises(Conflict):
            submissions.discard_capture(session, actor, second_id)
        usage = quotas.usage(session, record_id)
        assert (usage.standardisations_today, usage.submissions_used) == (2, 1)


def test_someone_else_cannot_discard_or_submit_a_students_photo(env, fixtures_dir):
    db, store = env
    with db.session() as session:
        s = student(session)
        other = student(session, 2)
        photo = submissions.request_standardisation(session, s.actor, s.link.id, portrait(fixtures_dir), store)
        with pytest.raises(AccessDenied):
            submissions.discard_capture(session, other.actor, photo.id)
        with pytest.raises(AccessDenied):
            submissions.submit(session, other.actor, photo.id)
