"""Every support action: what it changes, the refusal the rules give, and the audit entry it
leaves; on both databases, with real photos and real collection-code images."""

from __future__ import annotations

import io

import pytest
from sqlalchemy import select

from core.domain.enums import ActorKind, BatchStatus, Decision, PaymentStatus, QuotaEntryType, QuotaKind, Role, SubmissionState, TicketCategory
from core.domain.identity import mask_name
from core.errors import AccessDenied, Conflict, InvalidInput, LinkRefused, QuotaExceeded
from core.imaging.code_image import render_code_png
from core.imaging.collection_code import CollectionCode, encode_demo_code
from core.models import AccountLink, Notification, Payment, RosterRecord, StudentAccount, UploadBatch
from core.services import audit, batches, linking, notifications, quotas, review, support, tickets
from tests import factories as f


@pytest.fixture
def desk(env):
    """A linked, paid student on a temporary shooting code, a ticket about them, a support agent."""
    db, _ = env
    with db.session() as session:
        school = f.make_school(session)
        task = f.make_task(session, school)
        record = f.make_record(session, school, 1)
        student = f.make_linked_student(session, task, record)
        agent = f.actor_of(f.make_staff(session, Role.SUPPORT, "wang.support"))
        ticket = tickets.open_ticket(session, agent, category=TicketCategory.OTHER, subject="来电",
                                     roster_record_id=record.id)
        f.keep(session, student)
    return dict(school=school, task=task, record=record, student=student, agent=agent, ticket=ticket)


def events(db, record_id, action):
    with db.session() as session:
        found = audit.events_for(session, roster_record_id=record_id, action=action)
        f.keep(session, *found)
        return found


def ticket_notes(db, desk):
    with db.session() as session:
        return [n.body for n in tickets.detail(session, desk["agent"], desk["ticket"].id).notes]


def approved_photo(env, fixtures_dir, desk) -> int:
    """The student's real capture, processed by the real pipeline, submitted and approved."""
    db, store = env
    with db.session() as session:
        student = desk["student"]
        submission = f.submit_photo(session, store, student, fixtures_dir / "london" / "001_neutral.jpg")
        reviewer = f.actor_of(f.make_staff(session, Role.REVIEWER, "li.reviewer"))
        review.decide(session, reviewer, submission.id, Decision.APPROVE)
        assert submission.state is SubmissionState.APPROVED
        return submission.id


def export_in_batch(env, desk) -> None:
    """The real collection code arrives, the registrar builds the CHSI batch and exports it."""
    db, store = env
    record = desk["record"]
    with db.session() as session:
        support.link_uploaded_code(session, desk["agent"], record.id, code_png(record, "10486"), "学生发来采集码")
        registrar = f.actor_of(f.make_staff(session, Role.REGISTRAR, "reg.whu", school=desk["school"]))
        batch = batches.build_batch(session, registrar, desk["task"].id, store)
        batches.write_package(session, registrar, batch.id, store, io.BytesIO())
    with db.session() as session:
        assert session.get(UploadBatch, batch.id).status is BatchStatus.EXPORTED


def test_support_unbinds_a_paid_link_the_student_could_not(db, desk):
    student, agent, ticket = desk["student"], desk["agent"], desk["ticket"]
    with db.session() as session:
        with pytest.raises(LinkRefused):
            linking.unbind(session, student.actor, student.link.id)
    with db.session() as session:
        with pytest.raises(InvalidInput):
            support.unbind(session, agent, student.link.id, "  ", ticket_id=ticket.id)
        support.unbind(session, agent, student.link.id, "微信支付受限，换号支付", ticket_id=ticket.id)
    with db.session() as session:
        link = session.get(AccountLink, student.link.id)
        assert not link.active and link.unlinked_by == "Wang.Support"
    [event] = events(db, desk["record"].id, "link.unbind")
    assert event.detail["reason"] == "微信支付受限，换号支付" and event.actor_kind is ActorKind.STAFF
    assert any("已解绑微信账号" in n for n in ticket_notes(db, desk))


