"""Staff sessions in a real browser: sign-in survives a reload and a new tab, a deep link opens the
record it names (also through the sign-in page when signed out), and signing out in one tab signs
the other tab out at its next click."""

from __future__ import annotations

import re

from sqlalchemy import select

from core.domain.enums import Role
from core.models import StaffSession
from tests import factories as f
from tests.e2e.conftest import login, screenshot, settled
from workbench.links import COOKIE


def seed(session, store):
    school = f.make_school(session)
    f.make_record(session, school, 1, name="丁白云")
    f.make_record(session, school, 2, name="王小明")
    f.make_staff(session, Role.REVIEWER, "li.reviewer")


def signed_in_as_reviewer(page) -> None:
    page.get_by_role("button", name="退出登录").wait_for()
    page.get_by_text("Li.Reviewer · 审核员").wait_for()


def test_reload_new_tab_deep_link_and_sign_out_everywhere(live_app, page):
    app = live_app(seed, worker=False)
    login(page, app.url, "li.reviewer", f.PASSWORD)
    page.wait_for_url(re.compile(r"/review_queue$"))  # reviewers land on their queue
    page.get_by_role("heading", name="审核队列").wait_for()
    settled(page)
    screenshot(page, "sessions_01_reviewer_lands_on_queue")

    [cookie] = [c for c in page.context.cookies() if c["name"] == COOKIE]
    assert cookie["httpOnly"] and cookie["sameSite"] == "Lax" and cookie["path"] == "/"
    assert COOKIE not in page.evaluate("document.cookie")  # no script in the page can read it
    with app.db.session() as session:
        [row] = session.scalars(select(StaffSession)).all()
        assert row.token_hash != cookie["value"] and cookie["value"] not in row.token_hash

    page.reload()
    signed_in_as_reviewer(page)
    page.get_by_role("heading", name="审核队列").wait_for()
    settled(page)
    screenshot(page, "sessions_02_after_reload")

    with app.db.session() as session:
        from core.models import RosterRecord

        wang = session.scalar(select(RosterRecord).where(RosterRecord.name == "王小明"))
        f.keep(session, wang)
    other_tab = page.context.new_page()
    other_tab.set_default_timeout(20_000)
    other_tab.goto(f"{app.url}/student_history?student={wang.id}")
    signed_in_as_reviewer(other_tab)
    other_tab.get_by_text(f"王小明 · {wang.student_number}").wait_for()
    assert other_tab.get_by_text("丁白云").count() == 0
    assert other_tab.url.endswith(f"/student_history?student={wang.id}")
    settled(other_tab)
    screenshot(other_tab, "sessions_03_deep_link_in_new_tab")

    page.bring_to_front()  # a tab in the background paints nothing to screenshot
    page.get_by_role("button", name="退出登录").click()
    page.get_by_role("button", name="登录", exact=True).wait_for()
    settled(page)
    assert page.get_by_text("您已退出登录").count() == 0  # no "signed out elsewhere" note in the tab that did it
    screenshot(page, "sessions_04_signed_out")

    other_tab.bring_to_front()
    settled(other_tab)
    other_tab.get_by_role("link", name="审核队列").click()  # the other tab's next click
    other_tab.get_by_role("button", name="登录", exact=True).wait_for()
    other_tab.get_by_text("您已退出登录").wait_for()
    settled(other_tab)  # the previous run's elements stay on the page, marked stale, until the rerun ends
    assert other_tab.get_by_role("button", name="退出登录").count() == 0
    screenshot(other_tab, "sessions_05_other_tab_signed_out")

    other_tab.reload()  # a reload does not bring the ended session back
    other_tab.get_by_role("button", name="登录", exact=True).wait_for()
    assert other_tab.get_by_role("button", name="退出登录").count() == 0


def test_a_deep_link_opened_signed_out_goes_through_sign_in_and_back(live_app, page):
    app = live_app(seed, worker=False)
    with app.db.session() as session:
        from core.models import RosterRecord

        wang = session.scalar(select(RosterRecord).where(RosterRecord.name == "王小明"))
        f.keep(session, wang)
    page.goto(f"{app.url}/student_history?student={wang.id}")
    page.get_by_role("button", name="登录", exact=True).wait_for()
    assert "next=%2Fstudent_history%3Fstudent%3D" in page.url
    page.get_by_text("登录后将打开您要访问的页面").wait_for()
    screenshot(page, "sessions_06_deep_link_asks_to_sign_in")
    page.get_by_label("用户名").fill("li.reviewer")
    page.get_by_label("密码").fill(f.PASSWORD)
    page.get_by_role("button", name="登录", exact=True).click()
    page.wait_for_url(re.compile(rf"/student_history\?student={wang.id}$"))
    signed_in_as_reviewer(page)
    page.get_by_text(f"王小明 · {wang.student_number}").wait_for()
    settled(page)
    screenshot(page, "sessions_07_deep_link_after_sign_in")


def test_the_cookie_routes_refuse_other_sites_and_foreign_redirects(live_app):
    """Straight HTTP against the real server: a code used from another site's link signs no browser
    in (login CSRF), ``next`` never leads off the site, sign-out is POST-only from our own pages, and
    a signed-out page load is sent to sign in with the link kept."""
    import http.client
    from urllib.parse import urlencode, urlsplit

    from core.models import StaffUser
    from core.services import staff, staff_sessions

    app = live_app(seed, worker=False)
    host = urlsplit(app.url)

    def code() -> str:
        with app.db.session() as session:
            user = session.scalar(select(StaffUser).where(StaffUser.username == "li.reviewer"))
            return staff_sessions.start(session, staff.actor_for(user)).handoff_code

    def request(method: str, path: str, **headers: str):
        connection = http.client.HTTPConnection(host.hostname, host.port, timeout=20)
        connection.request(method, path, headers=headers)
        response = connection.getresponse()
        response.read()
        connection.close()
        return response

    cross = request("GET", "/auth/session?" + urlencode({"code": code(), "next": "/tickets"}),
                    **{"Sec-Fetch-Site": "cross-site"})
    assert cross.status == 303 and cross.getheader("location") == "/" and cross.getheader("set-cookie") is None

    for asked in ("//evil.example/x", "https://evil.example/", "/\\evil.example"):
        ours = request("GET", "/auth/session?" + urlencode({"code": code(), "next": asked}),
                       **{"Sec-Fetch-Site": "same-origin"})
        assert ours.status == 303 and ours.getheader("location") == "/", asked
        cookie = ours.getheader("set-cookie")
        assert cookie.startswith(f"{COOKIE}=") and "HttpOnly" in cookie and "SameSite=lax" in cookie, cookie

    used = code()
    assert request("GET", f"/auth/session?code={used}").getheader("set-cookie") is not None
    assert request("GET", f"/auth/session?code={used}").getheader("set-cookie") is None  # once only

    assert request("POST", "/auth/sign-out", **{"Sec-Fetch-Site": "cross-site"}).status == 403
    assert request("GET", "/auth/sign-out").getheader("set-cookie") is None  # a link or an image cannot
    cleared = request("POST", "/auth/sign-out", **{"Sec-Fetch-Site": "same-origin"})
    assert cleared.status == 204 and 'workbench_session=""' in cleared.getheader("set-cookie")

    signed_out = request("GET", "/tickets?ticket=5", Accept="text/html")
    assert signed_out.status == 303 and signed_out.getheader("location") == "/?next=%2Ftickets%3Fticket%3D5"
