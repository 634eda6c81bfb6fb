"""The grid review page in the real app (AppTest): a page of clear cases, keys move the focus and
mark exceptions, one key decides the page photo by photo, and the page can be undone."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from core.domain.enums import Decision, Role, SubmissionState
from core.imaging.types import Verdict
from core.models import ReviewDecision, Submission, utcnow
from tests import factories as f

CLEAR = 14


@pytest.fixture
def clear_cases(env, fixtures_dir):
    """14 clear cases (all checks passed, 同一人) sharing one real capture's photos, one photo with a
    failed check and one 存疑, all waiting. Returns (db, reviewer id, clear ids oldest first, others)."""
    db, store = env
    start = utcnow() - timedelta(hours=1)
    with db.session() as session:
        school = f.make_school(session)
        task = f.make_task(session, school)
        record = f.make_record(session, school, 1, name="模板同学")
        template = f.submit_real_capture(session, store, task, record, fixtures_dir / "london")
        template.state = SubmissionState.REJECTED  # the template itself stays out of the queue
        ids = [f.share_photos(session, template, f.make_record(session, school, 10 + i, name=f"宫格{i:02d}"), task,
                              start + timedelta(minutes=i), quality_flags="", quality_ok=True,
                              face_verdict=Verdict.SAME.value).id for i in range(CLEAR)]
        others = [
            f.share_photos(session, template, f.make_record(session, school, 90, name="有不合格项"), task, start,
                           quality_flags="mouth_open", face_verdict=Verdict.SAME.value).id,
            f.share_photos(session, template, f.make_record(session, school, 91, name="比对存疑"), task, start,
                           quality_flags="", face_verdict=Verdict.UNCERTAIN.value).id,
        ]
        reviewer = f.make_staff(session, Role.REVIEWER, "li.reviewer")
    return db, reviewer.id, ids, others


def captions(at) -> list[str]:
    return [c.value for c in at.caption]


def test_grid_shows_only_clear_cases_and_decides_the_page_with_one_key(clear_cases, app_for):
    db, reviewer, ids, others = clear_cases
    at = app_for(reviewer, page="review_grid.py").run()
    assert not at.exception
    assert at.title[0].value == "宫格审核"
    shown = [c for c in captions(at) if "宫格" in c or "有不合格项" in c or "比对存疑" in c]
    assert len(shown) == CLEAR and not any("有不合格项" in c or "比对存疑" in c for c in shown)
    assert "宫格00" in shown[0] and "通过" in shown[0]

    at.button(key="gr_right").click().run()
    at.button(key="gr_right").click().run()
    at.button(key="gr_mark").click().run()
    assert any("请按 1–9、0 选择驳回原因" in m.value for m in at.markdown)
    at.button(key="gr_reject_face_shadow").click().run()
    assert "驳回：面部阴影" in next(c for c in captions(at) if "宫格02" in c)
    at.button(key="gr_decide").click().run()
    assert not at.exception
    assert at.toast[0].value == "已通过 13 张，驳回 1 张。"
    with db.session() as session:
        rows = session.scalars(select(ReviewDecision).order_by(ReviewDecision.id)).all()
        assert [r.submission_id for r in rows] == ids, "each photo decided on its own, in page order"
        assert [(r.decision, r.reason_code) for r in rows if r.decision is Decision.REJECT] == [
            (Decision.REJECT, "face_shadow")]
        assert rows[2].decision is Decision.REJECT
        assert all(session.get(Submission, i).state is SubmissionState.AWAITING_REVIEW for i in others)
    assert any("没有待审核的清晰照片" in s.value for s in at.success)

    at.button(key="gr_undo").click().run()
    assert "已撤销上一页的 14 个决定" in at.toast[0].value
    assert len([c for c in captions(at) if "宫格" in c]) == CLEAR, "the page comes back"
    with db.session() as session:
        assert all(session.get(Submission, i).state is SubmissionState.AWAITING_REVIEW for i in ids)


def test_x_on_a_marked_photo_clears_the_mark(clear_cases, app_for):
    _, reviewer, _, _ = clear_cases
    at = app_for(reviewer, page="review_grid.py").run()
    at.button(key="gr_reject_blurred").click().run()
    assert "驳回：照片模糊" in captions(at)[0]
    at.button(key="gr_mark").click().run()
    assert "驳回" not in captions(at)[0]
    at.button(key="gr_approve").click().run()
    assert at.toast[0].value == "已通过 14 张，驳回 0 张。"
