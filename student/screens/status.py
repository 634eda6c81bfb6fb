"""第十四步 查看采集结果, and the message inbox that stands in for WeChat subscription messages."""

from __future__ import annotations

import streamlit as st

from core.domain.access import Actor
from core.domain.enums import SubmissionState
from core.domain.quotas import CHINA
from core.errors import NotFound
from core.services import student_app
from core.services.student_app import NextSubmission, Rules, StudentStatus, Verdict
from student import nav
from student.screens import consent
from student.ui import header, stage_row, support_line, yuan
from uikit.downloads import download_button
from uikit.plain import plain
from uikit.resources import database, photo_store
from uikit.i18n import tr

VERDICT_ZH = {Verdict.SAME: "同一人", Verdict.UNCERTAIN: "待人工确认", Verdict.DIFFERENT: "非同一人"}
VERDICT_EN = {Verdict.SAME: "same person", Verdict.UNCERTAIN: "to be confirmed by a reviewer",
              Verdict.DIFFERENT: "not the same person"}

def what_next(rules: Rules) -> dict[SubmissionState, tuple[str, str]]:
    """What the student reads under each state, with the allowances and delays in force."""
    days = rules.chsi_upload_days
    return {
        SubmissionState.AWAITING_REVIEW: (
            f"等待人工审核。审核结果会通过“消息通知”告知您。人工审核前可免费更换 {rules.free_replacements} 次照片。",
            f"Waiting for human review; you will get a message. {rules.free_replacements} free replacement(s) "
            "possible before review."),
        SubmissionState.APPROVED: (
            f"已完成线上采集。照片将进行数据链接、检测，在 {days} 日内（节假日除外）上传学信网。",
            f"Done. The photo will be uploaded to CHSI within {days} working days."),
        SubmissionState.IN_BATCH: ("照片正在上传学信网（待上网）。", "The photo is being uploaded to CHSI."),
        SubmissionState.UPLOAD_FAILED: ("照片上传学信网未成功，工作人员正在重新上传，无需操作。",
                                        "The CHSI upload failed; staff are uploading it again. Nothing to do."),
        SubmissionState.ON_CHSI: ("照片已上传学信网，采集完成。", "The photo is on CHSI. All done."),
        SubmissionState.AUTO_BLOCKED: (
            "人脸比对分数低于标准，已被系统自动拦截，请重新拍摄再上传比对。如多次采集人脸比对分数均不符合要求，可由学籍部门统一处理。",
            "The face comparison scored below the threshold and the photo was blocked; shoot again. If it keeps "
            "failing, your registrar can handle it."),
    }


def render(actor: Actor) -> None:
    header(tr("采集结果", "My result"))
    if st.session_state.pop("submitted_notice", False):
        st.success(tr("照片已提交，等待人工审核。", "Submitted: waiting for human review."))
    with database().session() as session:
        summary = student_app.status(session, actor)
        rules = student_app.rules(session)
    if summary is None:
        st.info(tr("尚未关联采集任务。", "No collection task linked yet."))
        return
    if summary.state is not None and consent.current(actor).consent is None:
        consent.ask(actor)
    _record_card(summary)
    st.markdown(f"**{plain(summary.task_title)}**")
    stage_row(summary.stages)
    st.markdown(tr(f"当前状态：**{summary.state_zh}**", f"Status: **{summary.state_en}**"))
    if summary.state is None:
        st.info(tr("尚未提交照片。请点击“去拍摄”。", "No photo submitted yet."))
    elif summary.state in (texts := what_next(rules)):
        st.markdown(tr(*texts[summary.state]))
    if summary.rejection is not None:
        with st.container(border=True):
            st.error(tr(f"审核未通过：{summary.rejection.label_zh}", f"Rejected: {summary.rejection.label_zh}"))
            st.markdown(tr(f"**怎么办：**{summary.rejection.student_text_zh}",
                           f"**What to do:** {summary.rejection.student_text_zh}"))
            if summary.rejection.note:
                st.caption(tr("审核备注：", "Reviewer's note: ") + plain(summary.rejection.note, multiline=True))
    if summary.on_temporary_code:
        st.warning(tr("您使用临时拍摄码采集，照片暂缓上传学信网。请下载学信网采集码后，在“其他服务 › 上传采集码”补传。",
                      "Taken on a temporary shooting code: the photo is held until you upload your CHSI code."))
        if st.button(tr("上传采集码", "Upload my code"), key="status_upload_code", width="stretch"):
            nav.go(nav.Step.UPLOAD_CODE)
    _allowances(summary)
    if summary.approved_photo_sha:
        with database().session() as session:
            try:
                photo = student_app.approved_photo(session, actor, photo_store())
            except NotFound:
                photo = None
        if photo is not None:
            download_button(tr("下载审核通过的照片", "Download the approved photo"), photo.jpeg,
                            file_name=photo.file_name, mime="image/jpeg", key="download", width="stretch")
    elif summary.next_submission is not NextSubmission.CLOSED and summary.paid:
        replacing = summary.next_submission in (NextSubmission.REPLACEMENT, NextSubmission.BUY_REPLACEMENT)
        label = tr("更换照片", "Replace the photo") if replacing else tr("去拍摄", "Take a photo")
        if st.button(label, key="status_capture", type="secondary" if replacing else "primary", width="stretch"):
            nav.go(nav.collection_step(summary))
    if st.button(tr("消息通知", "Messages") + (f" ({summary.unread})" if summary.unread else ""),
                 key="status_inbox", width="stretch"):
        nav.go(nav.Step.INBOX)
    support_line()


