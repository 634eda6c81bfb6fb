"""The student app's read models: school search, task choice, status, capture progress."""

from __future__ import annotations

from datetime import timedelta

import pytest

from core.domain.access import Actor
from core.domain.enums import Decision, EducationCategory, JobStatus, QuotaEntryType, QuotaKind, Role, SubmissionState, TaskStatus
from core.domain.states import Event, transition
from core.errors import InvalidInput
from core.models import ProcessingJob, School, Submission, utcnow
from core.services import jobs, quotas, review, student_flow
from core.services.student_flow import NextSubmission
from tests import factories as f
from tests.student.conftest import code_png

SYSTEM = Actor.system("tests")


def schools(session):
    made = {}
    for code, name in (("10486", "武汉大学"), ("10487", "华中科技大学"), ("10497", "武汉理工大学"),
                       ("10001", "北京大学")):
        made[name] = f.make_school(session, code, name)
        f.make_task(session, made[name])
    return made


@pytest.mark.parametrize("query, expected", [
    ("whdx", ["武汉大学"]),
    ("WHDX", ["武汉大学"]),
    ("武汉", ["武汉大学", "武汉理工大学"]),
    ("武大", ["武汉大学", "武汉理工大学"]),
    ("wuhan", ["武汉大学", "武汉理工大学"]),
    ("hzkj", ["华中科技大学"]),
    ("10487", ["华中科技大学"]),
    ("理工", ["武汉理工大学"]),
    ("上海", []),
    ("   ", []),
])
def test_fuzzy_school_search(db, query, expected):
    with db.session() as session:
        schools(session)
        assert [hit.name for hit in student_flow.search_schools(session, query)] == expected


def test_search_ranks_a_name_prefix_before_a_match_inside_the_name(db):
    with db.session() as session:
        schools(session)
        f.make_task(session, f.make_school(session, "10500", "中南民族大学武汉校区"))  # sorts first by name
        assert [h.name for h in student_flow.search_schools(session, "武汉")] == [
            "武汉大学", "武汉理工大学", "中南民族大学武汉校区"]


def test_search_skips_inactive_schools_and_tasks_outside_their_window(db):
    with db.session() as session:
        made = schools(session)
        session.get(School, made["武汉理工大学"].id).active = False
        session.get(School, made["武汉大学"].id).tasks[0].status = TaskStatus.CLOSED
        session.flush()
        assert student_flow.search_schools(session, "武汉") == []
        tomorrow = utcnow().date() + timedelta(days=1)
        assert student_flow.search_schools(session, "华中", today=tomorrow + timedelta(days=60)) == []


def test_open_tasks_and_their_categories(db):
    with db.session() as session:
        school = f.make_school(session)
        f.make_task(session, school, category=EducationCategory.ADULT, title="成教采集")
        f.make_task(session, school)
        f.make_task(session, school, category=EducationCategory.GRADUATE, status=TaskStatus.PAUSED)
        tasks = student_flow.open_tasks(session, school.id)
        assert student_flow.categories(tasks) == [EducationCategory.REGULAR, EducationCategory.ADULT]
        assert {t.title for t in tasks} == {"成教采集", "2025届毕业生学历图像采集"}
        assert tasks[0].school_name == "武汉大学" and tasks[0].price_fen == 2500


@pytest.mark.parametrize("state, current, failed", [
    (None, None, False),
    (SubmissionState.SUBMITTED, "已上传", False),
    (SubmissionState.AUTO_BLOCKED, "人像比对未通过", True),
    (SubmissionState.AWAITING_REVIEW, "待审核", False),
    (SubmissionState.APPROVED, "审核通过", False),
    (SubmissionState.REJECTED, "审核未通过", True),
    (SubmissionState.IN_BATCH, "待上网", False),
    (SubmissionState.UPLOAD_FAILED, "待上网", False),
    (SubmissionState.ON_CHSI, "已上网", False),
])
def test_stages_mark_the_current_step(state, current, failed):
    stages = student_flow.stages(state)
    assert len(stages) == 5
    marked = [s for s in stages if s.current]
    if current is None:
        assert marked == [] and not any(s.reached for s in stages)
        return
    assert [s.label_zh for s in marked] == [current] and marked[0].failed is failed
    index = stages.index(marked[0])
    assert all(s.reached for s in stages[:index]) and not any(s.reached for s in stages[index + 1:])


