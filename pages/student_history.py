"""A student's page for reviewers: every photo sent for review with its decisions, the quota, the
overrides granted so far, and a new override (which, like every override, goes to second review)."""

from __future__ import annotations

import streamlit as st

from core.domain.enums import QuotaKind
from core.domain.states import STATE_LABELS_EN, STATE_LABELS_ZH
from core.services import review
from core.services.review_view import (
    find_students,
    grants,
    quota_summary,
    student_history,
    student_hit,
    student_of_submission,
)
from uikit.plain import plain
from workbench import review_panel
from workbench.context import database, require_actor
from workbench.i18n import lang, tr
from workbench.links import linked_id, show_in_address
from workbench.photo_widgets import show_photo
from workbench.widgets import refusal_stops_page, refusals

LINKED_KEY = "sh_linked"  # the student a link (?student= or ?submission=) opened, until the reviewer searches

actor = require_actor()
st.title(tr("学生审核记录", "Student history"))
linked_submission, linked_student = linked_id("submission"), linked_id("student")
if linked_submission is not None or linked_student is not None:
    with refusal_stops_page(), database().session() as session:
        st.session_state[LINKED_KEY] = (student_of_submission(session, actor, linked_submission)
                                        if linked_submission is not None
                                        else student_hit(session, actor, linked_student))  # type: ignore[arg-type]
    st.session_state["sh_query"] = ""
text = st.text_input(tr("学号、姓名或证件号后 4 位", "Student number, name or last 4 of the ID"), key="sh_query")
if text.strip():
    st.session_state.pop(LINKED_KEY, None)
    show_in_address("submission", None)
linked = st.session_state.get(LINKED_KEY)
with refusal_stops_page(), database().session() as session:
    hits = find_students(session, actor, text)
if not text.strip() and linked is None:
    show_in_address("student", None)
    st.stop()
if text.strip() and not hits:
    st.info(tr("没有找到该学生。", "No such student."))
    st.stop()
if linked is not None and not text.strip():
    chosen = linked
    st.markdown(plain(f"{chosen.name} · {chosen.student_number} · {chosen.id_masked} · {chosen.school_name}"))
else:
    chosen = st.selectbox(
        tr("学生", "Student"), hits, key="sh_pick",
        format_func=lambda h: f"{h.name} · {h.student_number} · {h.id_masked} · {h.school_name}")
show_in_address("student", chosen.roster_record_id)
highlighted = st.query_params.get("submission")

with database().session() as session:
    history = student_history(session, actor, chosen.roster_record_id)
    quota = quota_summary(session, actor, chosen.roster_record_id)
    granted = grants(session, actor, chosen.roster_record_id)

labels = STATE_LABELS_ZH if lang() == "zh" else STATE_LABELS_EN
if not history:
    st.info(tr("该学生还没有提交审核的照片。", "The student has not sent a photo for review yet."))
for entry in history:
    photo, text_col = st.columns([1, 5])
    with photo:
        show_photo(entry.thumbnail_sha, "", missing=tr("无缩略图", "No thumbnail"))
    with text_col:
        st.markdown(f"**{review_panel.local_time(entry.submitted_at)}** · {labels[entry.state]}"
                    + (f" · :blue-badge[{tr('链接中的照片', 'The linked photo')}]"
                       if highlighted == str(entry.submission_id) else ""))
        for d in entry.decisions:
            line = plain(f"{d.reviewer_name}：{review_panel.decision_label(d.decision)} "
                         f"{review_panel.reason_label(d.reason_code)}" + (f"（{d.note}）" if d.note else ""))
            if d.is_second_review:
                line = tr("复核 · ", "Second review · ") + line
            st.caption(f"~~{line}~~ {tr('已撤销', 'undone')}" if d.undone else line)

st.subheader(tr("配额", "Quota"))
st.caption(tr(
    f"今日还可标准化 {quota.standardisations_left_today} 次 · 已提交 {quota.submissions_used} 次，还可提交 "
    f"{quota.submissions_left} 次 · 还可更换 {quota.replacements_left} 次",
    f"{quota.standardisations_left_today} standardisations left today · {quota.submissions_used} submissions "
    f"used, {quota.submissions_left} left · {quota.replacements_left} replacements left",
))
for grant in granted:
    kind = review_panel.QUOTA_LABELS[grant.kind][0 if lang() == "zh" else 1]
    st.caption(f"➕ {review_panel.local_time(grant.created_at)} {plain(grant.actor_name)}: {kind} +{grant.amount} — "
               f"{plain(grant.reason)}")

if chosen.latest_submission_id is None:
    st.caption(tr("学生提交照片后，才能在此调整配额（调整随该照片进入复核）。",
                  "Overrides are possible once the student has sent a photo (they go to second review with it)."))
    st.stop()
with st.form("sh_override", clear_on_submit=True):
    st.markdown(tr("**配额调整**（随学生最新一张照片提交复核）", "**Quota override** (goes to second review with the latest photo)"))
    cols = st.columns([2, 1, 4])
    kind = cols[0].selectbox(tr("类型", "Kind"), list(QuotaKind), key="sh_o_kind",
                             format_func=lambda k: review_panel.QUOTA_LABELS[k][0 if lang() == "zh" else 1])
    amount = cols[1].number_input(tr("次数", "Amount"), 1, 10, 1, key="sh_o_amount")
    reason = cols[2].text_input(tr("原因（必填）", "Reason (required)"), key="sh_o_reason")
    if st.form_submit_button(tr("赠送", "Grant")):
        with refusals():
            with database().session() as session:
                review.grant_override(session, actor, chosen.latest_submission_id, kind, reason, amount=int(amount))
            st.success(tr("已赠送，并已提交复核。", "Granted; sent to second review."))