def _record_card(summary: StudentStatus) -> None:
    rows = [
        (tr("学校名称", "School"), summary.school_name),
        (tr("学历类别", "Category"), summary.category_zh),
        (tr("姓名", "Name"), summary.masked_name),
        (tr("学号", "Student number"), summary.student_number),
        (tr("证件号(后4位)", "ID (last 4)"), summary.id_last4),
        (tr("年级/届", "Cohort"), summary.cohort),
    ]
    if summary.face_verdict is not None:
        rows.append((tr("人像比对", "Face comparison"),
                     tr(VERDICT_ZH[summary.face_verdict], VERDICT_EN[summary.face_verdict])))
    with st.container(border=True):
        st.markdown("  \n".join(f"{label}：{plain(value)}" for label, value in rows))


def _allowances(summary: StudentStatus) -> None:
    if summary.next_submission is NextSubmission.CLOSED:
        st.caption(tr("照片已通过人工审核，不允许再更换照片。", "The photo passed review: it can no longer be replaced."))
        return
    st.caption(tr(
        f"免费提交审核剩余 {summary.free_submissions_left} 次 · 人工审核前免费更换剩余 {summary.replacements_left} 次 · "
        f"今日标准化剩余 {summary.standardisations_left} 次",
        f"Free submissions left {summary.free_submissions_left} · free replacements left {summary.replacements_left} · "
        f"standardisations left today {summary.standardisations_left}"))
    if summary.next_submission.purchase is not None:
        st.info(tr(f"免费次数已用完，可购买增值服务：{yuan(summary.extra_price_fen)}/次（在“去拍摄”中支付）。",
                   f"The free allowance is used; extra services cost {yuan(summary.extra_price_fen)} each "
                   "(pay under Take a photo)."))


def render_inbox(actor: Actor) -> None:
    header(tr("消息通知", "Messages"))
    with database().session() as session:
        messages = [(m.title, m.body, m.created_at, not m.read) for m in student_app.inbox(session, actor)]
        student_app.mark_messages_read(session, actor)
    consent.settings(actor)
    if not messages:
        st.info(tr("暂无消息。审核结果和上传学信网结果会在这里通知您。",
                   "No messages yet. Review and CHSI results will appear here."))
    for title, body, created_at, unread in messages:
        with st.container(border=True):
            local = created_at.astimezone(CHINA)
            st.markdown(f"**{plain(title)}**{' · ' + tr('新', 'new') if unread else ''}")
            st.markdown(plain(body, multiline=True))  # may quote the reviewer's note
            st.caption(f"{local:%Y-%m-%d %H:%M}")
