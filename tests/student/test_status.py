"""第十四步 and 其他服务: the status page through review and CHSI upload, rejection with what to do,
paid extra services, download, the inbox, temporary code upload later, and the tools pages."""

from __future__ import annotations

import re

from sqlalchemy import select

from core.domain.access import Actor
from core.domain.enums import Decision, PaymentPurpose, PaymentStatus, QuotaEntryType, QuotaKind, Role, SubmissionState
from core.domain.states import Event, transition
from core.models import Payment, RosterRecord, Submission
from core.services import notifications, quotas, review
from tests import factories as f
from tests.student.conftest import fill_identity, linked_and_paid, portrait, signed_in, texts
from tests.student.test_capture import standardised


def submitted(at, fixtures_dir, n: int = 1):
    standardised(at, portrait(fixtures_dir, n))
    at.button(key="submit").click().run()
    at.button(key="submit_confirm").click().run()
    return at


def decide(db, decision: Decision, reason: str | None = None, note: str = ""):
    with db.session() as session:
        reviewer = f.actor_of(f.make_staff(session, Role.REVIEWER, f"reviewer{decision.value}"))
        submission = session.scalars(select(Submission).where(
            Submission.state == SubmissionState.AWAITING_REVIEW)).one()
        review.decide(session, reviewer, submission.id, decision, reason_code=reason, note=note)


def current_stage(at) -> str:
    """The label of the highlighted chip in 已上传 → 待审核 → 审核结果 → 待上网 → 已上网."""
    row = next(h.proto.body for h in at.get("html") if "stage-row" in h.proto.body)
    return re.findall(r'class="stage[^"]*current[^"]*">([^<]+)<', row)[0]


def test_status_follows_the_photo_from_review_to_chsi(db, student_app, seeded, fixtures_dir):
    s = seeded()
    at = submitted(linked_and_paid(student_app(), s), fixtures_dir)
    assert current_stage(at) == "待审核"
    decide(db, Decision.APPROVE)
    at.run()
    page = texts(at)
    assert "当前状态：**审核通过**" in page and "7-10 日内" in page
    assert current_stage(at) == "审核通过"
    assert at.get("download_button")[0].proto.label == "下载审核通过的照片"
    assert "照片已通过人工审核，不允许再更换照片" in page
    with db.session() as session:
        sub = session.scalar(select(Submission))
        sub.state = transition(sub.state, Event.ADD_TO_BATCH)
    at.run()
    assert "当前状态：**待上网**" in texts(at) and current_stage(at) == "待上网"
    with db.session() as session:
        sub = session.scalar(select(Submission))
        sub.state = transition(sub.state, Event.MARK_ON_CHSI)
        notifications.notify(session, sub.roster_record_id, "on_chsi", "已上网", "您的照片已上传学信网。")
    at.run()
    assert "当前状态：**已上网**" in texts(at) and current_stage(at) == "已上网"
    at.button(key="status_inbox").click().run()
    page = texts(at)
    assert "**审核通过**" in page and "**已上网**" in page
    assert page.index("已上网") < page.index("审核通过")  # newest first


def test_approved_student_cannot_shoot_again(db, student_app, seeded, fixtures_dir):
    s = seeded()
    at = submitted(linked_and_paid(student_app(), s), fixtures_dir)
    decide(db, Decision.APPROVE)
    at.button(key="back_status").click().run()
    at.button(key="home_collect").click().run()
    assert "无需再拍摄" in at.success[0].value and not at.camera_input


def test_rejection_shows_the_reason_what_to_do_and_the_free_resubmission(db, student_app, seeded, fixtures_dir):
    s = seeded()
    at = submitted(linked_and_paid(student_app(), s), fixtures_dir)
    decide(db, Decision.REJECT, "face_shadow")
    at.run()
    assert "审核未通过：面部阴影" in at.error[0].value and current_stage(at) == "审核未通过"
    page = texts(at)
    assert "面向光源、在均匀光线下重新拍摄" in page and "免费提交审核剩余 1 次" in page
    at.button(key="status_capture").click().run()
    submitted(at, fixtures_dir, 2)
    assert "当前状态：**待审核**" in texts(at)
    with db.session() as session:
        assert quotas.usage(session, s.record_id).submissions_used == 2


def test_a_replacement_before_review_uses_the_free_replacement(db, student_app, seeded, fixtures_dir):
    s = seeded()
    at = submitted(linked_and_paid(student_app(), s), fixtures_dir)
    at.button(key="status_capture").click().run()
    assert "再次提交将使用 1 次免费更换照片（剩余 1 次）" in at.info[0].value
    submitted(at, fixtures_dir, 2)
    with db.session() as session:
        states = [sub.state for sub in session.scalars(select(Submission).order_by(Submission.id))]
        assert states == [SubmissionState.REPLACED, SubmissionState.AWAITING_REVIEW]
        assert quotas.usage(session, s.record_id).replacements_used == 1


