"""The second-review and reviewer-statistics pages in the real app (AppTest)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from core.domain.enums import Decision, QuotaEntryType, QuotaKind, Role, SecondReviewReason
from core.models import ReviewDecision, utcnow
from core.services import review
from core.services.policy import set_policy_value
from tests import factories as f


@pytest.fixture
def decided(env, fixtures_dir):
    """Two approvals by reviewer 王审核 of real-pipeline photos, both sampled for second review."""
    db, store = env
    with db.session() as session:
        school = f.make_school(session)
        task = f.make_task(session, school)
        record = f.make_record(session, school, 1, name="丁白云")
        f.set_enrolment_photo(session, store, record, fixtures_dir / "london" / "001_neutral.jpg")
        session.commit()
        student = f.make_linked_student(session, task, record)
        template = f.submit_photo(session, store, student, fixtures_dir / "london" / "001_smiling.jpg")
        second = f.share_photos(session, template, f.make_record(session, school, 2, name="王小明"), task,
                                utcnow() - timedelta(minutes=5))
        reviewer = f.make_staff(session, Role.REVIEWER, "wang", display_name="王审核")
        senior = f.make_staff(session, Role.SENIOR_REVIEWER, "chen", display_name="陈复核")
        admin = f.make_staff(session, Role.ADMIN, "admin")
        set_policy_value(session, f.actor_of(admin), "second_review_rate", 1.0)
        for sid in (template.id, second.id):
            review.claim(session, f.actor_of(reviewer), sid)
            review.decide(session, f.actor_of(reviewer), sid, Decision.APPROVE)
    return db, reviewer.id, senior.id


def test_senior_reviews_blind_and_a_disagreement_is_listed_with_both_reasons(decided, app_for):
    db, _reviewer, senior = decided
    at = app_for(senior, page="second_review.py").run()
    assert not at.exception
    counters = next(m.value for m in at.markdown if m.value.startswith("待复核"))
    assert "待复核 **2**" in counters and "随机抽检" in counters
    assert not any("王审核" in m.value for m in at.markdown), "blind: the first reviewer is not shown"
    at.text_input(key="sr_note").input("刘海遮住眉毛")
    at.button(key="sr_reject_hair_covers").click().run()
    assert at.toast[0].value == "复核已保存。"
    at.button(key="sr_approve").click().run()
    assert "没有待复核的照片" in at.success[-1].value
    table = at.dataframe[0].value
    assert len(table) == 1
    row = table.iloc[0].to_dict()
    assert (row["初审"], row["初审结论"], row["复核人"]) == ("王审核", "通过", "陈复核")
    assert row["复核结论"] == "驳回 头发遮挡（刘海遮住眉毛）"
    with db.session() as session:
        assert session.scalars(select(ReviewDecision).where(ReviewDecision.is_second_review.is_(True))).all()


def test_a_reviewer_has_no_second_review_page(decided, app_for):
    _, reviewer, _ = decided
    at = app_for(reviewer, page="second_review.py").run()
    assert not at.exception
    assert at.title[0].value == "概览", "navigation falls back to the default page, not 复核"


def test_statistics_page_shows_the_reviewers_day(decided, app_for):
    _db, reviewer, senior = decided
    at = app_for(reviewer, page="reviewer_stats.py").run()
    assert not at.exception
    table = at.dataframe[0].value
    assert list(table["审核员"]) == ["王审核"]
    assert list(table["审核数"]) == [2] and list(table["通过率"]) == ["100%"]
    assert list(table["复核一致率"]) == ["—"]
    assert list(app_for(senior, page="reviewer_stats.py").run().dataframe[0].value["审核员"]) == ["王审核"]


def test_student_page_shows_history_and_grants_an_override_that_goes_to_second_review(decided, app_for):
    db, reviewer, _senior = decided
    from core.models import QuotaEntry, Submission

    at = app_for(reviewer, page="student_history.py").run()
    at.text_input(key="sh_query").input("丁白云").run()
    assert not at.exception
    assert any("王审核：通过" in c.value for c in at.caption)
    at.selectbox(key="sh_o_kind").select(QuotaKind.SUBMISSION)
    at.text_input(key="sh_o_reason").input("学校补拍，赠送一次")
    at.get("form_submit_button")[0].click()
    at.run()
    assert "已赠送" in at.success[0].value
    with db.session() as session:
        entry = session.scalars(select(QuotaEntry).where(QuotaEntry.entry_type == QuotaEntryType.GRANT)).one()
        assert entry.reason == "学校补拍，赠送一次"
        flagged = session.get(Submission, entry.submission_id)
        assert flagged.roster_record.name == "丁白云"
        assert flagged.second_review_reason == SecondReviewReason.QUOTA_OVERRIDE
    at.text_input(key="sh_query").input("nobody").run()
    assert "没有找到" in at.info[0].value
