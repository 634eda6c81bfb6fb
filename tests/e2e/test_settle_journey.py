"""A senior settles a disagreement in a real browser: the first reviewer approved, a senior's blind
second review rejected; a third senior opens 复核, looks at both photos and both verdicts, rejects,
and the photo's state follows (rejected, the student told)."""

from __future__ import annotations

from sqlalchemy import select

from core.config import fixtures_dir
from core.domain.enums import Decision, Role, SubmissionState
from core.models import Notification, ReviewSettlement, Submission
from core.services import review, review_second
from core.services.policy import set_policy_value
from tests import factories as f
from tests.e2e.conftest import login, screenshot, settled

FIXTURES = fixtures_dir("london")


def seed(session, store):
    school = f.make_school(session)
    task = f.make_task(session, school)
    record = f.make_record(session, school, 1, name="丁白云")
    f.set_enrolment_photo(session, store, record, FIXTURES / "001_neutral.jpg")
    session.commit()
    student = f.make_linked_student(session, task, record)
    photo = f.submit_photo(session, store, student, FIXTURES / "001_smiling.jpg")
    reviewer = f.make_staff(session, Role.REVIEWER, "reviewer", display_name="王审核")
    senior = f.make_staff(session, Role.SENIOR_REVIEWER, "senior", display_name="陈复核")
    f.make_staff(session, Role.SENIOR_REVIEWER, "judge", display_name="李组长")
    admin = f.make_staff(session, Role.ADMIN, "admin")
    set_policy_value(session, f.actor_of(admin), "second_review_rate", 1.0)
    review.decide(session, f.actor_of(reviewer), photo.id, Decision.APPROVE)
    review_second.decide_second(session, f.actor_of(senior), photo.id, Decision.REJECT, reason_code="hair_covers",
                                note="刘海遮住眉毛")


def test_a_senior_settles_a_disagreement_and_the_photo_follows(live_app, page):
    app = live_app(seed, worker=False)
    login(page, app.url, "judge", f.PASSWORD)
    page.get_by_role("link", name="复核").click()
    page.get_by_text("初审与复核不一致").first.wait_for()
    page.get_by_role("tab", name="待裁定（1）").wait_for()
    page.get_by_text("王审核）：通过").wait_for()
    page.get_by_text("驳回 头发遮挡（刘海遮住眉毛）").wait_for()
    page.get_by_text("照片当前状态：审核通过").wait_for()
    settled(page)
    screenshot(page, "settle_waiting")

    page.get_by_label("裁定说明（驳回时学生可见）").fill("请露出眉毛后重新拍摄")
    page.get_by_label("裁定说明（驳回时学生可见）").press("Enter")
    settled(page)
    page.get_by_role("button", name="裁定：驳回（头发遮挡）").click()
    page.get_by_text("已裁定为“驳回”。照片已改为“审核未通过”，已通知学生。").wait_for()
    page.get_by_role("tab", name="已裁定（1）").click()
    page.get_by_text("没有等待裁定的分歧").wait_for(state="attached")
    settled(page)
    screenshot(page, "settle_done")

    with app.db.session() as session:
        photo = session.scalars(select(Submission)).one()
        assert photo.state is SubmissionState.REJECTED
        settlement = session.scalars(select(ReviewSettlement)).one()
        assert (settlement.decision, settlement.reason_code, settlement.note) == (
            Decision.REJECT, "hair_covers", "请露出眉毛后重新拍摄")
        told = session.scalars(select(Notification).where(Notification.title == "复核后审核未通过")).one()
        assert "请露出眉毛后重新拍摄" in told.body
