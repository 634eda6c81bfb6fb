"""第六、七步: identity check with the collection code (uploaded or scanned), masked confirmation,
linking, every refusal with what to do, and the 24-hour lock after repeated failures."""

from __future__ import annotations

import io

from PIL import Image
from sqlalchemy import func, select

from core.models import AccountLink, RosterRecord, StudentAccount
from uikit.plain import visible
from tests import factories as f
from tests.student.conftest import at_identity_check, code_png, fill_identity, signed_in, texts


def as_camera_jpeg(png: bytes) -> bytes:
    """What the phone camera delivers when pointed at the code: a JPEG frame."""
    out = io.BytesIO()
    Image.open(io.BytesIO(png)).convert("RGB").save(out, "JPEG", quality=90)
    return out.getvalue()


def test_uploaded_code_verifies_shows_the_masked_record_and_links(db, student_app, seeded):
    s = seeded()
    at = signed_in(student_app())
    at_identity_check(at, s)
    fill_identity(at, s.name, s.student_number, s.id_last4, s.code_png)
    card = texts(at)
    assert "姓名：**丁*云**" in card and "丁白云" not in card
    assert f"学号：**{s.student_number}**" in card and "院校代码：**10486**" in card
    assert "已查询到您的学籍信息" in card
    at.button(key="confirm_link").click().run()
    assert at.button(key="pay")  # linked, now the payment screen
    with db.session() as session:
        link = session.scalar(select(AccountLink))
        record = session.get(RosterRecord, s.record_id)
        assert link.active and link.roster_record_id == s.record_id
        assert record.collection_code_hash is not None and not record.on_temporary_code


def test_code_scanned_live_with_the_camera(db, student_app, seeded):
    s = seeded()
    at = signed_in(student_app())
    at_identity_check(at, s)
    at.radio(key="code_source").set_value("scan").run()
    assert not at.file_uploader
    at.camera_input(key="code_camera").set_value(("code.jpg", as_camera_jpeg(s.code_png), "image/jpeg"))
    at.run()
    assert "已识别采集码：丁*云" in visible(at.success[0].value)
    fill_identity(at, s.name, s.student_number, s.id_last4, None)
    at.button(key="confirm_link").click().run()
    with db.session() as session:
        assert session.get(RosterRecord, s.record_id).collection_code_hash is not None


def test_back_from_confirmation_does_not_link(db, student_app, seeded):
    s = seeded()
    at = signed_in(student_app())
    at_identity_check(at, s)
    fill_identity(at, s.name, s.student_number, s.id_last4, s.code_png)
    at.button(key="confirm_back").click().run()
    assert at.button(key="verify")
    with db.session() as session:
        assert session.scalar(select(func.count(AccountLink.id))) == 0


def test_not_on_the_roster_is_told_to_contact_the_registrar(db, student_app, seeded):
    s = seeded()
    at = signed_in(student_app())
    at_identity_check(at, s)
    fill_identity(at, s.name, "2110999999", s.id_last4, s.code_png)
    assert "请联系学籍部门添加信息" in at.error[0].value
    assert "还可尝试 4 次" in texts(at)


def test_student_with_a_chsi_photo_is_told_no_new_photo_is_needed(db, student_app, seeded):
    s = seeded(record={"has_chsi_photo": True})
    at = signed_in(student_app())
    at_identity_check(at, s)
    fill_identity(at, s.name, s.student_number, s.id_last4, s.code_png)
    assert "无需再拍摄" in at.error[0].value


def test_someone_elses_code_is_refused_with_what_to_do(db, student_app, seeded):
    s = seeded()
    with db.session() as session:
        other = f.make_record(session, session.get(RosterRecord, s.record_id).school, 2, name="王小明")
        other_code = code_png(other, "10486")
    at = signed_in(student_app())
    at_identity_check(at, s)
    fill_identity(at, s.name, s.student_number, s.id_last4, other_code)
    message = at.error[0].value
    assert "采集码与填写的学籍信息不一致" in message and "不要使用截图" in message


def test_an_image_without_a_code_is_refused_at_once(db, student_app, seeded, fixtures_dir):
    s = seeded()
    at = signed_in(student_app())
    at_identity_check(at, s)
    photo = (fixtures_dir / "london" / "001_neutral.jpg").read_bytes()
    at.file_uploader(key="code_upload").upload("截图.jpg", photo, "image/jpeg")
    at.run()
    assert "未能在图片中识别到图像采集码" in at.error[0].value and "不要截图" in at.error[0].value


def test_a_file_that_is_no_image_is_refused(db, student_app, seeded):
    s = seeded()
    at = signed_in(student_app())
    at_identity_check(at, s)
    at.file_uploader(key="code_upload").upload("code.png", b"not a png at all", "image/png")
    at.run()
    assert "请上传从学信网下载保存的图像采集码图片" in at.error[0].value


def test_missing_fields_code_or_consent_are_refused_without_counting_an_attempt(db, student_app, seeded):
    s = seeded()
    at = signed_in(student_app())
    at_identity_check(at, s)
    fill_identity(at, s.name, "", s.id_last4, s.code_png)
    assert "请填写姓名、学号和证件号后4位" in at.error[0].value
    at.text_input(key="verify_number").input(s.student_number)
    at.checkbox(key="consent").uncheck()
    at.button(key="verify").click().run()
    assert "用户服务协议" in at.error[0].value
    at.checkbox(key="consent").check()
    at.file_uploader(key="code_upload").clear()
    at.button(key="verify").click().run()
    assert "请上传或扫描学信网图像采集码" in at.error[0].value
    with db.session() as session:
        assert session.scalar(select(StudentAccount)).failed_verifications == 0


