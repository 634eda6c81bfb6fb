"""第九步至第十三步: shooting instructions, live capture (camera only, free retakes), standardise in
the worker (a daily limit from the policy), the quality report in plain words, the second confirmation and the submission."""

from __future__ import annotations

import streamlit as st

from core.domain.access import Actor
from core.domain.enums import PaymentStatus, SubmissionState
from core.services import student_app
from core.services.student_app import CaptureStatus, NextSubmission, Rules, StudentStatus
from student import nav
from student.screens.pay import charge, development_failure_switch
from student.ui import header, support_line, yuan
from uikit.plain import plain
from uikit.resources import database, photo_store
from uikit.i18n import lang, tr
from uikit.feedback import attempt

POLL_SECONDS = 1.5
PASSED = ":green[:material/check_circle:]"

INSTRUCTIONS_ZH = """\
1. 采集照片用于学籍和学历电子注册、毕业（学位）证书等多种用途，请务必按要求认真拍摄。
2. 无论什么背景，系统均会自动更换为标准背景色；背景尽量简洁、无其他人和物体。
3. 人脸必须清晰，两侧无明显阴影；面向光源，光线均匀。
4. 姿势端正，人脸左右居中，平视前方镜头；头部和双肩完整入镜。
5. 嘴巴自然闭合，眉毛和眼睛无遮挡，不戴帽子、耳饰、项链；眼镜不反光。
6. 只能实时拍摄：不能使用相册照片、美颜软件，不能翻拍照片或屏幕。
"""
INSTRUCTIONS_EN = """\
1. The photo is used for CHSI registration, your diploma and more: take it with care.
2. Any background is replaced with the standard colour; keep it plain, with nobody else in it.
3. The face must be sharp with no shadow on either side; face the light.
4. Sit straight, face centred, look into the lens; head and both shoulders in the frame.
5. Mouth closed, eyebrows and eyes uncovered; no hat, earrings or necklace; no glare on glasses.
6. Live capture only: no album photo, no beauty app, no photo of a print or a screen.
"""
FIRST_CONFIRM_ZH = """\
- 每日限 **{daily}** 次照片标准化（裁剪更换背景），今日还剩 **{left}** 次；超过后需隔日再操作。
- 制作前可不限次数免费重拍，满意后再去制作。
- 上传后提供 {free} 次免费提交审核；人工审核前提供 {replacements} 次免费更换照片，通过审核后不允许更换。后续服务 {price}/次。
- 提交的照片不能与录取照片相同或由同一照片修改。
"""
FIRST_CONFIRM_EN = """\
- **{daily}** standardisations (crop + background) a day; **{left}** left today; then wait until tomorrow.
- Retakes before standardising are free and unlimited.
- {free} free review submissions; {replacements} free replacement(s) before human review, none after approval; then {price} each.
- The photo must not be your admission photo or made from it.
"""


def render(actor: Actor) -> None:
    header(tr("拍摄照片", "Take your photo"))
    if (order_no := st.session_state.pop("paid_notice", None)) is not None:
        st.success(tr(f"支付成功，订单号 {order_no}。", f"Paid, order {order_no}."))
    if st.session_state.pop("blocked_notice", False):
        st.error(tr(
            "人像比对未通过：照片与学籍照片比对分数低于标准，已被系统自动拦截（不计提交次数）。"
            "请本人正对镜头、在光线均匀处重新拍摄后再提交。如多次比对均不通过，可联系学籍部门统一处理。",
            "Face comparison failed: the photo scored below the threshold against your enrolment photo and was "
            "blocked automatically (no submission used). Shoot yourself again facing the camera in even light; "
            "if it keeps failing, your registrar can handle it."))
    with database().session() as session:
        summary = student_app.status(session, actor)
        current = student_app.current_capture(session, actor)
        task = student_app.linked_task(session, actor)
        rules = student_app.rules(session)
    if summary is None or task is None:
        return
    _quota_line(summary)
    if summary.next_submission is NextSubmission.CLOSED:
        st.success(tr("您的照片已通过人工审核，无需再拍摄；通过审核后不允许更换照片。",
                      "Your photo has passed review: no new photo is needed or allowed."))
        if st.button(tr("查看采集结果", "See my result"), key="to_status", width="stretch"):
            nav.go(nav.Step.STATUS)
        return
    if summary.next_submission.purchase is not None:
        _buy(actor, summary)
        return
    status_ = current.status if current is not None else None
    if current is not None and status_ is CaptureStatus.PROCESSING:
        _wait(actor, current.id)
    elif current is not None and status_ is CaptureStatus.READY:
        _review(actor, current.id, summary)
    elif current is not None and status_ is CaptureStatus.REFUSED:
        st.error(tr(f"照片未能完成标准化：{current.error_zh} 请按拍照说明重新拍摄（重拍免费）。",
                    f"The photo could not be standardised: {current.error_en} Take it again (retakes are free)."))
        _retake_button(actor, current.id)
    else:
        _shoot(actor, summary, task.front_camera_allowed, rules)
    support_line()


