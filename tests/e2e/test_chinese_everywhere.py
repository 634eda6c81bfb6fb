"""In Chromium, every page of every role in the Chinese UI reads in Chinese: the visible text
(``document.body.innerText``, icon glyph names aside) holds no English word outside a short list of
names people use as they are (CHSI, QR, XLSX…). Streamlit's own widget texts count too: the file
uploader, select placeholders and the sidebar's "View more" (issue 14).

A page is read when Streamlit says its run is over (``data-test-script-state`` on the app), not after
a fixed wait; the staff roles share one server, each signed in on the database as it was seeded."""

from __future__ import annotations

import re
import sqlite3
from contextlib import closing
from datetime import timedelta
from pathlib import Path

from sqlalchemy.engine import make_url

from core.domain.enums import Decision, Role, SubmissionState, TicketCategory
from core.models import utcnow
from core.services import linking, review, staff, tickets
from tests import factories as f
from tests.core.services import registrar_world as w
from tests.e2e.conftest import login, screenshot, settled, sign_out, take_photo
from tests.e2e.test_student_journey import _last4
from tests.student.conftest import code_png
from workbench.navigation import pages_for

ALLOWED = {"CHSI", "QR", "XLSX", "CSV", "ZIP", "ID", "SHA", "JPEG", "PNG", "HEIC", "WebP", "MB", "KB", "QQ",
           "JPG", "Excel", "GBK", "TXT", "Ctrl", "Enter", "Esc", "English"}
"""Names people use as they are. "English" is the language switch's own choice ("语言 / Language" too)."""
TOKEN = re.compile(r"[A-Za-z0-9_'’-]+")
KEY = re.compile(r"^[A-Z]$")
"""A single capital letter is a keyboard key (the review shortcuts), not a word."""
USERS = {Role.ADMIN: ("guanli", "管理员老王"), Role.REVIEWER: ("shenhe", "审核员小李"),
         Role.SENIOR_REVIEWER: ("fuhe", "复核员老陈"), Role.REGISTRAR: ("xueji", "武大学籍科"),
         Role.SUPPORT: ("kefu", "客服小周")}
VISIBLE_TEXT = """() => {
  const style = document.createElement("style");
  style.textContent = "[data-testid=stIconMaterial], [translate=no], code {display: none !important}";
  document.head.appendChild(style);
  const text = document.body.innerText;
  style.remove();
  return text;
}"""
"""The page's prose: icons' names, text marked not to be translated, and code (a command is typed as it
is, e.g. the operations page's ``python -m core worker``) are left out."""


WHERE = """(word) => {
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let n = walker.nextNode(); n; n = walker.nextNode()) {
    if (n.data.includes(word) && !n.parentElement.closest("script, style")) {
      return n.parentElement.parentElement.outerHTML.slice(0, 600);
    }
  }
  return "";
}"""
"""Where a word was found, for the failure message."""


def english_words(text: str, also_allowed: set[str]) -> list[str]:
    lines = [line for line in text.splitlines() if "语言 / Language" not in line]
    tokens = TOKEN.findall("\n".join(lines))
    words = {t.strip("'’-_") for t in tokens if re.search("[A-Za-z]", t) and not re.search("[0-9]", t)}
    allowed = {a.upper() for a in ALLOWED | also_allowed}  # file types show as CSV or csv, JPG or jpg
    return sorted(w for w in words if w and w.upper() not in allowed and not KEY.match(w))


