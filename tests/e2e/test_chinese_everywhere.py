"""In Chromium, every page of every role in the Chinese UI reads in Chinese: the visible text
(``document.body.innerText``, icon glyph names aside) holds no English word outside a short list of
names people use as they are (CHSI, QR, XLSX…). Streamlit's own widget texts count too: the file
uploader, select placeholders and the sidebar's "View more" (issue 14)."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

from core.domain.enums import Decision, Role, SubmissionState, TicketCategory
from core.models import utcnow
from core.services import linking, review, staff, tickets
from tests import factories as f
from tests.core.services import registrar_world as w
from tests.e2e.conftest import screenshot, settled
from workbench.navigation import pages_for

ALLOWED = {"CHSI", "QR", "XLSX", "CSV", "ZIP", "ID", "SHA", "JPEG", "PNG", "HEIC", "WebP", "MB", "KB", "QQ",
           "GBK", "jpg", "Ctrl", "Enter", "Esc", "English"}
"""Names people use as they are. "English" is the language switch's own choice ("语言 / Language" too)."""
TOKEN = re.compile(r"[A-Za-z0-9_'’-]+")
KEY = re.compile(r"^[A-Z]$")
"""A single capital letter is a keyboard key (the review shortcuts), not a word."""
USERS = {Role.ADMIN: ("guanli", "管理员老王"), Role.REVIEWER: ("shenhe", "审核员小李"),
         Role.SENIOR_REVIEWER: ("fuhe", "复核员老陈"), Role.REGISTRAR: ("xueji", "武大学籍科"),
         Role.SUPPORT: ("kefu", "客服小周")}
VISIBLE_TEXT = """() => {
  const style = document.createElement("style");
  style.textContent = "[data-testid=stIconMaterial], [translate=no] {display: none !important}";
  document.head.appendChild(style);
  const text = document.body.innerText;
  style.remove();
  return text;
}"""


def english_words(text: str, also_allowed: set[str]) -> list[str]:
    lines = [line for line in text.splitlines() if "语言 / Language" not in line]
    tokens = TOKEN.findall("\n".join(lines))
    words = {t.strip("'’-_") for t in tokens if re.search("[A-Za-z]", t) and not re.search("[0-9]", t)}
    return sorted(w for w in words if w and w not in ALLOWED | also_allowed and not KEY.match(w))


def seeder(fixtures_dir):  # type: ignore[no-untyped-def]
    def seed(session, store):  # type: ignore[no-untyped-def]
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


def sign_in(page, url: str, username: str) -> None:  # type: ignore[no-untyped-def]
    page.goto(url)
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(f.PASSWORD)
    page.get_by_role("button", name="登录").click()
    page.get_by_role("button", name="退出登录").wait_for()


def visit(page, title: str) -> None:  # type: ignore[no-untyped-def]
    nav = page.get_by_test_id("stSidebarNav")
    more = nav.get_by_text(re.compile(r"^(展开其余 \d+ 项|View \d+ more)$"))
    if more.count():
        more.click()
    nav.get_by_role("link", name=title, exact=True).click()
    settled(page)
    page.wait_for_timeout(1500)  # widgets that draw after the run (data grids, the uploader)
    settled(page)


@pytest.mark.parametrize("role", list(USERS), ids=lambda r: r.value)
def test_every_page_of_every_role_reads_in_chinese(live_app, page, fixtures_dir, role):  # type: ignore[no-untyped-def]
    app = live_app(seeder(fixtures_dir))
    sign_in(page, app.url, USERS[role][0])
    found: dict[str, list[str]] = {}
    data_words = {"openid-zh", "openid"}  # the student's WeChat id, from the data
    for spec in pages_for(role):
        visit(page, spec.title_zh)
        words = english_words(page.evaluate(VISIBLE_TEXT), data_words)
        screenshot(page, f"chinese_{role.value}_{spec.path.stem}")
        if words:
            found[spec.title_zh] = words
    assert found == {}, f"English on Chinese pages of {role.value}: {found}"