def test_when_free_submissions_are_used_the_extra_service_costs_one_yuan(db, student_app, seeded, fixtures_dir):
    s = seeded()
    with db.session() as session:
        for _ in range(2):
            quotas.add_entry(session, s.record_id, QuotaKind.SUBMISSION, QuotaEntryType.USE, actor=Actor.system("tests"))
    at = linked_and_paid(student_app(), s)
    assert "免费提交审核次数已用完，继续需支付 ¥1.00/次" in at.warning[0].value
    assert not at.camera_input
    at.checkbox(key="pay_fail").check()
    at.button(key="buy_extra").click().run()
    assert "支付未完成" in at.error[0].value
    at.checkbox(key="pay_fail").uncheck()
    at.button(key="buy_extra").click().run()
    assert at.camera_input
    with db.session() as session:
        extra = session.scalars(select(Payment).where(Payment.purpose == PaymentPurpose.EXTRA_SUBMISSION)).all()
        assert [(p.amount_fen, p.status) for p in extra] == [(100, PaymentStatus.PAID)]
    submitted(at, fixtures_dir)
    assert "当前状态：**待审核**" in texts(at)


def test_temporary_code_photo_is_held_until_the_code_is_uploaded(db, student_app, seeded):
    s = seeded()
    at = signed_in(student_app())
    at.button(key="home_services").click().run()
    at.button(key="svc_temporary").click().run()
    at_identity_check_from_search(at, s)
    fill_identity(at, s.name, s.student_number, s.id_last4, None)
    at.button(key="confirm_link").click().run()
    at.button(key="pay").click().run()
    at.button(key="back_capture").click().run()
    at.button(key="home_status").click().run()
    assert "照片暂缓上传学信网" in at.warning[0].value
    at.button(key="status_upload_code").click().run()
    at.file_uploader(key="code_upload").upload("采集码.png", s.code_png, "image/png")
    at.run()
    at.button(key="submit_code").click().run()
    assert "采集码已关联" in at.success[-1].value
    with db.session() as session:
        assert not session.get(RosterRecord, s.record_id).on_temporary_code


def at_identity_check_from_search(at, s):
    at.text_input(key="school_query").input("whdx").run()
    at.button(key=f"school_{s.school_id}").click().run()
    at.button(key=f"task_{s.task_id}").click().run()


def test_upload_code_needs_a_temporary_link(db, student_app, seeded):
    s = seeded()
    at = linked_and_paid(student_app(), s)
    at.button(key="back_capture").click().run()
    at.button(key="home_services").click().run()
    at.button(key="svc_upload_code").click().run()
    assert "无需上传" in at.success[0].value


def test_makeup_points_guide_samples_standard_and_code_help(db, student_app, seeded):
    s = seeded()
    with db.session() as session:
        school = session.get(RosterRecord, s.record_id).school
        school.makeup_points = [{"name": "武汉大学信息学部摄影室", "address": "珞喻路129号 教学楼 101", "hours": "周一至周五 9:00-17:00"}]
    at = signed_in(student_app())
    at.button(key="home_services").click().run()
    at.button(key="svc_makeup").click().run()
    at.text_input(key="makeup_query").input("whdx").run()
    assert "武汉大学信息学部摄影室" in texts(at) and "9:00-17:00" in texts(at)
    current = "makeup"
    for key, view, expected in (("svc_guide", "guide", "临时拍摄码、上传采集码、补拍点查询"),
                                ("svc_samples", "samples", "正面免冠"),
                                ("svc_standard", "standard", "宽 480 像素 × 高 640 像素"),
                                ("svc_code_help", "code_help", "勿使用截图")):
        at.button(key=f"back_{current}").click().run()
        at.button(key=key).click().run()
        assert expected in texts(at), key
        current = view
    assert not at.exception


def test_samples_diagram_is_drawn_from_the_standard():
    from student.screens.services import sample_diagram_svg

    svg = sample_diagram_svg()
    assert svg.startswith("<svg") and "头顶 50–110px" in svg and "眼睛 200–300px" in svg and "rgb(100,197,255)" in svg


def test_development_code_maker_renders_a_code_to_save_and_refuses_a_bad_format(db, student_app, seeded):
    s = seeded()
    at = signed_in(student_app())
    at.button(key="home_services").click().run()
    at.button(key="svc_code_help").click().run()
    at.text_input(key="demo_school_code").input("10486")
    at.text_input(key="demo_number").input(s.student_number)
    at.text_input(key="demo_name").input(s.name)
    at.text_input(key="demo_last4").input(s.id_last4).run()
    assert at.get("download_button")[0].proto.label == "保存采集码图片"
    at.text_input(key="demo_last4").input("12").run()
    assert "格式不对" in at.error[0].value
