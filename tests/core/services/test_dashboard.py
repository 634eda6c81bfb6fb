"""The progress dashboard: funnel, trend, reasons, groups and the registrar's school boundary.

Submissions are written straight into the awaiting-review state (the imaging pipeline is not
what is under test here); every decision then goes through the real review service."""

from __future__ import annotations

from datetime import timedelta

import pytest

from core.domain.enums import Decision, EducationCategory, Role, SubmissionState
from core.domain.quotas import local_day
from core.errors import AccessDenied
from core.models import Submission, utcnow
from core.services import dashboard, review
from tests import factories as f


def awaiting(session, student, when) -> Submission:
    submission = Submission(roster_record_id=student.record.id, task_id=student.task.id,
                            account_id=student.account.id, raw_sha="0" * 64, standardised_sha="1" * 64,
                            state=SubmissionState.AWAITING_REVIEW, submitted_at=when, attempt_number=1)
    session.add(submission)
    session.flush()
    return submission


@pytest.fixture
def world(db):
    now = utcnow()
    with db.session() as session:
        a = f.make_school(session, "10486", "武汉大学")
        b = f.make_school(session, "10487", "华中科技大学")
        task = f.make_task(session, a)
        task_b = f.make_task(session, b)
        reviewer = f.actor_of(f.make_staff(session, Role.REVIEWER, "li.reviewer"))
        registrar = f.actor_of(f.make_staff(session, Role.REGISTRAR, "reg.whu", school=a))
        admin = f.actor_of(f.make_staff(session, Role.ADMIN, "admin"))
        layout = [("计算机学院", "1班"), ("计算机学院", "1班"), ("计算机学院", "2班"),
                  ("外语学院", "英语1班"), ("外语学院", "英语1班"), ("外语学院", "英语1班")]
        records = [f.make_record(session, a, i, name=f"学生{i}", department=d, class_name=c)
                   for i, (d, c) in enumerate(layout)]
        f.make_record(session, a, 50, name="已有照片", has_chsi_photo=True)
        f.make_record(session, a, 51, name="研究生", category=EducationCategory.GRADUATE)
        s0 = f.make_linked_student(session, task, records[0])
        s1 = f.make_linked_student(session, task, records[1])
        f.make_linked_student(session, task, records[2])
        f.make_linked_student(session, task, records[3], paid=False)
        s5 = f.make_linked_student(session, task, records[5])
        approve = awaiting(session, s0, now - timedelta(days=1))
        reject = awaiting(session, s1, now)
        awaiting(session, s5, now)
        review.decide(session, reviewer, approve.id, Decision.APPROVE, now=now)
        review.decide(session, reviewer, reject.id, Decision.REJECT, reason_code="blurred", now=now)
        other = f.make_record(session, b, 70, name="外校学生")
        other_student = f.make_linked_student(session, task_b, other)
        review.decide(session, reviewer, awaiting(session, other_student, now).id, Decision.APPROVE, now=now)
        return dict(a=a.id, b=b.id, task=task.id, task_b=task_b.id, registrar=registrar, admin=admin, now=now)


def test_task_funnel_counts_each_stage_once_per_student(db, world):
    with db.session() as session:
        board = dashboard.progress(session, world["registrar"], task_id=world["task"], now=world["now"])
    assert board.funnel.counts() == (6, 5, 4, 3, 1, 0, 1)
    assert board.funnel.completion == pytest.approx(1 / 6)
    [window] = board.tasks
    assert board.days_left == (window.closes_on - local_day(world["now"])).days > 0
    assert [(r.code, r.count) for r in board.reasons] == [("blurred", 1)]
    today = board.trend[-1]
    assert (today.submitted, today.approved, today.rejected) == (2, 1, 1)
    assert board.trend[-2].submitted == 1
    assert sum(d.submitted for d in board.trend) == 3


def test_completion_by_category_department_and_class(db, world):
    with db.session() as session:
        board = dashboard.progress(session, world["registrar"], school_id=world["a"], now=world["now"])
    assert {g.label: g.funnel.roster for g in board.by_category} == {"普通本专科": 6, "研究生": 1}
    departments = {g.label: (g.funnel.roster, g.funnel.approved) for g in board.by_department}
    assert departments == {"计算机学院": (3, 1), "外语学院": (3, 0)}
    assert [g.label for g in board.by_department] == ["外语学院", "计算机学院"]  # least complete first
    classes = {g.label: g.funnel.linked for g in board.by_class}
    assert classes == {"计算机学院 1班": 2, "计算机学院 2班": 1, "外语学院 英语1班": 2}
    assert board.schools == []


def test_registrar_sees_only_their_school_however_asked(db, world):
    registrar = world["registrar"]
    with db.session() as session:
        own = dashboard.progress(session, registrar, now=world["now"])
        assert own.school_id == world["a"] and own.funnel.roster == 7
        with pytest.raises(AccessDenied):
            dashboard.progress(session, registrar, school_id=world["b"])
        with pytest.raises(AccessDenied):
            dashboard.progress(session, registrar, task_id=world["task_b"])
        with pytest.raises(AccessDenied):
            dashboard.tasks_for(session, registrar, world["b"])
        assert [s.id for s in dashboard.schools_for(session, registrar)] == [world["a"]]
        assert {t.school_id for t in dashboard.tasks_for(session, registrar)} == {world["a"]}


def test_admin_sees_every_school_sorted_by_completion(db, world):
    with db.session() as session:
        board = dashboard.progress(session, world["admin"], now=world["now"])
        reviewer_actor = f.actor_of(f.make_staff(session, Role.SUPPORT, "kefu"))
        with pytest.raises(AccessDenied):
            dashboard.progress(session, reviewer_actor)
    assert [(s.code, s.funnel.roster, s.funnel.approved) for s in board.schools] == [
        ("10486", 7, 1), ("10487", 1, 1)]
    assert board.funnel.approved == 2
    assert board.trend[-1].approved == 2