def _quota_line(summary: StudentStatus) -> None:
    st.caption(tr(
        f"今日剩余标准化 {summary.standardisations_left}/{summary.daily_standardisations} 次 · "
        f"免费提交剩余 {summary.free_submissions_left} 次 · 免费更换剩余 {summary.replacements_left} 次",
        f"Standardisations left today {summary.standardisations_left}/{summary.daily_standardisations} · "
        f"free submissions left {summary.free_submissions_left} · free replacements left {summary.replacements_left}"))


def _buy(actor: Actor, summary: StudentStatus) -> None:
    purpose = summary.next_submission.purchase
    what = (tr("提交审核", "review submission") if summary.next_submission is NextSubmission.BUY_SUBMISSION
            else tr("更换照片", "photo replacement"))
    st.warning(tr(f"免费{what}次数已用完，继续需支付 {yuan(summary.extra_price_fen)}/次。",
                  f"The free {what}s are used; each further one costs {yuan(summary.extra_price_fen)}."))
    fail = development_failure_switch()
    if st.button(tr(f"支付 {yuan(summary.extra_price_fen)}，增加 1 次{what}",
                    f"Pay {yuan(summary.extra_price_fen)} for 1 more {what}"),
                 key="buy_extra", type="primary", width="stretch"):
        result = attempt(lambda: charge(actor, purpose, fail))
        if result is not None:
            status_, order_no, failure = result
            if status_ is PaymentStatus.PAID:
                st.rerun()
            st.error(tr(f"支付未完成（订单号 {order_no}）：{plain(failure or '')}，可再次点击支付。",
                        f"Payment not completed (order {order_no}): {plain(failure or '')}; tap again to retry."))


@st.fragment(run_every=POLL_SECONDS)
def _wait(actor: Actor, submission_id: int) -> None:
    """Polls the worker's result; the whole screen reruns when the photo is ready or refused."""
    with database().session() as session:
        progress = student_app.capture(session, actor, submission_id)
    if progress.status is not CaptureStatus.PROCESSING:
        st.rerun()
    st.info(tr("正在制作标准照（裁剪、更换背景、质量检测），通常几秒钟，请稍候…",
               "Making your standard photo (crop, background, quality check); this takes a few seconds…"),
            icon=":material/hourglass_top:")


def _retake_button(actor: Actor, submission_id: int) -> None:
    if st.button(tr("重新拍摄", "Take it again"), key="retake", width="stretch"):
        def discard() -> bool:
            with database().session() as session:
                student_app.discard_capture(session, actor, submission_id)
            return True

        if attempt(discard):
            st.session_state["capture_round"] = st.session_state.get("capture_round", 0) + 1
            st.rerun()


def _shoot(actor: Actor, summary: StudentStatus, front_allowed: bool, rules: Rules) -> None:
    with st.expander(tr("拍照说明（请先阅读）", "How to take the photo (read first)"), expanded=True):
        st.markdown(tr(INSTRUCTIONS_ZH, INSTRUCTIONS_EN))
        st.caption(tr("浏览器询问摄像头权限时请选择“允许”，“拒绝”后将无法拍摄。",
                      "Allow camera access when the browser asks; without it you cannot shoot."))
    if not front_allowed:
        st.warning(tr("本采集任务禁用前置摄像头（自拍）：请他人使用后置摄像头为您拍摄。",
                      "This task forbids the front (selfie) camera: have someone shoot you with the rear camera."))
    if summary.on_temporary_code:
        st.info(tr("您使用临时拍摄码采集：照片将暂缓上传学信网，下载采集码后请到“其他服务 › 上传采集码”补传。",
                   "Temporary shooting code: the photo is held from CHSI until you upload your collection code."))
    if summary.next_submission is NextSubmission.REPLACEMENT:
        st.info(tr(f"您已有照片等待审核；再次提交将使用 1 次免费更换照片（剩余 {summary.replacements_left} 次）。",
                   f"A photo already awaits review; submitting again uses the free replacement "
                   f"({summary.replacements_left} left)."))
    photo = st.camera_input(tr("拍摄证件照（仅限实时拍摄）", "Take the photo (live camera only)"),
                            key=f"capture_{st.session_state.get('capture_round', 0)}", resolution="1080p",
                            help=tr("点击“拍照”实时拍摄；不满意点击“重新拍摄”，重拍免费。",
                                    "Tap Take Photo to shoot live; Clear photo to retake, free."))
    if photo is None:
        return
    st.markdown(tr("**拍摄后首次确认**", "**First check after shooting**"))
    st.markdown(tr(FIRST_CONFIRM_ZH, FIRST_CONFIRM_EN).format(
        daily=summary.daily_standardisations, left=summary.standardisations_left, price=yuan(summary.extra_price_fen),
        free=rules.free_submissions, replacements=rules.free_replacements))
    st.caption(tr("不满意可点击照片下方的“重新拍摄”后重拍，重拍不限次数、免费。",
                  "Not happy? Clear the photo and shoot again: retakes are free."))
    if summary.standardisations_left <= 0:
        st.error(tr(f"今日照片标准化次数已用完（每日限 {summary.daily_standardisations} 次），请明天再来。"
                    "标准化之前重拍不限次数。",
                    f"Today's standardisations are used up ({summary.daily_standardisations} a day); "
                    "come back tomorrow."))
        return
    if st.button(tr(f"满意，去制作（裁剪换背景，今日剩余 {summary.standardisations_left} 次）",
                    f"Looks good: standardise ({summary.standardisations_left} left today)"),
                 key="standardise", type="primary", width="stretch"):
        raw = photo.getvalue()

        def request() -> bool:
            with database().session() as session:
                student_app.upload_capture(session, actor, raw, photo_store())
            return True

        if attempt(request):
            st.session_state["capture_round"] = st.session_state.get("capture_round", 0) + 1
            st.rerun()


