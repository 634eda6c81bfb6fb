"""Linking rules: identity check with the collection code, lock-out, one account per record,
mailing address, temporary shooting code and uploading the real code later."""

from __future__ import annotations

import io
from datetime import timedelta

import numpy as np
import pytest
from PIL import Image

from core.domain.access import Actor
from core.domain.enums import MailingMode, Role
from core.domain.identity import mask_name
from core.errors import AccessDenied, Conflict, InvalidInput, LinkRefused
from core.imaging.code_image import render_code_png
from core.imaging.collection_code import CollectionCode, decode_collection_code, encode_demo_code
from core.models import RosterRecord, utcnow
from core.services import linking, wechat
from core.services.linking import MailingAddress
from tests import factories as f


def decoded(record: RosterRecord, school_code: str = "10486"):
    png = render_code_png(encode_demo_code(
        CollectionCode(school_code, record.student_number, mask_name(record.name), record.id_last4)))
    return decode_collection_code(np.asarray(Image.open(io.BytesIO(png)).convert("RGB")))


def setup(session, **task):
    school = f.make_school(session)
    return school, f.make_task(session, school, **task), f.make_record(session, school, 1)


def verify(session, account, task, record, *, last4=None, code="own", now=None):
    return linking.verify_identity(
        session, account, task.id, name=record.name, student_number=record.student_number,
        id_last4=last4 or record.id_last4, code=decoded(record) if code == "own" else code, now=now)


def test_matching_details_and_code_find_the_record(db):
    with db.session() as session:
        _, task, record = setup(session)
        account = wechat.sign_in(session, "小丁")
        outcome = verify(session, account, task, record)
        assert outcome.error is None and outcome.record.id == record.id
        assert outcome.masked_name == "丁*云"


def test_full_width_and_spaces_in_the_typed_details_still_match(db):
    with db.session() as session:
        _, task, record = setup(session)
        account = wechat.sign_in(session, "小丁")
        full_width = record.student_number.translate({ord(c): ord(c) + 0xFEE0 for c in "0123456789"})
        outcome = linking.verify_identity(session, account, task.id, name=" 丁白云 ", student_number=full_width,
                                          id_last4=record.id_last4, code=decoded(record))
        assert outcome.error is None


def test_failures_count_down_and_lock_for_24_hours_then_release(db):
    with db.session() as session:
        _, task, record = setup(session)
        account = wechat.sign_in(session, "小丁")
        start = utcnow()
        lefts = [verify(session, account, task, record, last4="0000", now=start).attempts_left for _ in range(4)]
        assert lefts == [4, 3, 2, 1]
        fifth = verify(session, account, task, record, last4="0000", now=start)
        assert "已锁定 24 小时" in fifth.error.message_zh and fifth.attempts_left is None
        locked = verify(session, account, task, record, now=start + timedelta(hours=23))
        assert locked.record is None and "锁定" in locked.error.message_zh
        assert verify(session, account, task, record, now=start + timedelta(hours=24, seconds=1)).record is not None


def test_an_unreadable_code_counts_as_a_failure_and_says_to_download_again(db):
    with db.session() as session:
        _, task, record = setup(session)
        account = wechat.sign_in(session, "小丁")
        blank = decode_collection_code(np.full((200, 200, 3), 255, np.uint8))
        outcome = verify(session, account, task, record, code=blank)
        assert "重新下载图像采集码" in outcome.error.message_zh and outcome.attempts_left == 4


def test_one_code_cannot_serve_two_records(db):
    with db.session() as session:
        school, task, record = setup(session)
        twin = f.make_record(session, school, 2)
        record.collection_code_hash = decoded(twin).code_hash
        session.flush()
        account = wechat.sign_in(session, "同学二")
        outcome = verify(session, account, task, twin)
        assert "已被其他学籍使用" in outcome.error.message_zh


def test_an_account_cannot_link_a_second_record_in_the_same_task(db):
    with db.session() as session:
        school, task, record = setup(session)
        friend = f.make_record(session, school, 2, name="王小明")
        account = wechat.sign_in(session, "小丁")
        linking.link_account(session, account, task.id, record, code=decoded(record))
        outcome = verify(session, account, task, friend)
        assert "仅限本人操作" in outcome.error.message_zh


def test_closed_task_refuses_linking(db):
    with db.session() as session:
        today = utcnow().date()
        _, task, record = setup(session, opens_on=today - timedelta(days=20), closes_on=today - timedelta(days=1))
        account = wechat.sign_in(session, "小丁")
        assert "未开放或已结束" in verify(session, account, task, record).error.message_zh
        with pytest.raises(LinkRefused):
            linking.link_account(session, account, task.id, record, code=decoded(record))


