"""The student's journey on a phone, in real Chromium with a fake camera fed a fixture portrait:
sign in, find the school, verify with a demo collection-code image, pay, shoot, standardise, submit;
then the demo reviewer approves it in the workbench; back on the phone the student sees 审核通过.

Real student app, real workbench, real worker, one database. Screenshots at 390×844."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest
from sqlalchemy import select

from core.domain.enums import Role, SubmissionState
from core.models import RosterRecord, Submission
from core.services import jobs
from tests import factories as f
from tests.e2e.conftest import CHROMIUM, CHROMIUM_ARGS, login, screenshot
from tests.student.conftest import code_png

PHONE = {"width": 390, "height": 844}
FRAME_W, FRAME_H = 1920, 1080


def fake_camera_y4m(portrait: Path, out: Path) -> Path:
    """A one-frame Y4M video (what Chromium's fake camera plays in a loop): the portrait scaled to the
    frame height, centred on a grey wall."""
    face = cv2.imread(str(portrait))
    side = FRAME_H
    face = cv2.resize(face, (side, side), interpolation=cv2.INTER_AREA)
    frame = np.full((FRAME_H, FRAME_W, 3), 170, np.uint8)
    left = (FRAME_W - side) // 2
    frame[:, left:left + side] = face
    i420 = cv2.cvtColor(frame, cv2.COLOR_BGR2YUV_I420)
    with out.open("wb") as fh:
        fh.write(f"YUV4MPEG2 W{FRAME_W} H{FRAME_H} F30:1 Ip A1:1 C420jpeg\n".encode())
        fh.write(b"FRAME\n" + i420.tobytes())
    return out


@pytest.fixture
def phone(browser, tmp_path, fixtures_dir):  # type: ignore[no-untyped-def]
    """A phone-sized page in a second Chromium whose camera plays the fixture portrait."""
    video = fake_camera_y4m(fixtures_dir / "london" / "001_neutral.jpg", tmp_path / "camera.y4m")
    camera_browser = browser.browser_type.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS + [
        "--use-fake-device-for-media-stream", "--use-fake-ui-for-media-stream",
        f"--use-file-for-fake-video-capture={video}"])
    context = camera_browser.new_context(viewport=PHONE, device_scale_factor=2, is_mobile=True, has_touch=True,
                                         locale="zh-CN")
    context.grant_permissions(["camera"])
    page = context.new_page()
    page.set_default_timeout(30_000)
    yield page
    context.close()
    camera_browser.close()


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

    student_app = live_app(seed, script="student/app.py")
    workbench = live_app(None)

    phone.goto(student_app.url)
    phone.get_by_label("微信昵称").wait_for(timeout=120_000)  # the first run imports the app, slow on a busy machine
    phone.get_by_label("微信昵称").fill("小丁")
    phone.get_by_role("button", name="微信授权登录").click()
    phone.get_by_text("重要通知").wait_for()
    screenshot(phone, "student_01_notice")
    phone.get_by_text("我已阅读并理解以上通知").click()
    phone.get_by_role("button", name="我已经知晓，下一步").click()

    phone.get_by_role("button", name="去采集").click()
    phone.get_by_label("学校名称").fill("whdx")
    phone.get_by_label("学校名称").press("Enter")
    phone.get_by_role("button", name="武汉大学（10486）").wait_for()
    screenshot(phone, "student_02_school_search")
    phone.get_by_role("button", name="武汉大学（10486）").click()
    phone.get_by_role("button", name="选择此任务").click()
    phone.get_by_text("请如实填写以下核验信息").wait_for()

    phone.get_by_label("姓名").fill("丁白云")
    phone.get_by_label("学号").fill("2110000001")
    phone.locator('input[type="file"]').set_input_files(str(code_file))
    phone.get_by_text("已识别采集码：丁*云").wait_for()
    phone.get_by_label("证件号后4位").fill(_last4(student_app))
    phone.get_by_text("我已阅读并同意").click()
    screenshot(phone, "student_03_identity")
    phone.get_by_role("button", name="提交核验").click()
    phone.get_by_role("button", name="关联任务").wait_for()
    phone.get_by_role("button", name="提交核验").wait_for(state="detached")
    screenshot(phone, "student_04_confirm_masked")
    phone.get_by_role("button", name="关联任务").click()

    phone.get_by_role("button", name="微信支付 ¥25.00").click()
    phone.get_by_text("支付成功").wait_for()
    phone.get_by_role("button", name="Take Photo").wait_for()
    screenshot(phone, "student_05_camera")
    phone.get_by_role("button", name="Take Photo").click()
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
    screenshot(phone, "student_08_awaiting_review")

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
    phone.get_by_role("button", name="消息通知").click()
    phone.get_by_text("您的照片已通过人工审核").wait_for()
    screenshot(phone, "student_10_inbox")
    phone.get_by_role("button", name="‹ 返回").click()
    phone.get_by_role("button", name="其他服务与工具").wait_for()
    phone.get_by_role("button", name="‹ 返回").wait_for(state="detached")
    screenshot(phone, "student_11_home")


def _last4(app) -> str:  # type: ignore[no-untyped-def]
    with app.db.session() as session:
        return session.scalar(select(RosterRecord)).id_last4