def test_five_failures_lock_the_check_for_24_hours_through_the_ui(db, student_app, seeded):
    s = seeded()
    other_phone = signed_in(student_app())  # the same WeChat account, form filled in before the lock
    at_identity_check(other_phone, s)
    other_phone.text_input(key="verify_name").input(s.name)
    other_phone.text_input(key="verify_number").input(s.student_number)
    other_phone.text_input(key="verify_last4").input(s.id_last4)
    other_phone.file_uploader(key="code_upload").upload("采集码.png", s.code_png, "image/png")
    other_phone.checkbox(key="consent").check()
    other_phone.run()
    at = signed_in(student_app())
    at_identity_check(at, s)
    for _attempt in range(5):
        fill_identity(at, s.name, s.student_number, "9999", s.code_png)
    assert "已锁定 24 小时" in at.error[0].value
    at.run()
    assert "身份核验失败次数过多，已锁定至" in at.error[0].value
    assert at.button(key="verify").disabled
    other_phone.button(key="verify").click().run()  # right details, but the check is locked
    assert "已锁定" in other_phone.error[0].value
    assert "confirm_link" not in [b.key for b in other_phone.button]
    with db.session() as session:
        account = session.scalar(select(StudentAccount))
        assert account.verification_locked_until is not None
        assert session.scalar(select(func.count(AccountLink.id))) == 0


def test_record_linked_to_another_wechat_account_is_refused(db, student_app, seeded):
    s = seeded()
    first = signed_in(student_app(), "本人")
    at_identity_check(first, s)
    fill_identity(first, s.name, s.student_number, s.id_last4, s.code_png)
    first.button(key="confirm_link").click().run()
    second = signed_in(student_app(), "别人")
    at_identity_check(second, s)
    fill_identity(second, s.name, s.student_number, s.id_last4, s.code_png)
    assert "已被其他微信号关联" in second.error[0].value


def test_temporary_shooting_code_links_without_a_code_and_holds_the_photo(db, student_app, seeded):
    s = seeded()
    at = signed_in(student_app())
    at.button(key="home_services").click().run()
    at.button(key="svc_temporary").click().run()
    at.text_input(key="school_query").input("武汉").run()
    at.button(key=f"school_{s.school_id}").click().run()
    at.button(key=f"task_{s.task_id}").click().run()
    assert "临时拍摄码" in texts(at) and not at.file_uploader
    fill_identity(at, s.name, s.student_number, s.id_last4, None)
    at.button(key="confirm_link").click().run()
    with db.session() as session:
        assert session.get(RosterRecord, s.record_id).on_temporary_code
        assert session.get(RosterRecord, s.record_id).collection_code_hash is None


def test_the_form_keeps_what_was_typed_while_the_student_reads_how_to_get_the_code(db, student_app, seeded):
    s = seeded()
    at = signed_in(student_app())
    at_identity_check(at, s)
    at.text_input(key="verify_name").input(s.name)
    at.text_input(key="verify_number").input(s.student_number)
    at.text_input(key="verify_last4").input(s.id_last4)
    at.file_uploader(key="code_upload").upload("采集码.png", s.code_png, "image/png")
    at.checkbox(key="consent").check()
    at.run()
    # the answer is read beside the form, on the same page: nothing is left behind
    [help_] = [e for e in at.expander if e.label == "如何获取采集码？"]
    assert "学信网学信档案" in "\n".join(m.value for m in help_.markdown)
    assert at.text_input(key="verify_name").value == s.name

    # leaving the page (back to the task list) and coming back keeps what was typed, and the code image
    at.button(key="back_task").click().run()
    assert "verify_name" not in [t.key for t in at.text_input]
    at.button(key=f"task_{s.task_id}").click().run()
    assert at.text_input(key="verify_name").value == s.name
    assert at.text_input(key="verify_number").value == s.student_number
    assert at.text_input(key="verify_last4").value == s.id_last4
    assert at.checkbox(key="consent").value
    assert "已保留您离开前上传的采集码" in texts(at) and "已识别采集码：丁*云" in texts(at)
    at.button(key="verify").click().run()
    assert "已查询到您的学籍信息" in texts(at)
    at.button(key="confirm_link").click().run()
    with db.session() as session:
        assert session.get(RosterRecord, s.record_id).collection_code_hash is not None


def test_a_new_enrolment_starts_with_an_empty_form(db, student_app, seeded):
    """What was kept belongs to one enrolment: after linking, nothing typed lingers."""
    s = seeded()
    at = signed_in(student_app())
    at_identity_check(at, s)
    fill_identity(at, s.name, s.student_number, s.id_last4, s.code_png)
    at.button(key="confirm_link").click().run()
    assert at.button(key="pay")
    for key in ("_kept_verify_name", "_kept_verify_last4", "_kept_consent", "verify_name", "code_parked_enrol"):
        assert key not in at.session_state, key