def _submission(session, student, state: SubmissionState) -> Submission:
    sub = Submission(roster_record_id=student.record.id, task_id=student.task.id, account_id=student.account.id,
                     raw_sha="0" * 64, standardised_sha="1" * 64, state=state, submitted_at=utcnow())
    session.add(sub)
    session.flush()
    return sub


def test_status_tells_what_the_next_submission_uses(db):
    with db.session() as session:
        school = f.make_school(session)
        task = f.make_task(session, school)
        student = f.make_linked_student(session, task, f.make_record(session, school, 1))
        status = student_flow.status(session, student.link)
        assert status.state is None and status.next_submission is NextSubmission.SUBMISSION
        assert (status.free_submissions_left, status.replacements_left, status.standardisations_left) == (2, 1, 5)
        waiting = _submission(session, student, SubmissionState.AWAITING_REVIEW)
        assert student_flow.status(session, student.link).next_submission is NextSubmission.REPLACEMENT
        quotas.add_entry(session, student.record.id, QuotaKind.REPLACEMENT, QuotaEntryType.USE, actor=SYSTEM)
        assert student_flow.status(session, student.link).next_submission is NextSubmission.BUY_REPLACEMENT
        waiting.state = transition(waiting.state, Event.REJECT)
        for _ in range(2):
            quotas.add_entry(session, student.record.id, QuotaKind.SUBMISSION, QuotaEntryType.USE, actor=SYSTEM)
        status = student_flow.status(session, student.link)
        assert status.next_submission is NextSubmission.BUY_SUBMISSION and status.submissions_left == 0
        assert status.next_submission.purchase.value == "extra_submission"


def test_status_of_a_rejection_carries_the_reason_and_what_to_do(db):
    with db.session() as session:
        school = f.make_school(session)
        task = f.make_task(session, school)
        student = f.make_linked_student(session, task, f.make_record(session, school, 1))
        sub = _submission(session, student, SubmissionState.AWAITING_REVIEW)
        reviewer = f.actor_of(f.make_staff(session, Role.REVIEWER))
        review.decide(session, reviewer, sub.id, Decision.REJECT, reason_code="other", note="耳朵被头发挡住")
        status = student_flow.status(session, student.link)
        assert status.state is SubmissionState.REJECTED and status.state_zh == "审核未通过"
        assert status.rejection.label_zh == "其他" and status.rejection.note == "耳朵被头发挡住"
        assert "审核备注" in status.rejection.student_text_zh
        assert status.unread == 1


def test_approved_status_offers_the_download_and_no_more_photos(db):
    with db.session() as session:
        school = f.make_school(session)
        task = f.make_task(session, school)
        student = f.make_linked_student(session, task, f.make_record(session, school, 1))
        _submission(session, student, SubmissionState.APPROVED)
        status = student_flow.status(session, student.link)
        assert status.approved and status.approved_photo_sha == "1" * 64
        assert status.next_submission is NextSubmission.CLOSED and status.replacements_left == 0
        assert status.masked_name == "丁*云" and status.paid


def test_capture_progress_waits_then_reports_a_failed_job(db):
    with db.session() as session:
        school = f.make_school(session)
        task = f.make_task(session, school)
        student = f.make_linked_student(session, task, f.make_record(session, school, 1))
        sub = _submission(session, student, SubmissionState.CAPTURED)
        assert student_flow.capture_progress(session, sub).waiting
        session.add(ProcessingJob(kind=jobs.PROCESS_SUBMISSION, subject_id=sub.id, status=JobStatus.FAILED,
                                  error="boom"))
        session.flush()
        progress = student_flow.capture_progress(session, sub)
        assert not progress.waiting and "照片处理失败" in progress.error_zh


def test_decoding_the_code_image(db):
    with db.session() as session:
        school = f.make_school(session)
        record = f.make_record(session, school, 1)
        decoded = student_flow.decode_code_image(code_png(record, school.code))
        assert decoded.error is None and decoded.code.student_number == record.student_number
    with pytest.raises(InvalidInput) as refused:
        student_flow.decode_code_image(b"\x89PNG broken")
    assert "采集码图片" in refused.value.message_zh
