"""The demo data set `make run` loads: built through the services, with every state present."""

from __future__ import annotations

from collections import Counter

import pytest
from sqlalchemy import func, select

from core.domain.enums import NotificationConsent, Role, SubmissionState
from core.models import CollectionTask, Notification, RosterRecord, School, StaffUser, StudentAccount, Submission
from core.services import staff, tickets
from core.services.notifications import NO_CONSENT
from core.services.demo import DEMO_PASSWORD, build_demo

# Builds the whole demo data set, photos through the worker. Its seven staff accounts are made and
# then signed in with Argon2 at its smallest cost (at the production cost they took ~10 s of the test).
pytestmark = [pytest.mark.slow, pytest.mark.usefixtures("quick_password_hashes")]


def test_demo_builds_schools_tasks_staff_and_photos_in_every_state(env, fixtures_dir, capsys):
    db, store = env
    assert build_demo(str(fixtures_dir), database=db, store=store, students=32) == 0
    assert "photos from" in capsys.readouterr().out
    with db.session() as session:
        assert session.scalar(select(func.count(School.id))) == 3
        assert session.scalar(select(func.count(CollectionTask.id))) == 4
        assert session.scalar(select(func.count(RosterRecord.id))) == 32
        assert {u.role for u in session.scalars(select(StaffUser))} == set(Role)
        for user in session.scalars(select(StaffUser)):
            assert staff.authenticate(session, user.username, DEMO_PASSWORD).user is not None
        states = set(session.scalars(select(Submission.state).distinct()))
        assert {SubmissionState.AWAITING_REVIEW, SubmissionState.APPROVED, SubmissionState.REJECTED,
                SubmissionState.AUTO_BLOCKED, SubmissionState.STANDARDISED} <= states
        guide = session.scalars(select(RosterRecord).where(RosterRecord.student_number == "2110216052")).one()
        assert (guide.name, guide.id_last4) == ("丁白云", "2414")
        assert guide.enrolment_embedding is not None
        held = session.scalars(select(Submission).where(Submission.on_temporary_code.is_(True))).all()
        assert held and all(s.state is SubmissionState.APPROVED for s in held)
        registrar = staff.actor_for(session.scalars(select(StaffUser).where(StaffUser.username == "registrar")).one())
        consents = Counter(session.scalars(select(StudentAccount.notification_consent)))
        assert consents[NotificationConsent.GRANTED] > consents[NotificationConsent.DECLINED] > 0
        told = session.scalars(select(Notification).where(Notification.account_id.is_not(None))).all()
        assert {n.withheld for n in told} == {None, NO_CONSENT}, "results pushed to those who allowed it only"
        [call] = tickets.escalations_for_school(session, registrar, registrar.school_id)
        assert call.student_name == "王小明" and call.escalation_overdue  # a walk-through's escalation to answer
    assert build_demo(str(fixtures_dir), if_empty=True, database=db, store=store) == 0
    assert build_demo(str(fixtures_dir), database=db, store=store) == 1
    with db.session() as session:
        assert session.scalar(select(func.count(RosterRecord.id))) == 32


def test_demo_falls_back_to_a_packaged_portrait_without_fixtures(env, tmp_path, capsys):
    db, store = env
    assert build_demo(str(tmp_path / "nowhere"), database=db, store=store, students=8) == 0
    assert "astronaut" in capsys.readouterr().out
    with db.session() as session:
        assert session.scalar(select(func.count(RosterRecord.id))) == 8
        assert session.scalar(select(func.count(Submission.id))) > 0