def test_unbinding_a_record_whose_approved_photo_is_in_an_exported_batch_is_refused(env, fixtures_dir, desk):
    db, _ = env
    approved_photo(env, fixtures_dir, desk)
    export_in_batch(env, desk)
    with db.session() as session, pytest.raises(LinkRefused) as refused:
        support.unbind(session, desk["agent"], desk["student"].link.id, "学生要求换号", ticket_id=desk["ticket"].id)
    assert refused.value.message_zh == "该学生的照片已审核通过并导出到学信网上传批次，不能解绑。"
    with db.session() as session:
        assert session.get(AccountLink, desk["student"].link.id).active
    assert events(db, desk["record"].id, "link.unbind") == []
    assert not any("解绑" in n for n in ticket_notes(db, desk))


def use_standardisations(db, desk, n: int) -> None:
    with db.session() as session:
        for _ in range(n):
            quotas.add_entry(session, desk["record"].id, QuotaKind.STANDARDISATION, QuotaEntryType.USE, actor=desk["student"].actor)


def test_reset_gives_back_todays_standardisations_and_is_audited(db, desk):
    use_standardisations(db, desk, 5)
    record_id = desk["record"].id
    with db.session() as session:
        assert support.student_view(session, desk["agent"], record_id).quota.standardisations_left_today == 0
        support.reset_daily_quota(session, desk["agent"], record_id, "拍摄光线问题，来电申请", ticket_id=desk["ticket"].id)
    with db.session() as session:
        assert support.student_view(session, desk["agent"], record_id).quota.standardisations_left_today == 5
        with pytest.raises(InvalidInput) as refused:
            support.reset_daily_quota(session, desk["agent"], record_id, "再来一次")
    assert "无需重置" in refused.value.message_zh
    [event] = events(db, record_id, "quota.grant")
    assert event.detail == {"kind": "standardisation", "amount": 5, "reason": "拍摄光线问题，来电申请"}
    assert any("已重置今日标准化次数（+5）" in n for n in ticket_notes(db, desk))


def test_extend_adds_to_today_and_refuses_amounts_outside_the_rule(db, desk):
    use_standardisations(db, desk, 3)
    with db.session() as session:
        support.extend_daily_quota(session, desk["agent"], desk["record"].id, 2, "多给两次")
        with pytest.raises(InvalidInput) as refused:
            support.extend_daily_quota(session, desk["agent"], desk["record"].id, 11, "太多")
    assert refused.value.message_zh == "每次可增加 1–10 次。"
    with db.session() as session:
        assert support.student_view(session, desk["agent"], desk["record"].id).quota.standardisations_left_today == 4
    assert [e.detail["amount"] for e in events(db, desk["record"].id, "quota.grant")] == [2]


def test_grant_free_submission(db, desk):
    with db.session() as session:
        support.grant_submission(session, desk["agent"], desk["record"].id, "审核争议补偿", ticket_id=desk["ticket"].id)
        view = support.student_view(session, desk["agent"], desk["record"].id)
    assert view.quota.free_submissions_left == 3
    [event] = events(db, desk["record"].id, "quota.grant")
    assert event.detail["kind"] == "submission" and event.detail["reason"] == "审核争议补偿"


def test_grant_replacement_before_approval(db, desk):
    with db.session() as session:
        support.grant_replacement(session, desk["agent"], desk["record"].id, "误提交")
        assert support.student_view(session, desk["agent"], desk["record"].id).quota.replacements_left == 2
    assert [e.detail["kind"] for e in events(db, desk["record"].id, "quota.grant")] == ["replacement"]


def test_granting_a_replacement_after_approval_is_refused_with_the_rule(env, fixtures_dir, desk):
    db, _ = env
    approved_photo(env, fixtures_dir, desk)
    with db.session() as session, pytest.raises(QuotaExceeded) as refused:
        support.grant_replacement(session, desk["agent"], desk["record"].id, "学生想换照片", ticket_id=desk["ticket"].id)
    assert refused.value.message_zh == "该学生的照片已通过审核，通过审核后不允许更换照片，不能赠送更换次数。"
    assert events(db, desk["record"].id, "quota.grant") == []


def code_png(record: RosterRecord, school_code: str, **changes: str) -> bytes:
    fields = dict(school_code=school_code, student_number=record.student_number,
                  masked_name=mask_name(record.name), id_last4=record.id_last4)
    fields.update(changes)
    return render_code_png(encode_demo_code(CollectionCode(**fields)))


