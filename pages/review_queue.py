"""The review queue: the next photo is claimed and shown; one key decides it and the next appears.

Keys: A approve · 1–9, 0 reject with that reason · O other (with a note) · S skip · U undo the last
decision · G frame guides · ? every shortcut (zoom and flicker keys are the photo component's).
The work area is a fragment, so a decision reruns only it; what a decision did is said in a toast,
so nothing on the screen moves.
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from core.domain.enums import Decision, EducationCategory, QuotaKind, SubmissionState
from core.domain.quotas import CHINA
from core.domain.reasons import REJECTION_REASONS
from core.domain.review_bands import BANDS, band_of
from core.errors import Conflict, DomainError
from core.imaging.types import Verdict
from core.services import review
from core.services.review import QueueFilter
from core.services.review_view import ReviewItem, review_item
from uikit.plain import plain
from workbench import review_panel
from workbench.context import database, require_actor
from workbench.i18n import lang, tr
from workbench.navigation import PAGES_DIR
from workbench.photo_widgets import thumbnail_uri
from workbench.widgets import refusals

actor = require_actor()

CURRENT, SKIPPED, LAST, FLASH, FILTERS, NOTE = (
    "rq_current", "rq_skipped", "rq_last_decision", "rq_flash", "rq_filters", "rq_note")
REASON_KEYS = [str(n) for n in range(1, 10)] + ["0"]
NUMBERED = [r for r in REJECTION_REASONS if not r.needs_note][: len(REASON_KEYS)]
OTHER = next(r for r in REJECTION_REASONS if r.needs_note)

st.session_state.setdefault(SKIPPED, [])


def filter_bar() -> QueueFilter:
    with database().session() as session:
        tasks = review.task_choices(session, actor)
        flags = review.failed_check_counts(session, actor)
    schools = {t.school_id: t.school_name for t in tasks}
    everything = tr("全部", "All")
    with filters_place.popover(tr("筛选", "Filter"), icon=":material/filter_list:", width="stretch"):
        cols = st.columns(2)
        school = cols[0].selectbox(tr("学校", "School"), [None, *schools], key="rq_f_school",
                                   format_func=lambda v: everything if v is None else schools[v])
        task_titles = {t.task_id: t.title for t in tasks if school is None or t.school_id == school}
        task = cols[1].selectbox(tr("采集任务", "Task"), [None, *task_titles], key="rq_f_task",
                                 format_func=lambda v: everything if v is None else task_titles[v])
        category = cols[0].selectbox(
            tr("学历类别", "Category"), [None, *EducationCategory], key="rq_f_category",
            format_func=lambda v: everything if v is None else (v.label_zh if lang() == "zh" else v.value))
        bands = {v.value: BANDS[v].label(lang()) for v in Verdict} | {review.NO_SCORE: BANDS[None].label(lang())}
        band = cols[1].selectbox(tr("人像比对", "Face band"), [None, *bands], key="rq_f_band",
                                 format_func=lambda v: everything if v is None else bands[v])
        qualities = {"failed": tr("有不合格项", "Any check failed"), "passed": tr("全部合格", "All passed")} | {
            code: f"{code} ({n})" for code, n in flags.items()}
        quality = cols[0].selectbox(tr("质量检测", "Quality"), [None, *qualities], key="rq_f_quality",
                                    format_func=lambda v: everything if v is None else qualities[v])
        resubmissions = cols[1].number_input(tr("至少重交次数", "Min. resubmissions"), 0, 10, 0, key="rq_f_resub")
        newest = st.toggle(tr("最新提交优先", "Newest first"), key="rq_f_newest")
    return QueueFilter(school_id=school, task_id=task, category=category, band=band, quality=quality,
                       min_resubmissions=int(resubmissions) or None, newest_first=newest)


TOAST_ICONS = {"success": ":material/check_circle:", "info": ":material/undo:", "warning": ":material/warning:",
               "error": ":material/error:"}
SHORTCUTS = [("A", "通过"), ("1–9, 0", "按编号的原因驳回"), ("O", "其他原因驳回（需填写备注）"), ("S", "跳过"),
             ("U", "撤销上一个决定"), ("G", "显示/隐藏框线")]
SHORTCUTS_EN = [("A", "Approve"), ("1–9, 0", "Reject with that numbered reason"), ("O", "Reject: other (note needed)"),
                ("S", "Skip"), ("U", "Undo the last decision"), ("G", "Frame guides on/off")]


def flash(kind: str, message: str) -> None:
    st.session_state[FLASH] = (kind, message)


def shortcut_keys() -> list[tuple[str, str]]:
    numbered = [(REASON_KEYS[i], reason.label_zh if lang() == "zh" else reason.label_en)
                for i, reason in enumerate(NUMBERED)]
    return [*(SHORTCUTS if lang() == "zh" else SHORTCUTS_EN), *numbered]


def decide_current(decision: Decision, reason_code: str | None, filters: QueueFilter, name: str) -> None:
    current = st.session_state.get(CURRENT)
    if current is None:
        return
    try:
        with database().session() as session:
            row, following = review.decide_and_claim_next(
                session, actor, current, decision, filters, reason_code=reason_code,
                note=st.session_state.get(NOTE, ""), exclude=st.session_state[SKIPPED])
            decision_id, next_id = row.decision_id, following.submission_id if following else None
    except Conflict as conflict:
        flash("error", conflict.message(lang()))
        st.session_state[CURRENT] = None
        return
    except DomainError as refusal:
        flash("warning", refusal.message(lang()))
        return
    st.session_state[LAST] = decision_id
    st.session_state[CURRENT] = next_id
    st.session_state[NOTE] = ""
    verdict = tr("已通过", "Approved") if decision is Decision.APPROVE else (
        tr("已驳回", "Rejected") + f"（{review_panel.reason_label(reason_code)}）")
    flash("success", f"{verdict}：{name}")


def skip_current(filters: QueueFilter) -> None:
    current = st.session_state.get(CURRENT)
    if current is None:
        return
    st.session_state[SKIPPED] = [*st.session_state[SKIPPED], current]
    try:
        with database().session() as session:
            following = review.skip(session, actor, current, filters, exclude=st.session_state[SKIPPED])
            st.session_state[CURRENT] = following.submission_id if following else None
    except DomainError as refusal:
        flash("error", refusal.message(lang()))
        st.session_state[CURRENT] = None


def undo_last() -> None:
    last, current = st.session_state.get(LAST), st.session_state.get(CURRENT)
    if last is None:
        return
    try:
        with database().session() as session:
            returned = review.undo(session, actor, last)
            if current is not None and current != returned.submission_id:
                review.release(session, actor, current)
            st.session_state[CURRENT] = returned.submission_id
    except DomainError as refusal:
        flash("error", refusal.message(lang()))
        return
    st.session_state[LAST] = None
    flash("info", tr("已撤销上一个决定，请重新审核这张照片。", "Last decision undone; review this photo again."))


def toggle_guides() -> None:
    st.session_state["rq_guides"] = not st.session_state.get("rq_guides", False)


def load(filters: QueueFilter) -> tuple[ReviewItem | None, review.QueueDepth, int]:
    """The photo to show (claiming one when needed), the queue depth and my count, in one transaction."""
    with database().session() as session:
        current = st.session_state.get(CURRENT)
        item = review_item(session, actor, current) if current is not None else None
        if item is not None and (item.state is not SubmissionState.AWAITING_REVIEW or not item.held_by_me):
            flash("warning", tr("这张照片已被他人处理或您的领取已超时，已为您领取下一张。",
                                "Someone else took or decided this photo (your claim expired); here is the next one."))
            item = None
        elif item is not None and item.claim_lapsed():
            try:
                review.claim(session, actor, item.submission_id)
            except Conflict:
                item = None
        if item is None:
            claimed = review.claim_next(session, actor, filters, exclude=st.session_state[SKIPPED])
            st.session_state[CURRENT] = claimed.submission_id if claimed else None
            item = review_item(session, actor, claimed.submission_id) if claimed else None
        return item, review.queue_depth(session, actor, filters), review.my_count_today(session, actor)


@st.fragment
def work_area(filters: QueueFilter) -> None:
    item, depth, mine = load(filters)
    counters.markdown(tr(
        f"待审核 **{depth.waiting:,}** · 审核中 **{depth.held:,}** · 我今日已审 **{mine:,}**",
        f"Waiting **{depth.waiting:,}** · being reviewed **{depth.held:,}** · mine today **{mine:,}**",
    ))
    message = st.session_state.pop(FLASH, None)
    if message:
        st.toast(plain(message[1]), icon=TOAST_ICONS[message[0]])  # may name the student
    if item is None:
        st.success(tr("队列中没有待审核的照片。", "Nothing is waiting for review."), icon=":material/task_alt:")
        cols = st.columns([1, 1, 4])
        cols[0].button(tr("刷新", "Refresh"), key="rq_refresh", icon=":material/refresh:")
        if st.session_state[SKIPPED]:
            cols[1].button(tr(f"重新查看跳过的 {len(st.session_state[SKIPPED])} 张", "Show skipped photos again"),
                           key="rq_unskip", on_click=lambda: st.session_state.update({SKIPPED: []}))
        if st.session_state.get(LAST) is not None:
            cols[2].button(tr("撤销", "Undo"), key="rq_undo_empty", shortcut="u", on_click=undo_last)
        return

    guides = st.session_state.get("rq_guides", False)
    review_panel.render(item, guides=guides, help_key="rq_help")
    actions(item, filters)
    if item.claim_expires_at:
        st.caption(tr("领取有效至 ", "Held until ") + item.claim_expires_at.astimezone(CHINA).strftime("%H:%M:%S"))
    review_panel.details(item, guides=guides, show_raw=st.session_state.get("rq_raw", False))
    override(item)
    upcoming(filters)


def actions(item: ReviewItem, filters: QueueFilter) -> None:
    name = item.student_name
    top = st.columns([3, 2, 2, 2, 2, 8, 3], vertical_alignment="center")
    top[0].button(tr("通过", "Approve"), key="rq_approve", type="primary", shortcut="a", icon=":material/check:",
                  on_click=decide_current, args=(Decision.APPROVE, None, filters, name), width="stretch")
    top[1].button(tr("跳过", "Skip"), key="rq_skip", shortcut="s", on_click=skip_current, args=(filters,),
                  width="stretch")
    top[2].button(tr("撤销", "Undo"), key="rq_undo", shortcut="u", on_click=undo_last, width="stretch",
                  disabled=st.session_state.get(LAST) is None)
    top[3].button(tr("框线", "Guides"), key="rq_guides_btn", shortcut="g", on_click=toggle_guides, width="stretch",
                  type="primary" if st.session_state.get("rq_guides") else "secondary")
    top[4].toggle(tr("原图", "Raw"), key="rq_raw")
    top[5].text_input(tr("备注", "Note"), key=NOTE, label_visibility="collapsed",
                      placeholder=tr("备注（学生可见；选“其他”时必填）", "Note (the student sees it; required for 'other')"))
    top[6].button(OTHER.label_zh if lang() == "zh" else OTHER.label_en, key="rq_reject_other", shortcut="o",
                  on_click=decide_current, args=(Decision.REJECT, OTHER.code, filters, name), width="stretch")
    for row in (NUMBERED[:5], NUMBERED[5:]):
        for col, reason in zip(st.columns(5), row, strict=False):
            col.button(reason.label_zh if lang() == "zh" else reason.label_en, key=f"rq_reject_{reason.code}",
                       shortcut=REASON_KEYS[NUMBERED.index(reason)], width="stretch",
                       on_click=decide_current, args=(Decision.REJECT, reason.code, filters, name))


def override(item: ReviewItem) -> None:
    labels = review_panel.QUOTA_LABELS
    with st.expander(tr("配额调整（将提交复核）", "Quota override (goes to second review)"), icon=":material/add_circle:"):
        with st.form("rq_override", clear_on_submit=True):
            cols = st.columns([2, 1, 4])
            kind = cols[0].selectbox(tr("类型", "Kind"), list(QuotaKind), key="rq_o_kind",
                                     format_func=lambda k: labels[k][0 if lang() == "zh" else 1])
            amount = cols[1].number_input(tr("次数", "Amount"), 1, 10, 1, key="rq_o_amount")
            reason = cols[2].text_input(tr("原因（必填）", "Reason (required)"), key="rq_o_reason")
            if st.form_submit_button(tr("赠送", "Grant")):
                with refusals():
                    with database().session() as session:
                        review.grant_override(session, actor, item.submission_id, kind, reason, amount=int(amount))
                    st.success(tr("已赠送，并已提交复核。", "Granted; sent to second review."))


def upcoming(filters: QueueFilter) -> None:
    """The next waiting photos with thumbnails, on request (it costs a query per keypress)."""
    if not st.toggle(tr("显示后续待审照片", "Show the photos that come next"), key="rq_list"):
        return
    with database().session() as session:
        rows = review.list_queue(session, actor, filters, limit=20)
    st.dataframe(pd.DataFrame({
        tr("照片", "Photo"): [thumbnail_uri(r.thumbnail_sha) for r in rows],
        tr("学生", "Student"): [r.student_name for r in rows],
        tr("学校", "School"): [r.school_name for r in rows],
        tr("任务", "Task"): [r.task_title for r in rows],
        tr("提交次数", "Attempt"): [r.attempt_number for r in rows],
        tr("人像比对", "Face"): [
            band_of(r.face_verdict).label(lang()) + ("" if r.face_similarity is None else f" {r.face_similarity:.1f}")
            for r in rows],
        tr("不合格项", "Failed checks"): [", ".join(r.quality_flags) for r in rows],
        tr("状态", "Status"): [tr("他人审核中", "held by another reviewer") if r.held_by_other else "" for r in rows],
    }), column_config={tr("照片", "Photo"): st.column_config.ImageColumn(width="small")}, hide_index=True,
        row_height=64)


review_panel.layout_css()
heading, counters, filters_place, grid_place, help_place = st.columns([3, 6, 1.3, 1.6, 1.4],
                                                                       vertical_alignment="center")
heading.title(tr("审核队列", "Review queue"))
counters = counters.empty()
grid_place.page_link(str(PAGES_DIR / "review_grid.py"), label=tr("宫格审核", "Grid mode"), icon=":material/grid_view:")
with help_place:
    review_panel.help_button("rq_help", shortcut_keys())
chosen = filter_bar()
if st.session_state.get(FILTERS) != chosen:
    previous = st.session_state.get(CURRENT)
    if previous is not None and FILTERS in st.session_state:
        with database().session() as session:
            review.release(session, actor, previous)
        st.session_state[CURRENT] = None
    st.session_state[FILTERS] = chosen
    st.session_state[SKIPPED] = []
work_area(chosen)