def seeder(fixtures_dir):
    def seed(session, store):
        school = f.make_school(session)
        task = f.make_task(session, school)
        users = {}
        for role, (username, name) in USERS.items():
            users[role] = staff.create_staff(session, f.SYSTEM, username=username, display_name=name, role=role,
                                             password=f.PASSWORD, school_id=school.id if role is Role.REGISTRAR else None,
                                             must_change_password=False)
        records = [f.make_record(session, school, n, name=name) for n, name in enumerate(("丁白云", "王小明", "李华"), 1)]
        account = linking.sign_in(session, "openid-zh", "小丁")
        linking.link_account(session, account, task.id, records[0], code=None)
        earlier = w.approved_photo(session, store, task, records[0], fixtures_dir)
        earlier.state, earlier.decided_at = SubmissionState.AWAITING_REVIEW, None
        session.flush()
        review.decide(session, f.actor_of(users[Role.REVIEWER]), earlier.id, Decision.REJECT, reason_code="other",
                      note="背景不是纯色")
        waiting = w.approved_photo(session, store, task, records[0], fixtures_dir)
        waiting.state, waiting.decided_at, waiting.attempt_number = SubmissionState.AWAITING_REVIEW, None, 2
        waiting.submitted_at = utcnow() - timedelta(minutes=5)
        w.approved_photo(session, store, task, records[1], fixtures_dir)
        tickets.open_ticket(session, f.actor_of(users[Role.SUPPORT]), category=TicketCategory.PAYMENT,
                            subject="付款后仍显示未支付", roster_record_id=records[0].id)
    return seed


IDLE = """() => {
  const app = document.querySelector('[data-testid=stApp]');
  return app !== null && app.dataset.testScriptState === 'notRunning'
    && !document.querySelector('[data-testid=stSkeleton]');
}"""
"""Streamlit's run is over and every lazily loaded widget (data grids, the uploader) has drawn."""
SHOWN = """(href) => {
  const current = document.querySelector('[data-testid=stSidebarNav] a[aria-current=page]');
  return current !== null && current.getAttribute('href') === href
    && document.querySelector('[data-testid=stMainBlockContainer] :is(h1, h2, h3, h4, h5, h6)') !== null;
}"""
"""The page of this link is the current one (Streamlit marks it when the page's run starts, not on the
click) and its run has drawn a heading (a click on a page link first clears the old page)."""
NEXT_FRAMES = "() => new Promise(done => requestAnimationFrame(() => requestAnimationFrame(done)))"


def read_words(page, also_allowed: set[str]) -> list[str]:
    """The English words on the page once its run is over and two reads a painted frame apart agree: a
    run cut short by a rerun (``st.rerun``, a click) also shows as not running until the next one starts."""
    text: str | None = None
    for _ in range(4):
        page.wait_for_function(IDLE, timeout=60_000)
        settled(page)
        again = page.evaluate(VISIBLE_TEXT)
        if again == text:
            break
        text = again
        page.evaluate(NEXT_FRAMES)
    assert text is not None
    return english_words(text, also_allowed)


def visit(page, title: str) -> None:
    """Opens a page from the sidebar (the page signed in on is already open: clicking it again would
    start a second run over the first) and waits until that page's run has started drawing."""
    nav = page.get_by_test_id("stSidebarNav")
    more = nav.get_by_text(re.compile(r"^(展开其余 \d+ 项|View \d+ more)$"))
    if more.count():
        more.click()
    link = nav.get_by_role("link", name=title, exact=True)
    if link.get_attribute("aria-current") != "page":
        link.click()
    page.wait_for_function(SHOWN, arg=link.get_attribute("href"), timeout=60_000)


def copy_database(source: Path, target: Path) -> None:
    """SQLite's online backup: a consistent copy while the app and the worker have the file open, and
    a restore they see from their next transaction on."""
    with closing(sqlite3.connect(source, timeout=30)) as src, closing(sqlite3.connect(target, timeout=30)) as dst:
        src.backup(dst)


def test_every_page_of_every_role_reads_in_chinese(live_app, page, fixtures_dir):
    """One server and worker for all roles, signed out in between. Each role starts from the database
    as seeded, as if alone: a role's visit changes what the next one would see (the review queue's
    claim on the waiting photo, sessions, the audit log)."""
    app = live_app(seeder(fixtures_dir))
    database = Path(str(make_url(app.db.url).database))
    seeded = app.data_dir / "seeded.db"
    copy_database(database, seeded)
    found: dict[str, dict[str, list[str]]] = {}
    data_words = {"openid-zh", "openid"}  # the student's WeChat id, from the data
    for n, role in enumerate(USERS):
        if n:
            sign_out(page)
            copy_database(seeded, database)
        login(page, app.url, USERS[role][0], f.PASSWORD)
        for spec in pages_for(role):
            visit(page, spec.title_zh)
            words = read_words(page, data_words)
            screenshot(page, f"chinese_{role.value}_{spec.path.stem}")
            if words:
                found.setdefault(role.value, {})[spec.title_zh] = words
    assert found == {}, f"English on Chinese pages: {found}"


