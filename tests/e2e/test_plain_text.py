"""In Chromium: a student named ``**粗**![x](http://127.0.0.1:9/x.png)[点我](http://evil)`` is shown as
those characters on the support lookup and the review panel; no link, image or bold text comes
from the data and the browser never asks 127.0.0.1:9 for the image (issue 13, finding 3)."""

from __future__ import annotations

from datetime import timedelta

from core.domain.enums import Decision, Role, SubmissionState
from core.models import utcnow
from core.services import linking, review
from tests import factories as f
from tests.core.services import registrar_world as w
from tests.e2e.conftest import login, screenshot, settled, sign_out
from tests.pages.rendered import NAME, NICKNAME, NOTE

FROM_DATA = "a[href*='evil']:not([href^='#']), a[href*='127.0.0.1:9'], img[src*='127.0.0.1:9'], img[src='x']"
"""Links and images the data asks for (Streamlit's own #anchor of a heading is not one)."""


def seeder(fixtures_dir):
    def seed(session, store):
        school = f.make_school(session)
        task = f.make_task(session, school)
        record = f.make_record(session, school, 1, name=NAME, department="<b>院</b>:material/home:")
        account = linking.sign_in(session, "openid-hostile", NICKNAME)
        linking.link_account(session, account, task.id, record, code=None)
        reviewer = f.make_staff(session, Role.REVIEWER, "li.reviewer")
        f.make_staff(session, Role.SUPPORT, "wang.support")
        earlier = w.approved_photo(session, store, task, record, fixtures_dir)
        earlier.state, earlier.decided_at = SubmissionState.AWAITING_REVIEW, None
        session.flush()
        review.decide(session, f.actor_of(reviewer), earlier.id, Decision.REJECT, reason_code="other", note=NOTE)
        waiting = w.approved_photo(session, store, task, record, fixtures_dir)
        waiting.state, waiting.decided_at, waiting.attempt_number = SubmissionState.AWAITING_REVIEW, None, 2
        waiting.submitted_at = utcnow() - timedelta(minutes=5)

    return seed


def shown_text(page) -> str:
    """The page's text as a reader sees it (the invisible word joiners plain() adds left out)."""
    return page.evaluate("() => document.body.innerText").replace("\u2060", "")


def wait_until_shown(page, text: str) -> None:
    """Waits for a text as shown_text reads it (get_by_text would stumble on the word joiners)."""
    page.wait_for_function("t => document.body.innerText.replaceAll('\u2060', '').includes(t)", arg=text)


def assert_nothing_from_data(page) -> None:
    found = page.locator(FROM_DATA).evaluate_all("els => els.map(e => e.outerHTML)")
    assert not found, f"a link or an image came from the data: {found}"
    main = page.locator("[data-testid=stMain]")
    bold = main.locator("strong, em").evaluate_all("els => els.map(e => e.innerText)")
    assert "粗" not in bold and "急" not in bold, f"the data's ** became bold: {bold}"  # the UI's own bold may hold it whole
    assert main.locator("b", has_text="院").count() == 0, "an HTML tag from the data was rendered"
    assert main.locator("h1", has_text="标题").count() == 0, "a # line of a note became a heading"


def test_support_lookup_and_review_panel_show_a_markdown_name_as_text(live_app, page, fixtures_dir):
    app = live_app(seeder(fixtures_dir), worker=False)
    asked: list[str] = []
    page.on("request", lambda request: asked.append(request.url))

    login(page, app.url, "wang.support", f.PASSWORD)
    page.get_by_role("link", name="学生查询").click()
    page.get_by_label("姓名（可部分）", exact=False).fill("2110000001")
    page.get_by_role("button", name="查询").click()
    page.get_by_text("审核未通过").first.wait_for()
    wait_until_shown(page, "<img src=x onerror=alert(1)>")
    settled(page)
    page.get_by_test_id("stMetricValue").last.wait_for()  # metrics load their code lazily
    text = shown_text(page)
    assert f"{NAME} · 2110000001" in text
    assert "<b>院</b>:material/home:" in text and NICKNAME in text
    assert all(line in text for line in ("# 标题", "[改这里](http://evil)", "<img src=x onerror=alert(1)>"))
    assert_nothing_from_data(page)
    screenshot(page, "plain_text_support_lookup")

    sign_out(page)
    login(page, app.url, "li.reviewer", f.PASSWORD)
    page.get_by_role("link", name="审核队列").click()
    page.get_by_text("第 2 次提交").first.wait_for()
    page.get_by_text("历史提交（1）").wait_for()  # the details under the photos arrive last
    wait_until_shown(page, "[改这里](http://evil)")
    settled(page)
    text = shown_text(page)
    assert NAME in text and "[改这里](http://evil)" in text
    assert_nothing_from_data(page)
    screenshot(page, "plain_text_review_panel")
    assert not [url for url in asked if "127.0.0.1:9" in url or "evil" in url], "the browser fetched data's URLs"
