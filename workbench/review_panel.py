"""The review screen's body, shared by the review queue and second review: the standardised photo
beside the enrolment photo (raw capture on demand), the face band, every quality check, and the
student's history and quota. It only shows a ``ReviewItem``; deciding is the pages' job."""

from __future__ import annotations

from datetime import datetime

import streamlit as st

from core.domain.enums import Decision, QuotaKind
from core.domain.quotas import CHINA
from core.domain.reasons import BY_CODE, SUGGESTED_BY_CHECK
from core.domain.states import STATE_LABELS_EN, STATE_LABELS_ZH
from core.services.review_view import ReviewItem
from uikit.plain import plain
from workbench.i18n import lang, tr
from workbench.photo_widgets import guide_legend, show_photo

QUOTA_LABELS = {
    QuotaKind.STANDARDISATION: ("标准化次数（当日）", "Standardisations (today)"),
    QuotaKind.SUBMISSION: ("免费提交次数", "Free submissions"),
    QuotaKind.REPLACEMENT: ("更换照片次数", "Photo replacement"),
}


def local_time(moment: datetime | None) -> str:
    return moment.astimezone(CHINA).strftime("%m-%d %H:%M") if moment else "—"


def reason_label(code: str | None) -> str:
    if code is None:
        return ""
    reason = BY_CODE.get(code)
    if reason is None:
        return code
    return reason.label_zh if lang() == "zh" else reason.label_en


def decision_label(decision: Decision) -> str:
    return tr("通过", "Approved") if decision is Decision.APPROVE else tr("驳回", "Rejected")


def render(item: ReviewItem, *, guides: bool, show_raw: bool, blind: bool = False) -> None:
    photo, enrolment, details = st.columns([3, 3, 4], gap="medium")
    with photo:
        show_photo(item.standardised_sha, tr("标准化照片", "Standardised photo"), guides=guides,
                   missing=tr("照片尚未标准化", "Not standardised yet"))
        if guides:
            st.caption(guide_legend())
    with enrolment:
        show_photo(item.enrolment_sha, tr("学籍照片", "Enrolment photo"),
                   missing=tr("该学生没有学籍照片", "No enrolment photo on file"))
        if item.enrolment_error:
            st.caption(tr("学籍照片无法比对：", "Enrolment photo not usable: ") + plain(item.enrolment_error))
    with details:
        _student(item)
        _score(item)
        _flags(item)
        _checks(item)
        _history(item, blind)
        _quota(item)
    if show_raw:
        show_photo(item.raw_sha, tr("原始照片（学生拍摄）", "Raw capture"), width=480)


def _student(item: ReviewItem) -> None:
    category = item.category.label_zh if lang() == "zh" else item.category.value
    st.markdown(f"**{plain(item.student_name)}** · {tr('学号', 'No.')} {plain(item.student_number)} · "
                f"{tr('证件号', 'ID')} {plain(item.id_masked)}")
    attempt = tr(f"第 {item.attempt_number} 次提交", f"submission #{item.attempt_number}")
    st.caption(f"{plain(item.school_name)} · {plain(item.task_title)} · {category} · {plain(item.cohort)} · {attempt} · "
               f"{tr('提交于', 'sent')} {local_time(item.submitted_at)}")


def _score(item: ReviewItem) -> None:
    band = item.band
    text = f":{band.tone}-badge[{band.label(lang())}]"
    if item.face_similarity is not None:
        text += f" {tr('相似度', 'similarity')} **{item.face_similarity:.1f}**"
        if item.face_distance is not None:
            text += f" · {tr('距离', 'distance')} {item.face_distance:.3f}"
    st.markdown(f"{tr('人像比对', 'Face comparison')}：{text}")


def _flags(item: ReviewItem) -> None:
    """Advisory checks that point at a rejection reason (the re-photograph flag), shown above the list."""
    for check in item.failed_checks:
        code = SUGGESTED_BY_CHECK.get(check.code)
        if code is None:
            continue
        st.warning(tr(f"自动提示（得分 `{check.value}`，阈值 {check.allowed}）：建议驳回原因「{reason_label(code)}」。"
                      "请查看原图确认；系统不会自动驳回。",
                      f"Automatic flag (score `{check.value}`, threshold {check.allowed}): suggested reason "
                      f"\"{reason_label(code)}\". Check the raw capture; nothing is rejected automatically."),
                   icon=":material/flag:")


def _checks(item: ReviewItem) -> None:
    failed = item.failed_checks
    title = tr(f"质量检测：{len(failed)} 项不合格", f"Quality: {len(failed)} failed") if failed else tr(
        "质量检测：全部合格", "Quality: all passed")
    with st.expander(title, expanded=bool(failed)):
        lines = []
        for check in sorted(item.checks, key=lambda c: c.passed):
            mark = "✅" if check.passed else ("❌" if check.critical else "⚠️")
            message = check.message_zh if lang() == "zh" else check.message_en
            value = "—" if check.value is None else check.value
            lines.append(f"{mark} {message} `{value}` / {check.allowed}")
        st.markdown("  \n".join(lines) or tr("没有检测结果", "No checks recorded"))


def _history(item: ReviewItem, blind: bool) -> None:
    earlier = [h for h in item.history if h.submission_id != item.submission_id]
    with st.expander(tr(f"历史提交（{len(earlier)}）", f"Earlier submissions ({len(earlier)})"), expanded=bool(earlier)):
        if not earlier:
            st.caption(tr("这是该学生的第一张照片。", "This is the student's first photo."))
        labels = STATE_LABELS_ZH if lang() == "zh" else STATE_LABELS_EN
        for entry in earlier:
            parts = [f"{local_time(entry.submitted_at)} · {labels[entry.state]}"]
            for d in entry.decisions:
                if blind and d.is_second_review:
                    continue
                text = plain(f"{decision_label(d.decision)} {reason_label(d.reason_code)}".strip())
                if d.note:
                    text += plain(f"（{d.note}）")
                if d.undone:
                    text = f"~~{text}~~ {tr('已撤销', 'undone')}"
                parts.append(f"{plain(d.reviewer_name)}: {text}")
            st.markdown(" — ".join(parts))


def _quota(item: ReviewItem) -> None:
    q = item.quota
    st.caption(tr(
        f"配额：今日还可标准化 {q.standardisations_left_today} 次 · 已提交 {q.submissions_used} 次，"
        f"还可提交 {q.submissions_left} 次 · 还可更换 {q.replacements_left} 次",
        f"Quota: {q.standardisations_left_today} standardisations left today · {q.submissions_used} "
        f"submissions used, {q.submissions_left} left · {q.replacements_left} replacements left",
    ))
    for grant in item.grants:
        kind = QUOTA_LABELS[grant.kind][0 if lang() == "zh" else 1]
        st.caption(f"➕ {local_time(grant.created_at)} {plain(grant.actor_name)}: {kind} +{grant.amount} — "
                   f"{plain(grant.reason)}")
