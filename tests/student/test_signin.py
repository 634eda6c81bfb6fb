"""Sign-in with the development WeChat adapter and the notice that must be acknowledged."""

from __future__ import annotations

from sqlalchemy import func, select

from core.models import StudentAccount
from tests.student.conftest import signed_in, texts


def test_nickname_signs_in_to_the_same_account_every_time(db, student_app):
    first = signed_in(student_app(), "小丁")
    assert "尚未关联采集任务" in texts(first)
    second = student_app().run()
    second.text_input(key="nickname").input("小丁")
    second.button(key="sign_in").click().run()
    assert second.session_state["student_account_id"] == first.session_state["student_account_id"]
    assert second.button(key="home_collect")  # notice already acknowledged: straight to home
    with db.session() as session:
        assert session.scalar(select(func.count(StudentAccount.id))) == 1
        account = session.scalar(select(StudentAccount))
        assert account.wechat_openid.startswith("dev-") and account.nickname == "小丁"


def test_empty_nickname_is_refused(db, student_app):
    at = student_app().run()
    at.text_input(key="nickname").input("  ")
    at.button(key="sign_in").click().run()
    assert "请填写微信昵称" in at.error[0].value
    assert "student_account_id" not in at.session_state


def test_notice_must_be_acknowledged(db, student_app):
    at = student_app().run()
    at.text_input(key="nickname").input("小丁")
    at.button(key="sign_in").click().run()
    assert "线上采集只能手机实时拍摄，不能使用相册照片" in texts(at)
    assert "禁止使用微信电脑客户端" in texts(at)
    at.button(key="notice_next").click().run()
    assert "请先勾选" in at.warning[0].value
    with db.session() as session:
        assert session.scalar(select(StudentAccount)).notice_acknowledged_at is None
    at.checkbox(key="notice_ack").check()
    at.button(key="notice_next").click().run()
    assert at.button(key="home_collect")
    with db.session() as session:
        assert session.scalar(select(StudentAccount)).notice_acknowledged_at is not None


def test_sign_out_returns_to_sign_in(db, student_app):
    at = signed_in(student_app())
    at.button(key="sign_out").click().run()
    assert at.text_input(key="nickname")
    assert "student_account_id" not in at.session_state


def test_english_on_request(db, student_app):
    at = signed_in(student_app())
    at.radio(key="student_lang").set_value("English").run()
    assert at.button(key="home_collect").label == "Start / continue"
