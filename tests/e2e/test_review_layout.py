"""The review screens measured in a real browser at 1440×900: both photos at least 480×640 side by
side above the fold, nothing moves after a decision, zoom moves both photos, ``?`` lists the keys;
the senior's 复核 page has the same layout; grid mode decides a page with the keyboard."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from playwright.sync_api import expect
from sqlalchemy import select

from core.config import fixtures_dir
from core.domain.enums import Decision, Role, SubmissionState
from core.imaging.types import Verdict
from core.models import ReviewDecision, Submission, utcnow
from core.services import review
from core.services.policy import set_policy_value
from tests import factories as f
from tests.e2e.conftest import login, screenshot, settled

FIXTURES = fixtures_dir("london")
VIEWPORT = {"width": 1440, "height": 900}
NAMES = [f"李同学{i:02d}" for i in range(30)]


def seed(session, store):
    """30 photos waiting, oldest first in NAMES order: the first through the real pipeline, the rest
    sharing its photos as clear cases (all checks passed, 同一人); a reviewer and a senior, and
    two photos decided and sampled for second review."""
    school = f.make_school(session)
    task = f.make_task(session, school)
    record = f.make_record(session, school, 1, name=NAMES[0])
    f.set_enrolment_photo(session, store, record, FIXTURES / "003_neutral.jpg")
    session.commit()
    student = f.make_linked_student(session, task, record)
    template = f.submit_photo(session, store, student, FIXTURES / "003_smiling.jpg")
    start = utcnow() - timedelta(hours=2)
    template.submitted_at = start
    for i, name in enumerate(NAMES[1:], start=1):
        f.share_photos(session, template, f.make_record(session, school, 100 + i, name=name), task,
                       start + timedelta(minutes=i), quality_flags="", quality_ok=True,
                       face_verdict=Verdict.SAME.value)
    reviewer = f.make_staff(session, Role.REVIEWER, "reviewer")
    f.make_staff(session, Role.SENIOR_REVIEWER, "senior")
    admin = f.make_staff(session, Role.ADMIN, "admin")
    set_policy_value(session, f.actor_of(admin), "second_review_rate", 1.0)
    for seed_no, name in ((901, "王复核甲"), (902, "王复核乙")):
        sub = f.share_photos(session, template, f.make_record(session, school, seed_no, name=name), task,
                             start - timedelta(hours=1))
        review.claim(session, f.actor_of(reviewer), sub.id)
        review.decide(session, f.actor_of(reviewer), sub.id, Decision.APPROVE)


def shown(page, name: str) -> None:
    page.locator("strong", has_text=name).first.wait_for(timeout=20_000)


def calm(page) -> None:
    """The rerun finished, its images arrived and the photo component has drawn them."""
    settled(page)
    page.wait_for_function(
        "() => [...document.querySelectorAll('iframe')].every(f => [...(f.contentDocument?.images || [])]"
        ".every(i => i.complete))", timeout=60_000)
    page.wait_for_timeout(800)


def photo_boxes(page) -> dict[str, dict]:
    frame = page.frame_locator("iframe").first
    boxes = {name: frame.locator(selector).first.bounding_box() for name, selector in
             (("standardised", "#boxL img"), ("enrolment", "#boxR img"))}
    for name, selector in (("standardised", "#boxL img"), ("enrolment", "#boxR img")):
        loaded, fit = frame.locator(selector).first.evaluate(
            "img => [img.complete && img.naturalWidth > 0, getComputedStyle(img).objectFit]")
        assert loaded, f"{name} photo did not load"
        assert fit == "cover", "the photo fills its box (no letterbox inside the measured box)"
    return boxes


def layout(page, extra: list[str]) -> dict[str, dict]:
    """Bounding boxes of the photos and of what sits below them."""
    boxes = photo_boxes(page)
    for selector in extra:
        boxes[selector] = page.locator(selector).first.bounding_box()
    return boxes


def assert_big_side_by_side_above_the_fold(boxes: dict[str, dict]) -> None:
    left, right = boxes["standardised"], boxes["enrolment"]
    for name, box in (("standardised", left), ("enrolment", right)):
        assert box["width"] >= 480 and box["height"] >= 640, f"{name} photo shown at {box['width']}×{box['height']}"
        assert box["y"] >= 0 and box["y"] + box["height"] <= VIEWPORT["height"], f"{name} photo below the fold: {box}"
        assert box["x"] >= 0 and box["x"] + box["width"] <= VIEWPORT["width"]
    assert abs(left["y"] - right["y"]) < 1 and right["x"] >= left["x"] + left["width"], "side by side"


def test_review_screen_shows_both_photos_at_native_size_and_nothing_moves_after_a_decision(live_app, browser):
    app = live_app(seed, worker=False)
    context = browser.new_context(viewport=VIEWPORT, locale="zh-CN")
    page = context.new_page()
    page.set_default_timeout(20_000)
    try:
        login(page, app.url, "reviewer", f.PASSWORD)
        page.get_by_role("link", name="审核队列").click()
        shown(page, NAMES[0])
        calm(page)
        screenshot_viewport(page, "review_layout_1440x900")
        status = ".st-key-review_status"
        before = layout(page, [status, ".st-key-rq_approve"])
        assert_big_side_by_side_above_the_fold(before)
        assert before[status]["y"] + before[status]["height"] <= VIEWPORT["height"], "score line above the fold"
        assert page.locator(status).get_by_text("同一人").count() == 1
        print(f"photos at 1440×900: standardised {before['standardised']}, enrolment {before['enrolment']}")

        page.keyboard.press("a")
        shown(page, NAMES[1])
        page.get_by_text(f"已通过：{NAMES[0]}").wait_for()
        calm(page)
        screenshot_viewport(page, "review_layout_after_approve")
        assert layout(page, [status, ".st-key-rq_approve"]) == before, "layout shifted after approving"

        page.keyboard.press("2")  # 面部阴影
        shown(page, NAMES[2])
        page.get_by_text(f"已驳回（面部阴影）：{NAMES[1]}").wait_for()
        calm(page)
        assert layout(page, [status, ".st-key-rq_approve"]) == before, "layout shifted after rejecting"

        frame = page.frame_locator("iframe").first
        page.keyboard.press("e")  # eyes: both photos zoom together
        left = frame.locator("#boxL img").first.evaluate("i => i.style.transform")
        right = frame.locator("#boxR img").first.evaluate("i => i.style.transform")
        assert "scale(2.5)" in left and left == right
        screenshot_viewport(page, "review_layout_zoom_eyes")
        page.keyboard.press("f")
        expect(frame.locator("#labelL")).to_contain_text("正在显示")  # the first swap comes after 600 ms
        screenshot_viewport(page, "review_layout_flicker")
        page.keyboard.press("f")
        page.keyboard.press("w")

        page.keyboard.press("?")
        dialog = page.get_by_role("dialog")
        dialog.get_by_text("键盘快捷键").wait_for()
        for words in ("通过", "跳过", "撤销上一个决定", "放大：眼睛", "放大：左耳", "闪烁对比", "叠加对比", "面部阴影"):
            assert dialog.get_by_text(words).count() >= 1, words
        screenshot_viewport(page, "review_layout_shortcuts")
    finally:
        context.close()


def test_second_review_has_the_same_layout(live_app, browser):
    app = live_app(seed, worker=False)
    context = browser.new_context(viewport=VIEWPORT, locale="zh-CN")
    page = context.new_page()
    page.set_default_timeout(20_000)
    try:
        login(page, app.url, "senior", f.PASSWORD)
        page.get_by_role("link", name="复核", exact=True).click()
        page.get_by_text("随机抽检").first.wait_for()
        calm(page)
        screenshot_viewport(page, "second_review_layout_1440x900")
        before = layout(page, [".st-key-review_status", ".st-key-sr_approve"])
        assert_big_side_by_side_above_the_fold(before)
        page.keyboard.press("a")
        page.get_by_text("复核已保存。").wait_for()
        calm(page)
        assert layout(page, [".st-key-review_status", ".st-key-sr_approve"]) == before, "layout shifted"
    finally:
        context.close()


def test_grid_mode_rejects_the_exception_and_approves_the_rest_with_one_key(live_app, browser):
    app = live_app(seed, worker=False)
    context = browser.new_context(viewport=VIEWPORT, locale="zh-CN")
    page = context.new_page()
    page.set_default_timeout(20_000)
    try:
        login(page, app.url, "reviewer", f.PASSWORD)
        page.get_by_role("link", name="宫格审核").first.click()
        page.locator(".st-key-gt_23").wait_for()
        calm(page)
        screenshot_viewport(page, "grid_1440x900")
        assert page.locator("[class*='st-key-gt_']").count() == 24
        last = page.locator(".st-key-gt_23").bounding_box()
        assert last["y"] + last["height"] <= VIEWPORT["height"], "the whole page of 24 above the fold"
        page.keyboard.press("ArrowRight")
        page.keyboard.press("ArrowDown")  # focus on tile 9
        calm(page)
        page.keyboard.press("x")
        page.get_by_text("请按 1–9、0 选择驳回原因").wait_for()
        page.keyboard.press("2")
        page.locator(".st-key-gt_9").get_by_text("驳回：面部阴影").wait_for()
        calm(page)
        marked = next(n for n in NAMES if n in page.locator(".st-key-gt_9").inner_text())
        screenshot_viewport(page, "grid_marked")
        page.keyboard.press("Enter")
        page.get_by_text("已通过 23 张，驳回 1 张。").wait_for()
        calm(page)
        screenshot_viewport(page, "grid_after_decide")
        with app.db.session() as session:
            rows = session.scalars(select(ReviewDecision).where(ReviewDecision.undone_at.is_(None),
                                                                ReviewDecision.is_second_review.is_(False))).all()
            mine = [r for r in rows if r.submission.roster_record.name in NAMES]
            assert len(mine) == 24 and len({r.submission_id for r in mine}) == 24, "each photo decided once"
            rejected = [r for r in mine if r.decision is Decision.REJECT]
            assert [(r.submission.roster_record.name, r.reason_code) for r in rejected] == [(marked, "face_shadow")]
            decided = [r.submission_id for r in mine]
        page.keyboard.press("u")
        page.get_by_text("已撤销上一页的 24 个决定").wait_for()
        with app.db.session() as session:
            back = [session.get(Submission, i) for i in decided]
            assert all(s.state is SubmissionState.AWAITING_REVIEW for s in back)
    finally:
        context.close()


def screenshot_viewport(page, name: str) -> Path:
    """What the reviewer sees at 1440×900, not the whole scrolled page."""
    path = screenshot(page, name)
    page.screenshot(path=str(path), full_page=False)
    return path
