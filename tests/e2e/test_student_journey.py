"""The student's journey on a phone, in real Chromium with a fake camera fed a fixture portrait:
sign in, find the school, verify with a demo collection-code image, pay, shoot, standardise, submit,
allow WeChat notifications; then the demo reviewer approves it in the workbench; back on the phone the student sees 审核通过.
Each step is a page at its own URL: the journey opens a link to a step not reached yet (it lands on
the step the student is on, with no error) and uses the browser's back and forward buttons; a reload
keeps the student signed in, and after signing out a reload does not.

Real student app, real workbench, real worker, one database. Screenshots at 390×844."""

from __future__ import annotations

import time
from urllib.parse import urlsplit

from playwright.sync_api import expect
from sqlalchemy import func, select

from core.domain.enums import NotificationConsent, Role, SubmissionState
from core.models import ApiToken, RosterRecord, StudentAccount, Submission
from core.services import jobs
from tests import factories as f
from tests.e2e.conftest import login, screenshot, settled, take_photo
from tests.student.conftest import code_png

def test_student_shoots_submits_and_sees_the_approval(live_app, phone, page, tmp_path, fixtures_dir):
    code_file = tmp_path / "采集码.png"

    def seed(session, store):
        school = f.make_school(session, "10486", "武汉大学")
        task = f.make_task(session, school)
        record = f.make_record(session, school, 1)
        record.enrolment_photo_sha = store.put((fixtures_dir / "london" / "001_smiling.jpg").read_bytes())
        session.flush()
        jobs.enqueue_after_commit(session, jobs.PROCESS_ENROLMENT, record.id)
        code_file.write_bytes(code_png(record, school.code))
        f.make_staff(session, Role.REVIEWER, "li.reviewer")
        assert task.id

    student_app = live_app(seed, script="student/server.py")  # its worker standardises the photo the phone shoots
    workbench = live_app(None, worker=False)  # the same database: the student app's worker serves both

    # a shared link to the camera, opened before signing in: sign in there, then the student lands on
    # the step they are on (finding the school), with no "page not found"
    phone.goto(f"{student_app.url}/capture")
    phone.get_by_label("微信昵称").wait_for(timeout=120_000)  # the first run imports the app, slow on a busy machine
    phone.get_by_label("微信昵称").fill("小丁")
    phone.get_by_role("button", name="微信授权登录").click()
    phone.get_by_text("重要通知").wait_for()
    screenshot(phone, "student_01_notice")
    phone.get_by_text("我已阅读并理解以上通知").click()
    phone.get_by_role("button", name="我已经知晓，下一步").click()
    phone.get_by_label("学校名称").wait_for()
    assert phone.url.endswith("/school"), phone.url
    assert phone.get_by_text("Page not found").count() == 0 and phone.get_by_text("找不到").count() == 0
    phone.get_by_role("button", name="我已经知晓，下一步").wait_for(state="detached")
    settled(phone)
    screenshot(phone, "student_01b_link_landed_on_school")

    phone.get_by_role("button", name="‹ 返回").click()
    phone.get_by_role("button", name="去采集").click()
    phone.wait_for_url("**/school")
    phone.get_by_label("学校名称").fill("whdx")
    phone.get_by_label("学校名称").press("Enter")
    phone.get_by_role("button", name="武汉大学（10486）").wait_for()
    screenshot(phone, "student_02_school_search")
    phone.get_by_role("button", name="武汉大学（10486）").click()
    phone.get_by_role("button", name="选择此任务").click()
    phone.get_by_text("请如实填写以下核验信息").wait_for()
    assert phone.url.endswith("/verify?task=1"), phone.url  # the address names the task chosen

    # the browser's back button returns to the task list, forward to the form
    phone.go_back()  # (Streamlit keeps the query of the page it leaves: /task?task=1)
    phone.wait_for_url(lambda url: urlsplit(url).path.endswith("/task"))
    phone.get_by_role("button", name="选择此任务").wait_for()
    phone.go_forward()
    phone.wait_for_url(lambda url: urlsplit(url).path.endswith("/verify"))
    phone.get_by_text("请如实填写以下核验信息").wait_for()
    # a reload (WeChat reopening the page) keeps the sign-in (cookie) and the task (address)
    phone.reload()
    phone.get_by_text("请如实填写以下核验信息").wait_for()
    assert phone.get_by_text("2025届毕业生学历图像采集").count() == 1 and phone.url.endswith("/verify?task=1")

    phone.get_by_label("姓名").fill("丁白云")
    phone.get_by_label("学号").fill("2110000001")
    phone.locator('input[type="file"]').set_input_files(str(code_file))
    phone.get_by_text("已识别采集码：丁*云").wait_for()
    phone.get_by_label("证件号后4位").fill(_last4(student_app))
    phone.get_by_text("我已阅读并同意").click()
    # how to get the code is read beside the form: what was typed stays
    phone.get_by_text("如何获取采集码？").click()
    phone.get_by_text("学信网学信档案").wait_for()
    assert phone.get_by_label("姓名").input_value() == "丁白云"
    phone.get_by_text("如何获取采集码？").click()
    screenshot(phone, "student_03_identity")
    phone.get_by_role("button", name="提交核验").click()
    phone.get_by_role("button", name="关联任务").wait_for()
    phone.get_by_role("button", name="提交核验").wait_for(state="detached")
    screenshot(phone, "student_04_confirm_masked")
    phone.get_by_role("button", name="关联任务").click()

    phone.wait_for_url("**/pay")
    phone.get_by_role("button", name="微信支付 ¥25.00").click()
    phone.get_by_text("支付成功").wait_for()
    phone.get_by_role("button", name="拍照", exact=True).wait_for()
    assert phone.url.endswith("/capture"), phone.url
    assert phone.get_by_text("Take Photo").count() == 0
    screenshot(phone, "student_05_camera")
    phone.get_by_role("button", name="拍照", exact=True).scroll_into_view_if_needed()
    screenshot(phone, "student_05b_camera_button")

    # paid: back in the browser's history the payment and the linking are behind the student, who
    # stays at the camera
    phone.go_back()
    phone.wait_for_url("**/capture")
    phone.get_by_role("button", name="拍照", exact=True).wait_for()
    assert phone.get_by_role("button", name="微信支付 ¥25.00").count() == 0
    take_photo(phone)
    phone.get_by_role("button", name="满意，去制作", exact=False).click()
    phone.get_by_role("button", name="提交审核").wait_for(timeout=180_000)  # the worker, on a busy machine
    phone.get_by_text("标准化后的照片（480×640）").wait_for()
    phone.wait_for_function(
        "[...document.querySelectorAll('[data-testid=\"stImage\"] img')].some(i => i.complete && i.naturalWidth > 0)")
    screenshot(phone, "student_06_standardised")
    phone.get_by_role("button", name="提交审核").click()
    phone.get_by_text("照片提交前二次确认").wait_for()
    screenshot(phone, "student_07_second_confirmation")
    phone.get_by_role("button", name="确认提交").click()
    phone.get_by_text("照片已提交，等待人工审核").wait_for()
    phone.get_by_text("微信通知授权", exact=True).wait_for()  # asked here, after 第十三步, as the seed guide does
    screenshot(phone, "student_08_awaiting_review")
    phone.get_by_role("button", name="允许", exact=True).click()
    expect(phone.get_by_text("微信通知授权", exact=True)).to_have_count(0)  # Streamlit keeps a stale copy a moment
    with student_app.db.session() as session:
        assert session.scalar(select(StudentAccount)).notification_consent is NotificationConsent.GRANTED

    with student_app.db.session() as session:
        submission = session.scalar(select(Submission))
        assert submission.state is SubmissionState.AWAITING_REVIEW and submission.face_verdict == "same"

    login(page, workbench.url, "li.reviewer", f.PASSWORD)
    page.get_by_role("link", name="审核队列").click()
    page.get_by_role("button", name="通过").click()
    page.get_by_text("队列中没有待审核的照片").wait_for()
    with student_app.db.session() as session:
        assert session.scalar(select(Submission)).state is SubmissionState.APPROVED

    phone.get_by_role("button", name="‹ 返回").click()
    phone.get_by_role("button", name="‹ 返回").wait_for(state="detached")
    phone.get_by_role("button", name="采集结果 · 我的上传").click()
    phone.get_by_role("button", name="下载审核通过的照片").wait_for()
    assert phone.locator(".stage.current").inner_text() == "审核通过"
    screenshot(phone, "student_09_approved")
    phone.reload()  # a reload (or WeChat reopening a page it had put away) keeps the student signed in, here
    phone.get_by_role("button", name="下载审核通过的照片").wait_for()
    assert phone.get_by_label("微信昵称").count() == 0 and phone.url.endswith("/status"), phone.url
    phone.get_by_role("button", name="消息通知").click()
    phone.get_by_text("您的照片已通过人工审核").wait_for()
    phone.get_by_role("button", name="关闭微信通知").wait_for()
    assert phone.url.endswith("/inbox"), phone.url
    screenshot(phone, "student_10_inbox")
    phone.go_back()  # the browser's back: the result page again
    phone.wait_for_url("**/status")
    phone.get_by_role("button", name="下载审核通过的照片").wait_for()
    phone.go_forward()
    phone.get_by_text("您的照片已通过人工审核").wait_for()
    phone.get_by_role("button", name="‹ 返回").click()
    phone.get_by_role("button", name="其他服务与工具").wait_for()
    phone.get_by_role("button", name="‹ 返回").wait_for(state="detached")
    screenshot(phone, "student_11_home")

    phone.get_by_role("button", name="退出登录").click()
    phone.get_by_label("微信昵称").wait_for()
    _wait_for_no_tokens(student_app)  # the page had the browser delete the cookie's token
    phone.reload()  # signed out for good: a reload does not bring the student back
    phone.get_by_label("微信昵称").wait_for()
    assert phone.get_by_role("button", name="其他服务与工具").count() == 0


def _wait_for_no_tokens(app) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        with app.db.session() as session:
            if session.scalar(select(func.count(ApiToken.token_hash))) == 0:
                return
        time.sleep(0.2)
    raise AssertionError("signing out left the web app's token in the database")


def _last4(app) -> str:
    with app.db.session() as session:
        return session.scalar(select(RosterRecord)).id_last4