@pytest.mark.parametrize("recipient, phone, address, message", [
    ("丁", "13800271234", "湖北省武汉市洪山区珞喻路129号", "收件人"),
    ("丁白云", "027-8788555", "湖北省武汉市洪山区珞喻路129号", "手机号码"),
    ("丁白云", "13800271234", "家里", "详细邮寄地址"),
    ("丁白云", "13800271234", "Flat 1, some where far away", "详细邮寄地址"),
])
def test_mailing_address_is_validated_when_the_task_mails_to_the_student(db, recipient, phone, address, message):
    with db.session() as session:
        _, task, record = setup(session, mailing_mode=MailingMode.TO_STUDENT)
        account = wechat.sign_in(session, "小丁")
        with pytest.raises(InvalidInput) as refused:
            linking.link_account(session, account, task.id, record, code=decoded(record),
                                 mailing_address=MailingAddress(recipient, phone, address))
        assert message in refused.value.message_zh
        with pytest.raises(InvalidInput) as missing:
            linking.link_account(session, account, task.id, record, code=decoded(record))
        assert "邮寄地址" in missing.value.message_zh


def test_address_ignored_when_photos_go_to_the_school(db):
    with db.session() as session:
        _, task, record = setup(session)
        account = wechat.sign_in(session, "小丁")
        link = linking.link_account(session, account, task.id, record, code=decoded(record),
                                    mailing_address=MailingAddress("x", "y", "z"))
        assert link.mailing_address == ""


def test_temporary_code_then_the_real_code_releases_the_hold(db):
    with db.session() as session:
        _, task, record = setup(session)
        account = wechat.sign_in(session, "小丁")
        linking.link_account(session, account, task.id, record, code=None)
        assert record.on_temporary_code and record.collection_code_hash is None
        student = Actor.student(account.id, account.nickname)
        linking.link_collection_code(session, student, record, decoded(record))
        assert not record.on_temporary_code and record.collection_code_hash == decoded(record).code_hash
        with pytest.raises(Conflict, match="already has"):
            linking.link_collection_code(session, student, record, decoded(record))


def test_a_student_cannot_upload_a_code_for_someone_elses_record(db):
    with db.session() as session:
        school, task, record = setup(session)
        other = f.make_record(session, school, 2, name="王小明")
        account = wechat.sign_in(session, "小丁")
        linking.link_account(session, account, task.id, record, code=None)
        with pytest.raises(AccessDenied):
            linking.link_collection_code(session, Actor.student(account.id, "小丁"), other, decoded(other))


def test_wrong_code_for_the_temporary_record_is_refused(db):
    with db.session() as session:
        school, task, record = setup(session)
        other = f.make_record(session, school, 2, name="王小明")
        account = wechat.sign_in(session, "小丁")
        linking.link_account(session, account, task.id, record, code=None)
        with pytest.raises(LinkRefused, match="does not match"):
            linking.link_collection_code(session, Actor.student(account.id, "小丁"), record, decoded(other))
        assert record.on_temporary_code


def test_student_cannot_unbind_a_paid_link_but_support_can_with_a_reason(db):
    with db.session() as session:
        _school, task, record = setup(session)
        student = f.make_linked_student(session, task, record)
        with pytest.raises(LinkRefused, match="cannot be unbound by the student"):
            linking.unbind(session, student.actor, student.link.id)
        support = f.actor_of(f.make_staff(session, Role.SUPPORT))
        with pytest.raises(InvalidInput):
            linking.unbind(session, support, student.link.id)
        assert not linking.unbind(session, support, student.link.id, "换微信号").active


def test_notice_acknowledgement_is_kept_once(db):
    with db.session() as session:
        account = wechat.sign_in(session, "小丁")
        linking.acknowledge_notice(session, account)
        first = account.notice_acknowledged_at
        linking.acknowledge_notice(session, account)
        assert first is not None and account.notice_acknowledged_at == first


def test_development_openid_is_stable_and_distinct(db):
    provider = wechat.DevelopmentIdentityProvider()
    assert provider.identify("", "小丁") == provider.identify("", " 小丁 ")
    assert provider.identify("", "小丁").openid != provider.identify("", "小丁丁").openid
    with pytest.raises(InvalidInput):
        provider.identify("", "x" * 33)
