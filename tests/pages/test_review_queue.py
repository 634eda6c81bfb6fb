"""The review queue page in the real app (AppTest): claim → review → decide → next, undo, skip,
conflicts, overrides, and who may open it."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from core.domain.enums import Decision, QuotaEntryType, QuotaKind, Role, SubmissionState
from core.errors import AccessDenied
from core.models import QuotaEntry, ReviewDecision, StaffUser, Submission, utcnow
from core.services import review
from core.services.policy import set_policy_value
from uikit.plain import visible
from tests import factories as f

NAMES = ["丁白云", "王小明", "李雷"]


@pytest.fixture
def queue(env, fixtures_dir):
    """Three photos waiting, oldest first: 丁白云's real capture (processed by the pipeline), then two
    more students sharing its photos. Returns (db, reviewer id, submission ids)."""
    db, store = env
    start = utcnow() - timedelta(hours=1)
    with db.session() as session:
        school = f.make_school(session)
        task = f.make_task(session, school)
        record = f.make_record(session, school, 1, name=NAMES[0])
        f.set_enrolment_photo(session, store, record, fixtures_dir / "london" / "001_neutral.jpg")
        session.commit()
        student = f.make_linked_student(session, task, record)
        template = f.submit_photo(session, store, student, fixtures_dir / "london" / "001_smiling.jpg")
        template.submitted_at = start
        ids = [template.id] + [
            f.share_photos(session, template, f.make_record(session, school, 10 + i, name=name), task,
                           start + timedelta(minutes=1 + i)).id
            for i, name in enumerate(NAMES[1:])
        ]
        reviewer = f.make_staff(session, Role.REVIEWER, "li.reviewer")
        other = f.make_staff(session, Role.REVIEWER, "zhang.reviewer")
    return db, reviewer.id, other.id, ids


def shown_student(at) -> str:
    return next(m.value for m in at.markdown if m.value.startswith("**"))


def metrics(at) -> dict[str, str]:
    """The counters line: 待审核 **2** · 审核中 **1** · 我今日已审 **0**."""
    line = next(m.value for m in at.markdown if m.value.startswith("待审核"))
    return dict(part.replace("*", "").rsplit(" ", 1) for part in line.split(" · "))


def test_reviewer_decides_and_the_next_photo_appears_by_itself(queue, app_for):
    db, reviewer, _, ids = queue
    at = app_for(reviewer, page="review_queue.py").run()
    assert not at.exception
    assert at.title[0].value == "审核队列"
    assert NAMES[0] in shown_student(at)
    assert "****" in visible(shown_student(at)) and "证件号" in shown_student(at)  # as the reviewer reads it
    assert any("同一人" in m.value for m in at.markdown)
    assert metrics(at) == {"待审核": "2", "审核中": "1", "我今日已审": "0"}

    at.button(key="rq_approve").click().run()
    assert not at.exception
    assert at.toast[0].value == f"已通过：{NAMES[0]}", "said in a toast, so the photos do not move"
    assert NAMES[1] in shown_student(at)
    assert metrics(at)["我今日已审"] == "1"

    at.button(key="rq_reject_glasses_glare").click().run()
    assert NAMES[2] in shown_student(at)
    with db.session() as session:
        states = [session.get(Submission, i).state for i in ids]
        assert states == [SubmissionState.APPROVED, SubmissionState.REJECTED, SubmissionState.AWAITING_REVIEW]
        assert session.scalar(select(ReviewDecision.reason_code).where(ReviewDecision.submission_id == ids[1])) == "glasses_glare"


def test_other_needs_a_note_and_undo_brings_the_photo_back(queue, app_for):
    db, reviewer, _, ids = queue
    at = app_for(reviewer, page="review_queue.py").run()
    at.button(key="rq_reject_other").click().run()
    assert "请填写说明" in at.toast[0].value
    assert NAMES[0] in shown_student(at), "nothing was decided"
    at.text_input(key="rq_note").input("背景有他人")
    at.button(key="rq_reject_other").click().run()
    assert NAMES[1] in shown_student(at)
    assert at.text_input(key="rq_note").value == "", "the note is cleared for the next photo"

    at.button(key="rq_undo").click().run()
    assert "已撤销" in at.toast[0].value
    assert NAMES[0] in shown_student(at)
    with db.session() as session:
        assert session.get(Submission, ids[0]).state is SubmissionState.AWAITING_REVIEW
        assert session.get(Submission, ids[1]).claimed_by_id is None, "the photo on screen went back to the queue"
        row = session.scalars(select(ReviewDecision)).one()
        assert row.note == "背景有他人" and row.undone_at is not None


def test_skip_shows_the_next_photo_and_leaves_the_skipped_one_for_others(queue, app_for):
    db, reviewer, other, ids = queue
    at = app_for(reviewer, page="review_queue.py").run()
    at.button(key="rq_skip").click().run()
    assert NAMES[1] in shown_student(at)
    with db.session() as session:
        taken = review.claim_next(session, f.actor_of(session.get(StaffUser, other)))
        assert taken.submission_id == ids[0]


def test_someone_else_deciding_first_gives_a_clear_conflict_and_the_next_photo(queue, app_for):
    db, reviewer, other, ids = queue
    at = app_for(reviewer, page="review_queue.py").run()
    assert NAMES[0] in shown_student(at)
    with db.session() as session:
        me = session.get(Submission, ids[0])
        me.claim_expires_at = utcnow() - timedelta(seconds=1)  # my claim lapsed (tab left open)
        review.decide(session, f.actor_of(session.get(StaffUser, other)), ids[0], Decision.REJECT,
                      reason_code="blurred")
    at.button(key="rq_approve").click().run()
    assert "已被处理" in at.toast[0].value
    assert NAMES[1] in shown_student(at)
    with db.session() as session:
        decisions = session.scalars(select(ReviewDecision).where(ReviewDecision.submission_id == ids[0])).all()
        assert [d.reviewer_id for d in decisions] == [other], "no silent overwrite"


def test_quota_override_from_the_review_screen(queue, app_for):
    db, reviewer, _, ids = queue
    at = app_for(reviewer, page="review_queue.py").run()
    at.selectbox(key="rq_o_kind").select(QuotaKind.STANDARDISATION)
    at.text_input(key="rq_o_reason").input("相机故障")
    at.get("form_submit_button")[0].click()
    at.run()
    assert "已赠送" in at.success[0].value
    with db.session() as session:
        entry = session.scalars(select(QuotaEntry).where(QuotaEntry.entry_type == QuotaEntryType.GRANT)).one()
        assert (entry.kind, entry.reason, entry.submission_id) == (QuotaKind.STANDARDISATION, "相机故障", ids[0])
        assert session.get(Submission, ids[0]).needs_second_review


def test_filter_by_face_band_shows_only_matching_photos(queue, app_for):
    db, reviewer, _, ids = queue
    with db.session() as session:
        session.get(Submission, ids[2]).face_verdict = "uncertain"
    at = app_for(reviewer, page="review_queue.py").run()
    assert NAMES[0] in shown_student(at)
    at.selectbox(key="rq_f_band").select("uncertain").run()
    assert NAMES[2] in shown_student(at)
    assert metrics(at)["待审核"] == "0"
    with db.session() as session:
        assert session.get(Submission, ids[0]).claimed_by_id is None, "changing filters hands the photo back"


def test_empty_queue_says_so(db, env, app_for):
    with db.session() as session:
        reviewer = f.make_staff(session, Role.REVIEWER, "li.reviewer")
    at = app_for(reviewer.id, page="review_queue.py").run()
    assert not at.exception
    assert "没有待审核的照片" in at.success[0].value


def test_a_registrar_cannot_open_the_queue(db, app_for):
    with db.session() as session:
        registrar = f.make_staff(session, Role.REGISTRAR, "reg.whu", school=f.make_school(session))
    at = app_for(registrar.id, page="review_queue.py").run()
    assert not at.exception
    assert at.title[0].value == "概览", "the page is not registered for a registrar"
    assert "rq_approve" not in [b.key for b in at.button]


def test_a_reviewer_cannot_open_an_admin_page_nor_call_an_admin_service(db, app_for):
    with db.session() as session:
        reviewer = f.make_staff(session, Role.REVIEWER, "li.reviewer")
        actor = f.actor_of(reviewer)
    at = app_for(reviewer.id, page="admin_staff.py").run()
    assert not at.exception
    assert at.title[0].value == "概览", "navigation falls back to the default page, not the admin page"
    with db.session() as session, pytest.raises(AccessDenied):
        set_policy_value(session, actor, "second_review_rate", 0.5)


def test_the_photos_that_come_next_are_listed_with_thumbnails_on_request(queue, app_for):
    db, reviewer, other, ids = queue
    with db.session() as session:
        review.claim(session, f.actor_of(session.get(StaffUser, other)), ids[1])
    at = app_for(reviewer, page="review_queue.py").run()
    assert not at.dataframe
    at.toggle(key="rq_list").set_value(True).run()
    table = at.dataframe[0].value
    assert list(table["学生"]) == NAMES
    assert list(table["状态"]) == ["", "他人审核中", ""]
    assert all(uri.startswith("data:image/jpeg;base64,") for uri in table["照片"])
