"""The chase list: who still has to act before the deadline, filterable, exportable (XLSX/CSV)."""

from __future__ import annotations

from collections.abc import Callable

import pandas as pd
import streamlit as st

from core.domain.access import Actor
from core.domain.reasons import BY_CODE
from core.export import mime_type
from core.services import chase, review_settle, tickets
from core.services.chase import ChaseFilter, ChaseReason
from uikit.clock import beijing
from uikit.downloads import export_button
from uikit.plain import plain
from workbench.context import database, require_actor
from workbench.i18n import lang, tr
from workbench.navigation import PAGES_DIR
from workbench.registrar import pick_school_and_task
from workbench.widgets import refusal_stops_page, refusals

SHOWN = 1000


def reason_text(code: str | None) -> str:
    reason = BY_CODE.get(code or "other")
    return (reason.label_zh if lang() == "zh" else reason.label_en) if reason else (code or "")


def exporter(actor: Actor, task_id: int, fmt: str, filters: ChaseFilter) -> Callable[[], bytes]:
    """Runs when the export is asked for, so the export (and its audit entry) happens only then."""
    def export() -> bytes:
        with database().session() as session:
            return chase.export_chase_list(session, actor, task_id, fmt, filters)
    return export


actor = require_actor()
st.title(tr("催办名单", "Chase list"))
school, task = pick_school_and_task(actor)
with database().session() as session:
    escalated = tickets.escalations_for_school(session, actor, school.id)
if escalated:
    late = sum(t.escalation_overdue for t in escalated)
    with st.expander(tr(f"客服转交本校处理的问题（{len(escalated)}）", f"Escalated by support ({len(escalated)})"),
                     expanded=True, icon=":material/support_agent:"):
        st.dataframe(pd.DataFrame(
            [(t.number, t.student_name or "", t.subject, beijing(t.escalation_due_at, "short"),
              tr("超时未答复", "overdue") if t.escalation_overdue else tr("待答复", "waiting"))
             for t in escalated],
            columns=[tr("工单号", "Ticket"), tr("学生", "Student"), tr("问题", "Subject"), tr("答复期限", "Answer by"),
                     tr("状态", "Status")]), hide_index=True)
        if late:
            st.error(tr(f"{late} 个问题已超时未答复。", f"{late} overdue."), icon=":material/alarm:")
        if actor.school_id is not None:
            st.page_link(str(PAGES_DIR / "school_escalations.py"), label=tr("去答复", "Answer them"),
                         icon=":material/reply:")
with database().session() as session:
    to_replace = review_settle.replacements_for_school(session, actor, school.id)


def mark_replaced(submission_id: int) -> None:
    with refusals(), database().session() as session:
        review_settle.mark_replaced(session, actor, submission_id)


if to_replace:
    with st.expander(tr(f"复核认定不合格、需在学信网更换的照片（{len(to_replace)}）",
                        f"Photos a second review found unfit, to replace on CHSI ({len(to_replace)})"),
                     expanded=True, icon=":material/published_with_changes:"):
        st.caption(tr("这些照片已进入上网批次或已上网，系统不能撤回。请联系学生重新拍摄，并在学信网更换照片；"
                      "批次尚未上传学信网的，请勿上传这张照片。更换后点“已更换”。",
                      "These photos are in a batch already exported or on CHSI and cannot be taken back here. Have the "
                      "student reshoot and replace the photo on CHSI (do not upload it if the batch has not gone yet); "
                      "then press 'Replaced'."))
        for item in to_replace:
            row = st.columns([5, 1], vertical_alignment="center")
            why = reason_text(item.reason_code) + (f"：{item.note}" if item.note else "")
            row[0].markdown(plain(tr(
                f"{item.student_name}（学号 {item.student_number}，证件号后4位 {item.id_last4}） · {item.state_label}"
                f" · 原因：{why} · 裁定于 {beijing(item.settled_at, 'short')}",
                f"{item.student_name} (no. {item.student_number}, ID …{item.id_last4}) · {item.state.value}"
                f" · why: {why} · settled {beijing(item.settled_at, 'short')}")))
            row[1].button(tr("已更换", "Replaced"), key=f"replaced_{item.settlement_id}", on_click=mark_replaced,
                          args=(item.submission_id,))
with database().session() as session:
    groups = chase.departments_and_classes(session, actor, task.id)
departments = sorted({d for d, _ in groups if d})

cols = st.columns([2, 1, 1, 1])
reasons = cols[0].multiselect(tr("待办事项", "What is missing"), list(ChaseReason), key="chase_reasons",
                              placeholder=tr("全部", "All"),
                              format_func=lambda r: r.label_zh if lang() == "zh" else r.label_en)
department = cols[1].selectbox(tr("院系", "Department"), ["", *departments], key="chase_department",
                               format_func=lambda d: d or tr("全部", "All"))
classes = sorted({c for d, c in groups if c and (not department or d == department)})
class_name = cols[2].selectbox(tr("班级", "Class"), ["", *classes], key="chase_class",
                               format_func=lambda c: c or tr("全部", "All"))
search = cols[3].text_input(tr("搜索", "Search"), key="chase_search")
filters = ChaseFilter(reasons=tuple(reasons), department=department, class_name=class_name, search=search)

with refusal_stops_page(), database().session() as session:
    entries = chase.chase_list(session, actor, task.id, filters)
counts = pd.Series([e.reason for e in entries]).value_counts() if entries else pd.Series(dtype=int)
st.caption(tr(f"共 {len(entries):,} 人需要催办", f"{len(entries):,} students to chase") + "：" + "，".join(
    f"{(r.label_zh if lang() == 'zh' else r.label_en)} {int(counts.get(r, 0))}" for r in ChaseReason))

downloads = st.columns([1, 1, 4])
for column, fmt, label in ((downloads[0], "xlsx", "Excel"), (downloads[1], "csv", "CSV")):
    with refusals():
        export_button(tr(f"导出 {label}", f"Export {label}"), tr(f"下载 {label}", f"Download {label}"),
                      exporter(actor, task.id, fmt, filters), file_name=f"催办名单-{task.cohort}.{fmt}",
                      mime=mime_type(fmt), key=f"chase_{fmt}", fingerprint=(task.id, filters), container=column)
if not entries:
    st.success(tr("没有需要催办的学生。", "Nobody to chase."))
    st.stop()
st.dataframe(pd.DataFrame(
    [(e.name, e.student_number, f"****{e.id_last4}", e.department, e.class_name,
      e.reason.label_zh if lang() == "zh" else e.reason.label_en, e.detail) for e in entries[:SHOWN]],
    columns=[tr("姓名", "Name"), tr("学号", "Student number"), tr("证件号", "ID"), tr("院系", "Department"),
             tr("班级", "Class"), tr("待办事项", "What is missing"), tr("说明", "Detail")]), hide_index=True)
if len(entries) > SHOWN:
    st.caption(tr(f"仅显示前 {SHOWN} 人，导出文件包含全部。", f"The first {SHOWN} are shown; the export has everyone."))