def test_agent_decodes_the_uploaded_code_and_links_it(db, desk):
    record = desk["record"]
    with db.session() as session:
        assert session.get(RosterRecord, record.id).on_temporary_code
        support.link_uploaded_code(session, desk["agent"], record.id, code_png(record, "10486"),
                                   "学生微信发来采集码图片", ticket_id=desk["ticket"].id)
    with db.session() as session:
        stored = session.get(RosterRecord, record.id)
        assert not stored.on_temporary_code and stored.collection_code_hash
    assert len(events(db, record.id, "link.collection_code")) == 1
    [why] = events(db, record.id, "support.link_code")
    assert why.detail["reason"] == "学生微信发来采集码图片" and why.detail["ticket_id"] == desk["ticket"].id


def test_uploaded_code_refusals_say_what_is_wrong_and_change_nothing(db, desk, fixtures_dir):
    record = desk["record"]
    cases = [
        (b"not an image at all", InvalidInput, "无法识别的文件"),
        ((fixtures_dir / "london" / "003_neutral.jpg").read_bytes(), InvalidInput, "未能在图片中识别到图像采集码"),
        (render_code_png(b"https://example.com/not-a-chsi-code"), InvalidInput, "不是有效的学信网图像采集码"),
        (code_png(record, "10486", student_number="2110999999"), LinkRefused, "采集码与填写的学籍信息不一致"),
    ]
    for image, error, text in cases:
        with db.session() as session, pytest.raises(error) as refused:
            support.link_uploaded_code(session, desk["agent"], record.id, image, "学生发来图片")
        assert text in refused.value.message_zh
    with db.session() as session:
        assert session.get(RosterRecord, record.id).on_temporary_code
        with pytest.raises(InvalidInput):
            support.link_uploaded_code(session, desk["agent"], record.id, code_png(record, "10486"), "")
    assert events(db, record.id, "link.collection_code") == []


def test_mark_a_payment_refunded_once(db, desk):
    with db.session() as session:
        payment_id = session.scalars(select(Payment.id).where(Payment.roster_record_id == desk["record"].id)).one()
        support.refund(session, desk["agent"], payment_id, "重复支付，已线下退款", ticket_id=desk["ticket"].id)
    with db.session() as session:
        assert session.get(Payment, payment_id).status is PaymentStatus.REFUNDED
        with pytest.raises(Conflict) as refused:
            support.refund(session, desk["agent"], payment_id, "再退一次")
    assert refused.value.message_zh == "只有已支付的订单可以退款。"
    [event] = events(db, desk["record"].id, "payment.refund")
    assert event.detail["reason"] == "重复支付，已线下退款" and event.detail["amount_fen"] == 2500


def test_resend_a_notification(db, desk):
    with db.session() as session:
        f.allow_wechat_messages(session, session.get(StudentAccount, desk["student"].account.id))
        original = notifications.notify(session, desk["record"].id, "review_result", "审核通过", "您的照片已通过人工审核")
        session.flush()
        with pytest.raises(InvalidInput):
            support.resend_notification(session, desk["agent"], original.id, "")
        copy = support.resend_notification(session, desk["agent"], original.id, "学生未收到通知",
                                           ticket_id=desk["ticket"].id)
        f.keep(session, original)
    with db.session() as session:
        sent = session.scalars(select(Notification).order_by(Notification.id)).all()
        f.keep(session, *sent)
    assert [(n.title, n.data.get("resent_of")) for n in sent] == [("审核通过", None), ("审核通过", original.id)]
    assert sent[1].account_id == desk["student"].account.id and sent[1].delivered_at is not None
    [event] = events(db, desk["record"].id, "notification.resend")
    assert event.entity_id == copy.id and event.detail["reason"] == "学生未收到通知"


def test_no_action_for_other_roles(db, desk):
    with db.session() as session:
        reviewer = f.actor_of(f.make_staff(session, Role.REGISTRAR, "reg", school=desk["school"]))
        payment = session.scalars(select(Payment)).first()
        for action in (
            lambda: support.unbind(session, reviewer, desk["student"].link.id, "x"),
            lambda: support.refund(session, reviewer, payment.id, "x"),
            lambda: support.link_uploaded_code(session, reviewer, desk["record"].id, b"x", "x"),
        ):
            with pytest.raises(AccessDenied):
                action()
