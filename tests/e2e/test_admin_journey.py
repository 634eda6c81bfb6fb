"""The admin sets up a season in a real browser: a new school, its collection task and its registrar;
the registrar then signs in, must replace the initial password, and sees only that school."""

from __future__ import annotations

import re

from playwright.sync_api import TimeoutError as PlaywrightTimeout
from sqlalchemy import select

from core.domain.enums import Role, TaskStatus
from core.models import CollectionTask, School, StaffUser
from tests import factories as f
from tests.e2e.conftest import login, screenshot, settled

REGISTRAR_PASSWORD = "Ccnu2025init"


def open_page(page, link: str) -> None:
    more = page.get_by_test_id("stSidebarNav").get_by_text(re.compile(r"^展开其余 \d+ 项$"))
    if more.count():
        more.click()
    page.get_by_role("link", name=link, exact=True).click()
    page.get_by_role("heading", name=link).first.wait_for()


def choose(page, label: str, option: str, scope=None) -> None:
    """Picks an option of a Streamlit selectbox (the list opens at the page level). A rerun that
    lands while the list is open closes or redraws it, so the list is opened only once the page has
    settled, and reopened up to three times."""
    box = (scope or page).get_by_label(label).first
    choice = page.get_by_role("option", name=option).first
    for _ in range(3):
        settled(page)
        box.click()
        try:
            choice.click(timeout=7_000)
        except PlaywrightTimeout:
            page.keyboard.press("Escape")
            continue
        return
    raise AssertionError(f"option {option!r} of {label!r} never appeared")


def expander(page, title: str):
    box = page.get_by_test_id("stExpander").filter(has_text=title)
    box.get_by_text(title).first.click()
    return box


def test_admin_sets_up_a_school_task_and_registrar_who_sees_only_that_school(live_app, page):
    def seed(session, store):
        other = f.make_school(session, "10487", "华中科技大学")
        f.make_task(session, other, title="华科2025届毕业生采集")
        f.make_record(session, other, 90, name="外校学生")
        f.make_staff(session, Role.ADMIN, "admin")

    app = live_app(seed, worker=False)
    login(page, app.url, "admin", f.PASSWORD)

    open_page(page, "学校")
    form = expander(page, "新建学校")
    form.get_by_label("院校代码（学信网）").fill("10511")
    form.get_by_label("学校名称").fill("华中师范大学")
    form.get_by_label("简称").fill("华师")
    form.get_by_label("学籍部门联系方式").fill("027-67868120")
    form.get_by_role("button", name="创建学校").click()
    page.get_by_text("已创建学校：华中师范大学").wait_for()
    screenshot(page, "admin_01_school_created")

    open_page(page, "采集任务")
    form = expander(page, "新建采集任务")
    choose(page, "所属学校", "10511 华中师范大学", form)
    form.get_by_label("届别").fill("2027届")
    form.get_by_label("任务名称（学生可见）").fill("华师2027届毕业生学历图像采集")
    form.get_by_text("进行中").click()
    form.get_by_role("button", name="创建任务").click()
    page.get_by_text("已创建采集任务：华师2027届毕业生学历图像采集").wait_for()
    screenshot(page, "admin_02_task_created")

    open_page(page, "员工账号")
    form = expander(page, "新建账号")
    form.get_by_label("用户名").fill("reg.ccnu")
    form.get_by_label("姓名").fill("华师学籍科")
    choose(page, "角色", "学籍管理员", form)
    choose(page, "学校（学籍管理员必填）", "华中师范大学", form)
    form.get_by_label("初始密码（留空则自动生成）").fill(REGISTRAR_PASSWORD)
    form.get_by_role("button", name="创建账号").click()
    page.get_by_text("已创建账号：reg.ccnu").wait_for()
    screenshot(page, "admin_03_registrar_created")

    open_page(page, "审计日志")
    page.get_by_text(re.compile(r"^共 \d+ 条，第 1/1 页$")).wait_for()
    page.get_by_test_id("stDataFrame").first.wait_for()
    screenshot(page, "admin_06_audit_log")
    open_page(page, "阈值与规则")
    page.get_by_text("质量检查阈值（只读）").wait_for()
    screenshot(page, "admin_07_policy")
    open_page(page, "运行状态")
    page.get_by_text("存储与版本").wait_for()
    screenshot(page, "admin_08_operations")

    with app.db.session() as session:
        school = session.scalar(select(School).where(School.code == "10511"))
        task = session.scalar(select(CollectionTask).where(CollectionTask.school_id == school.id))
        registrar = session.scalar(select(StaffUser).where(StaffUser.username == "reg.ccnu"))
        assert (task.title, task.cohort, task.status) == ("华师2027届毕业生学历图像采集", "2027届", TaskStatus.OPEN)
        assert (registrar.role, registrar.school_id, registrar.must_change_password) == (
            Role.REGISTRAR, school.id, True)

    page.get_by_role("button", name="退出登录").click()
    page.get_by_role("button", name="退出登录").wait_for(state="detached")
    page.get_by_label("用户名").fill("reg.ccnu")
    page.get_by_label("密码").fill(REGISTRAR_PASSWORD)
    page.get_by_role("button", name="登录", exact=True).click()
    page.get_by_role("heading", name="请修改密码").wait_for()
    page.get_by_label("当前密码").fill(REGISTRAR_PASSWORD)
    page.get_by_label("新密码", exact=True).fill("Ccnu2025mine")
    page.get_by_label("再次输入新密码").fill("Ccnu2025mine")
    screenshot(page, "admin_04_registrar_must_change_password")
    page.get_by_role("button", name="保存新密码").click()
    page.get_by_role("button", name="退出登录").wait_for()

    open_page(page, "学籍名单")
    page.get_by_text("华中师范大学（10511）").wait_for()
    open_page(page, "采集进度")
    page.get_by_text("华中师范大学（10511）").wait_for()
    page.get_by_label("采集任务").first.click()
    options = page.get_by_role("option").all_inner_texts()
    assert len(options) == 2 and options[1].startswith("华师2027届毕业生学历图像采集"), options
    page.get_by_role("option", name="华师2027届毕业生学历图像采集").click()
    page.get_by_text("暂无数据").first.wait_for()  # the new task has no students yet: no chart of zeros
    screenshot(page, "admin_05_registrar_sees_only_their_school")
    body = page.locator("body").inner_text()
    assert "华中科技大学" not in body and "华科2025届毕业生采集" not in body
    sidebar = page.get_by_test_id("stSidebar").inner_text()
    for admin_page in ("学校", "采集任务", "员工账号", "阈值与规则", "审计日志", "运行状态"):
        assert admin_page not in sidebar.split("\n"), admin_page
