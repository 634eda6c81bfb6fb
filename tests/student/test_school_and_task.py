"""第五步: fuzzy school search (open tasks only), category and task choice, mailing address."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from core.domain.enums import EducationCategory, MailingMode, TaskStatus
from core.models import AccountLink, utcnow
from tests import factories as f
from tests.student.conftest import at_identity_check, fill_identity, signed_in, texts


@pytest.mark.parametrize("query", ["whdx", "武汉", "wuhan", "武大", "10486"])
def test_search_finds_the_school_by_initials_partial_chinese_pinyin_and_code(db, student_app, seeded, query):
    s = seeded()
    at = signed_in(student_app())
    at.button(key="home_collect").click().run()
    at.text_input(key="school_query").input(query).run()
    assert at.button(key=f"school_{s.school_id}").label == "武汉大学（10486）"


def test_schools_without_an_open_task_in_its_window_are_not_shown(db, student_app):
    today = utcnow().date()
    with db.session() as session:
        f.make_task(session, f.make_school(session, "10001", "武汉理工大学"), status=TaskStatus.PAUSED)
        f.make_task(session, f.make_school(session, "10002", "武汉科技大学"),
                    opens_on=today + timedelta(days=3), closes_on=today + timedelta(days=30))
        f.make_task(session, f.make_school(session, "10003", "武汉纺织大学"),
                    opens_on=today - timedelta(days=30), closes_on=today - timedelta(days=1))
        f.make_school(session, "10004", "武汉工程大学")
        shown = f.make_school(session, "10005", "武汉轻工大学")
        f.make_task(session, shown)
    at = signed_in(student_app())
    at.button(key="home_collect").click().run()
    at.text_input(key="school_query").input("武汉").run()
    labels = [b.label for b in at.button if b.key and b.key.startswith("school_")]
    assert labels == ["武汉轻工大学（10005）"]
    at.text_input(key="school_query").input("北京").run()
    assert "没有找到开通采集任务的学校" in at.warning[0].value


def test_category_and_task_show_window_price_mailing_and_camera_rule(db, student_app):
    with db.session() as session:
        school = f.make_school(session)
        regular = f.make_task(session, school)
        graduate = f.make_task(session, school, category=EducationCategory.GRADUATE, title="2025届研究生图像采集",
                               price_fen=3000, front_camera_allowed=False, mailing_mode=MailingMode.TO_STUDENT)
    at = signed_in(student_app())
    at.button(key="home_collect").click().run()
    at.text_input(key="school_query").input("whdx").run()
    at.button(key=f"school_{school.id}").click().run()
    assert [o for o in at.radio(key="category").options] == ["普通本专科", "研究生"]
    assert at.button(key=f"task_{regular.id}")
    assert "¥25.00" in texts(at) and "默认邮寄学校或站点" in texts(at)
    at.radio(key="category").set_value(EducationCategory.GRADUATE).run()
    page = texts(at)
    assert "2025届研究生图像采集" in page and "¥30.00" in page
    assert "需填写本人真实有效的邮寄地址" in page
    assert "禁用前置摄像头" in page
    assert f"task_{regular.id}" not in [b.key for b in at.button]
    assert at.button(key=f"task_{graduate.id}")


def test_address_is_required_and_validated_only_where_the_task_mails_to_the_student(db, student_app, seeded):
    s = seeded(task={"mailing_mode": MailingMode.TO_STUDENT})
    at = signed_in(student_app())
    at_identity_check(at, s)
    at.text_input(key="addr_recipient").input("丁白云")
    at.text_input(key="addr_phone").input("12345")
    at.text_area(key="addr_address").input("湖北省武汉市洪山区珞喻路129号")
    fill_identity(at, s.name, s.student_number, s.id_last4, s.code_png)
    assert "请填写 11 位手机号码" in at.error[0].value
    assert "confirm_link" not in [b.key for b in at.button]
    at.text_input(key="addr_phone").input("138 0027 1234")
    at.text_area(key="addr_address").input("武汉")
    at.button(key="verify").click().run()
    assert "详细邮寄地址" in at.error[0].value
    at.text_area(key="addr_address").input("湖北省武汉市洪山区珞喻路129号")
    at.button(key="verify").click().run()
    at.button(key="confirm_link").click().run()
    with db.session() as session:
        link = session.scalar(select(AccountLink))
        assert link.mailing_address == "丁白云 13800271234 湖北省武汉市洪山区珞喻路129号"


def test_no_address_asked_when_photos_go_to_the_school(db, student_app, seeded):
    s = seeded()
    at = signed_in(student_app())
    at_identity_check(at, s)
    assert "addr_phone" not in [t.key for t in at.text_input]