def read_screen(phone, name: str, found: dict[str, list[str]]) -> None:
    words = read_words(phone, set())
    screenshot(phone, f"chinese_student_{name}")
    if words:
        found[name] = words + [phone.evaluate(WHERE, words[0])]


def test_every_student_screen_reads_in_chinese(live_app, phone, tmp_path, fixtures_dir):
    """The student app on a phone with a camera: sign-in, notice, home, school search, identity
    (the code uploader and camera), payment and the capture camera, results, inbox, services."""
    code_file = tmp_path / "采集码.png"

    def seed(session, store):
        school = f.make_school(session, "10486", "武汉大学")
        f.make_task(session, school)
        record = f.make_record(session, school, 1)
        code_file.write_bytes(code_png(record, school.code))

    app = live_app(seed, script="student/server.py")
    found: dict[str, list[str]] = {}
    phone.goto(app.url)
    phone.get_by_label("微信昵称").wait_for(timeout=120_000)
    read_screen(phone, "01_sign_in", found)
    phone.get_by_label("微信昵称").fill("小丁")
    phone.get_by_role("button", name="微信授权登录").click()
    phone.get_by_text("重要通知").wait_for()
    read_screen(phone, "02_notice", found)
    phone.get_by_text("我已阅读并理解以上通知").click()
    phone.get_by_role("button", name="我已经知晓，下一步").click()
    phone.get_by_role("button", name="去采集").wait_for()
    read_screen(phone, "03_home", found)
    for button, name in (("消息通知", "05_inbox"), ("其他服务与工具", "06_services")):
        phone.get_by_role("button", name=button).click()
        phone.get_by_role("button", name="‹ 返回").wait_for()
        read_screen(phone, name, found)
        phone.get_by_role("button", name="‹ 返回").click()
        phone.get_by_role("button", name="去采集").wait_for()
    phone.get_by_role("button", name="去采集").click()
    phone.get_by_label("学校名称").fill("whdx")
    phone.get_by_label("学校名称").press("Enter")
    phone.get_by_role("button", name="武汉大学（10486）").click()
    phone.get_by_role("button", name="选择此任务").click()
    phone.get_by_text("请如实填写以下核验信息").wait_for()
    read_screen(phone, "07_identity", found)
    phone.get_by_label("姓名").fill("丁白云")
    phone.get_by_label("学号").fill("2110000001")
    phone.locator('input[type="file"]').set_input_files(str(code_file))
    phone.get_by_text("已识别采集码：丁*云").wait_for()
    phone.get_by_label("证件号后4位").fill(_last4(app))
    phone.get_by_text("我已阅读并同意").click()
    read_screen(phone, "08_identity_filled", found)
    phone.get_by_role("button", name="提交核验").click()
    phone.get_by_role("button", name="关联任务").wait_for()
    phone.get_by_role("button", name="关联任务").click()
    phone.get_by_role("button", name="微信支付 ¥25.00").wait_for()
    read_screen(phone, "09_pay", found)
    phone.get_by_role("button", name="微信支付 ¥25.00").click()
    phone.get_by_role("button", name="拍照", exact=True).wait_for()
    read_screen(phone, "10_camera", found)
    take_photo(phone)
    phone.get_by_role("button", name="重新拍摄").wait_for()
    phone.get_by_role("button", name=re.compile("^满意，去制作")).wait_for()  # the run after the photo's upload
    read_screen(phone, "11_taken", found)
    phone.get_by_role("button", name="‹ 返回").click()
    phone.get_by_role("button", name="采集结果 · 我的上传").click()
    phone.get_by_role("button", name="‹ 返回").wait_for()
    read_screen(phone, "12_results", found)
    assert found == {}, f"English on the student's Chinese screens: {found}"
