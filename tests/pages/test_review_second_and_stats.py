"""The second-review and reviewer-statistics pages in the real app (AppTest)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from core.domain.enums import Decision, QuotaEntryType, QuotaKind, Role, SecondReviewReason, SubmissionState
from core.models import Notification, ReviewDecision, StaffUser, Submission, utcnow
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


def test_senior_reviews_blind_and_a_disagreement_waits_for_another_senior(decided, app_for):
    db, _reviewer, senior = decided
    at = app_for(senior, page="second_review.py").run()
    assert not at.exception
    counters = next(m.value for m in at.markdown if m.value.startswith("待复核"))
    assert "待复核 **2**" in counters and "随机抽检" in counters
    assert not any("王审核" in m.value for m in at.markdown), "blind: the first reviewer is not shown"
    at.text_input(key="sr_note").input("刘海遮住眉毛 **[改](http://evil)**")
    at.button(key="sr_reject_hair_covers").click().run()
    assert at.toast[0].value == "复核已保存：与初审不一致，等待另一名复核员裁定。"
    at.button(key="sr_approve").click().run()
    assert at.toast[0].value == "复核已保存。"
    assert "没有待复核的照片" in at.success[0].value
    assert at.tabs[0].label == "待裁定（1）" and at.tabs[1].label == "已裁定（0）"
    verdicts = [m.value for m in at.markdown if m.value.startswith("**初审**") or m.value.startswith("**复核**")]
    assert verdicts == ["**初审**（王审核）：通过",  # the note is shown as text, not as Markdown
                        "**复核**（陈复核）：驳回 头发遮挡（刘海遮住眉毛 \\*\\*\\[改\\]\\(http\\:\u2060\\/\\/evil\\)\\*\\*）"]
    assert any("须由另一名复核员裁定" in i.value for i in at.info), "the senior who disagreed does not settle it"
    assert at.button(key="st_reject").disabled and at.button(key="st_approve").disabled
    with db.session() as session:
        assert session.scalars(select(ReviewDecision).where(ReviewDecision.is_second_review.is_(True))).all()
        assert session.scalars(select(Submission.state).where(Submission.state == SubmissionState.APPROVED)).all()


def test_another_senior_settles_and_the_photo_follows(decided, app_for):
    db, _reviewer, senior = decided
    with db.session() as session:
        third = f.make_staff(session, Role.SENIOR_REVIEWER, "li").id
    at = app_for(senior, page="second_review.py").run()
    at.text_input(key="sr_note").input("刘海遮住眉毛")
    at.button(key="sr_reject_hair_covers").click().run()
    settling = app_for(third, page="second_review.py").run()
    assert not settling.exception
    assert settling.button(key="st_reject").label == "裁定：驳回（头发遮挡）"
    settling.text_input(key=f"st_note_{settling.selectbox(key='st_pick').value.submission_id}").input("请露出眉毛")
    settling.button(key="st_reject").click().run()
    assert not settling.exception
    assert settling.toast[0].value == "已裁定为“驳回”。照片已改为“审核未通过”，已通知学生。"
    assert settling.tabs[0].label == "待裁定（0）" and settling.tabs[1].label == "已裁定（1）"
    row = settling.dataframe[0].value.iloc[0].to_dict()
    assert row["裁定结果"] == "驳回 头发遮挡（请露出眉毛）" and row["照片状态"] == "审核未通过"
    assert row["方式"].startswith("裁定 · ") and row["照片处理"] == "照片已按裁定改变"
    english = app_for(third, page="second_review.py", lang="en").run()
    assert not english.exception and english.tabs[1].label == "Settled (1)"
    assert english.dataframe[0].value.iloc[0]["State"] == "Rejected"
    with db.session() as session:
        rejected = session.scalars(select(Submission).where(Submission.state == SubmissionState.REJECTED)).one()
        assert rejected.roster_record.name == "丁白云"
        told = session.scalars(select(Notification).where(Notification.title == "复核后审核未通过")).one()
        assert "请露出眉毛" in told.body


def test_admin_sets_the_second_review_to_stand(decided, app_for):
    db, _reviewer, _senior = decided
    with db.session() as session:
        admin = session.scalars(select(StaffUser).where(StaffUser.username == "admin")).one().id
    at = app_for(admin, page="admin_policy.py").run()
    assert not at.exception
    at.radio(key="policy_disagreement_settlement").set_value("second_stands")
    at.get("form_submit_button")[1].click()
    at.run()
    assert not at.exception
    assert "已保存设置" in at.success[0].value
    history = at.dataframe[0].value.iloc[0].to_dict()
    assert (history["设置项"], history["原值"], history["新值"]) == (
        "初审与复核不一致时", "由另一名复核员裁定", "以复核结论为准（自动生效）")


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
    assert list(table["已裁定"]) == [0] and list(table["待裁定"]) == [0]
    assert [m.label for m in at.metric] == ["已裁定", "维持初审", "采纳复核", "需在学信网更换"]
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



def test_registrar_is_told_to_replace_a_photo_already_sent_and_marks_it_replaced(decided, env, app_for, tmp_path):
    db, _reviewer, senior = decided
    _db, store = env
    from core.services import batches, review_second, review_settle

    with db.session() as session:
        sid = session.scalars(select(Submission.id).order_by(Submission.id)).first()
        submission = session.get(Submission, sid)
        submission.on_temporary_code = False  # her real collection code is linked
        school = submission.roster_record.school
        registrar = f.make_staff(session, Role.REGISTRAR, "reg", school=school)
        batch = batches.build_batch(session, f.actor_of(registrar), submission.task_id, store)
        batches.export_package(session, f.actor_of(registrar), batch.id, store, tmp_path, retention_days=7)
        review_second.decide_second(session, f.actor_of(session.get(StaffUser, senior)), sid, Decision.REJECT,
                                    reason_code="hair_covers", note="刘海遮住眉毛")
        review_settle.settle(session, f.actor_of(f.make_staff(session, Role.SENIOR_REVIEWER, "li")), sid,
                             Decision.REJECT)
        registrar_id = registrar.id
        f.keep(session, school)

    landing = app_for(registrar_id, page="overview.py").run()
    assert not landing.exception
    assert [w.value for w in landing.warning] == ["1 张照片经复核认定不合格，需联系学生重拍并在学信网更换。"]
    at = app_for(registrar_id, page="chase_list.py").run()
    assert not at.exception
    assert any("需在学信网更换的照片（1）" in e.label for e in at.expander)
    line = next(m.value for m in at.markdown if "丁白云" in m.value and "头发遮挡" in m.value)
    assert "待上网" in line and "刘海遮住眉毛" in line
    at.button(key=next(b.key for b in at.button if b.key and b.key.startswith("replaced_"))).click().run()
    assert not at.exception
    assert not any("需在学信网更换" in e.label for e in at.expander)
    assert not app_for(registrar_id, page="overview.py").run().warning, "nothing left to tell the registrar"
    with db.session() as session:
        assert review_settle.replacements_for_school(session, f.actor_of(session.get(StaffUser, registrar_id)),
                                                     school.id) == []
