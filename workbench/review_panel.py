"""The review screen's body, shared by the review queue and second review: the standardised photo
beside the enrolment photo at native size (``photo_compare``), under them who it is, the face band
and the failed checks in a block of fixed height, and on demand every check, the student's history
and quota. It only shows a ``ReviewItem``; deciding is the pages' job."""

from __future__ import annotations

from datetime import datetime

import streamlit as st

from core.domain.enums import Decision, QuotaKind
from core.domain.quotas import CHINA
from core.domain.reasons import BY_CODE, SUGGESTED_BY_CHECK
from core.domain.states import STATE_LABELS_EN, STATE_LABELS_ZH
from core.errors import DomainError
from core.services.review_view import ReviewItem
from uikit.plain import plain
from workbench import photo_compare
from workbench.i18n import lang, tr
from workbench.photo_widgets import cached_photo, guide_legend, show_photo

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


BAND_ICONS = {"green": ":material/check_circle:", "orange": ":material/help:", "red": ":material/cancel:",
              "gray": ":material/remove_circle_outline:"}
PASSED_MARK = (":material/check_circle:", "通过", "passed")
FAILED_MARK = (":material/cancel:", "未通过", "failed")
ADVISORY_MARK = (":material/info:", "提示", "advisory")
"""Marks carry a shape and a word, so they read without colour and without an emoji font."""

STATUS_CSS = """<style>
.st-key-review_status{height:4.7rem !important;overflow:hidden;flex:0 0 auto}
.st-key-review_status p{margin:0;white-space:nowrap;overflow:hidden;text-overflow:ellipsis}
[data-testid="stMainBlockContainer"]{padding-top:2.2rem;padding-left:1.5rem;padding-right:1.5rem}
[data-testid="stMainBlockContainer"] h1{font-size:1.8rem;padding:0}
</style>"""
"""The review screens need the width for two 480 px photos and a status line whose height never changes."""


def mark(passed: bool, critical: bool = True) -> str:
    icon, zh, en = PASSED_MARK if passed else (FAILED_MARK if critical else ADVISORY_MARK)
    return f"{icon} {tr(zh, en)}"


def failed_summary(item: ReviewItem) -> str:
    """The failed checks in one line of plain words, most serious first."""
    failed = sorted(item.failed_checks, key=lambda c: not c.critical)
    if not failed:
        return f"{mark(True)}（{tr(f'全部 {len(item.checks)} 项', f'all {len(item.checks)} checks')}）"
    words = "；".join(plain(c.message_zh if lang() == "zh" else c.message_en) for c in failed)
    return f"{mark(False)} " + tr(f"{len(failed)} 项：", f"{len(failed)}: ") + words


def layout_css() -> None:
    st.html(STATUS_CSS)


def render(item: ReviewItem, *, guides: bool, help_key: str) -> None:
    """The part of the screen a decision looks at, all above the fold at 1440×900: the two photos at
    native size, then who it is, the score and the failed checks in a status block of fixed height."""
    standardised = _photo_bytes(item.standardised_sha, guides)
    enrolment = _photo_bytes(item.enrolment_sha, False)
    photo_compare.render(
        standardised, enrolment, left_label=tr("标准化照片", "Standardised photo"),
        right_label=tr("学籍照片", "Enrolment photo"),
        left_missing=tr("照片尚未标准化或文件损坏", "Not standardised yet, or the file is damaged"),
        right_missing=tr("该学生没有可用的学籍照片", "No usable enrolment photo on file"),
        help_button_key=help_key)
    with st.container(key="review_status"):
        st.markdown(f"{_student(item)}  \n{_score(item)}  \n{tr('质量检测', 'Quality')}：{failed_summary(item)}")


def details(item: ReviewItem, *, guides: bool, show_raw: bool, blind: bool = False) -> None:
    """Everything else, folded out on demand below the decision buttons."""
    if guides:
        st.caption(guide_legend())
    if item.enrolment_error:
        st.caption(tr("学籍照片无法比对：", "Enrolment photo not usable: ") + plain(item.enrolment_error))
    _flags(item)
    _checks(item)
    _history(item, blind)
    _quota(item)
    if show_raw:
        show_photo(item.raw_sha, tr("原始照片（学生拍摄）", "Raw capture"), width=480)


def _photo_bytes(sha: str | None, guides: bool) -> bytes | None:
    if sha is None:
        return None
    try:
        return cached_photo(sha, guides)
    except DomainError:
        return None


def _student(item: ReviewItem) -> str:
    category = item.category.label_zh if lang() == "zh" else item.category.value
    attempt = tr(f"第 {item.attempt_number} 次提交", f"submission #{item.attempt_number}")
    return (f"**{plain(item.student_name)}** · {tr('学号', 'No.')} {plain(item.student_number)} · "
            f"{tr('证件号', 'ID')} {plain(item.id_masked)} · {plain(item.school_name)} · {plain(item.task_title)} · "
            f"{category} · {attempt} · {tr('提交于', 'sent')} {local_time(item.submitted_at)}")


def _score(item: ReviewItem) -> str:
    band = item.band
    text = f"{BAND_ICONS[band.tone]} **{band.label(lang())}**"
    if item.face_similarity is not None:
        text += f" · {tr('相似度', 'similarity')} **{item.face_similarity:.1f}**"
    return f"{tr('人像比对', 'Face comparison')}：{text}"


def _flags(item: ReviewItem) -> None:
    """Advisory checks that point at a rejection reason (the re-photograph flag), shown above the list."""
    for check in item.failed_checks:
        code = SUGGESTED_BY_CHECK.get(check.code)
        if code is None:
            continue
        st.warning(tr(f"自动提示（{plain(check.words('zh'))}）：建议驳回原因「{reason_label(code)}」。"
                      "请查看原图确认；系统不会自动驳回。",
                      f"Automatic flag ({plain(check.words('en'))}): suggested reason "
                      f"\"{reason_label(code)}\". Check the raw capture; nothing is rejected automatically."),
                   icon=":material/flag:")


def _checks(item: ReviewItem) -> None:
    failed = item.failed_checks
    title = tr(f"质量检测详情：{len(failed)} 项未通过", f"Quality details: {len(failed)} failed") if failed else tr(
        "质量检测详情：全部通过", "Quality details: all passed")
    with st.expander(title, icon=":material/checklist:"):
        lines = []
        for check in sorted(item.checks, key=lambda c: c.passed):
            message = check.message_zh if lang() == "zh" else check.message_en
            detail = check.words(lang())
            said = message if detail == message else f"{message}（{detail}）"
            lines.append(f"{mark(check.passed, check.critical)} · {plain(said)}")
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


def help_button(key: str, page_keys: list[tuple[str, str]], *, photo_keys: bool = True) -> None:
    """The ``?`` button: every key of this screen in one list (a small script presses it on ``?``,
    which Streamlit's own shortcuts cannot take)."""
    if st.button(tr("快捷键", "Shortcuts"), key=key, icon=":material/keyboard:", help=tr("按 ? 打开", "Press ?")):
        lines = [*page_keys, *(photo_compare.shortcut_lines() if photo_keys else []),
                 ("?", tr("显示本列表", "Show this list"))]
        st.dialog(tr("键盘快捷键", "Keyboard shortcuts"))(_shortcut_list)(lines)


def _shortcut_list(lines: list[tuple[str, str]]) -> None:
    st.markdown("  \n".join(f"**{plain(key)}** · {plain(what)}" for key, what in lines))