def _review(actor: Actor, submission_id: int, summary: StudentStatus) -> None:
    with database().session() as session:
        view = student_app.capture(session, actor, submission_id)
        image = student_app.capture_photo(session, actor, submission_id, photo_store())
    checks, quality_ok = view.checks, view.quality_ok
    st.image(image, caption=tr("标准化后的照片（480×640）", "Standardised photo (480×640)"),
             width=240)
    st.markdown(tr("**照片质量检测**", "**Quality check**"))
    failed = [c for c in checks if not c.passed]
    passed = [c for c in checks if c.passed]
    for check in failed:
        icon = ":red[:material/cancel:]" if check.critical else ":orange[:material/warning:]"
        st.markdown(f"{icon} {check.message_zh if lang() == 'zh' else check.message_en}")
    if not failed:
        st.markdown(f"{PASSED} " + tr("全部检测项均符合要求。", "Every check passed."))
    with st.expander(tr(f"已通过的检测项（{len(passed)} 项）", f"Checks passed ({len(passed)})")):
        st.markdown("  \n".join(f"{PASSED} {c.message_zh if lang() == 'zh' else c.message_en}" for c in passed))
    st.caption(tr("检测参数存在宽容度，结果可能有部份反馈不准确；请严格按学信网教毕指[2017]99号标准拍摄。",
                  "The automatic check may be imperfect; follow the CHSI standard when shooting."))
    if not quality_ok:
        st.warning(tr("检测发现不符合要求的项目，建议按提示重新拍摄后再提交。",
                      "Some checks failed: we recommend taking the photo again before submitting."))
    if not st.session_state.get("confirm_submit"):
        retake, submit = st.columns(2)
        with retake:
            _retake_button(actor, submission_id)
        if submit.button(tr("提交审核", "Submit for review"), key="submit", type="primary", width="stretch"):
            st.session_state["confirm_submit"] = True
            st.rerun()
        return
    with st.container(border=True):
        st.markdown(tr("**照片提交前二次确认**", "**Confirm before submitting**"))
        uses = (tr(f"本次将使用 1 次免费更换照片（剩余 {summary.replacements_left} 次）。",
                   f"This uses the free replacement ({summary.replacements_left} left).")
                if summary.next_submission is NextSubmission.REPLACEMENT else
                tr(f"本次将使用 1 次提交审核机会（剩余 {summary.submissions_left} 次）。",
                   f"This uses 1 review submission ({summary.submissions_left} left)."))
        st.markdown(tr("确认后，照片将提交到系统等待人工审核。", "Once confirmed, the photo goes to human review.")
                    + " " + uses)
        st.caption(tr("审核结果与上网结果将通过“消息通知”告知您。", "You will be told the results under Messages."))
        cancel, confirm = st.columns(2)
        if cancel.button(tr("再想想", "Not yet"), key="submit_cancel", width="stretch"):
            st.session_state["confirm_submit"] = False
            st.rerun()
        if confirm.button(tr("确认提交", "Confirm and submit"), key="submit_confirm", type="primary", width="stretch"):
            st.session_state["confirm_submit"] = False

            def do_submit() -> SubmissionState:
                with database().session() as session:
                    return student_app.submit_capture(session, actor, submission_id).state

            outcome = attempt(do_submit)
            if outcome is SubmissionState.AUTO_BLOCKED:
                st.session_state["blocked_notice"] = True
                st.rerun()
            if outcome is not None:
                st.session_state["submitted_notice"] = True
                nav.go(nav.Step.STATUS)
