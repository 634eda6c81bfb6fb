"""客服转交: the questions support escalated to the registrar's school, longest waiting first, and
the registrar's answer to each (答复 / 由学校解决 / 需学生本人处理), which sends the ticket back to
support for the call-back."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from core.domain.enums import SchoolAnswer, TicketStatus
from core.domain.tickets import ANSWER_LABELS
from core.errors import DomainError
from core.services import tickets
from core.services.policy import get_policy
from uikit.clock import beijing
from uikit.plain import plain
from workbench.context import database, require_actor
from workbench.i18n import tr
from workbench.support import label
from workbench.widgets import commit_then_reload, show_error, show_flash

PICK_KEY = "escalation_pick"

actor = require_actor()
st.title(tr("客服转交", "Escalated by support"))
show_flash()
if actor.school_id is None:
    st.info(tr("此页面供学校学籍部门答复客服转交的问题。", "This page is for a school's registrar."))
    st.stop()

with database().session() as session:
    hours = get_policy(session).escalation_answer_hours
    pending = tickets.escalations_for_school(session, actor, actor.school_id)
st.caption(tr(f"客服热线转交本校处理的学生问题，请在转交后 {hours} 小时内答复；答复后工单回到客服，由客服回访学生。",
              f"Student questions the hotline handed to your school; answer within {hours} hours of the "
              "escalation. The answer goes back to support, who call the student back."))

overdue = [t for t in pending if t.escalation_overdue]
if overdue:
    st.error(tr(f"有 {len(overdue)} 个问题超过 {hours} 小时未答复，请尽快处理。",
                f"{len(overdue)} question(s) waited more than {hours} hours for your answer."),
             icon=":material/alarm:")


def waiting_since(row: tickets.TicketRow) -> str:
    return beijing(row.escalated_at, "short") if row.escalated_at else "-"


if not pending:
    st.success(tr("没有等待本校答复的问题。", "Nothing waits for your answer."))
else:
    st.dataframe(pd.DataFrame(
        [("⚠ " + tr("超时未答复", "Overdue") if t.escalation_overdue else "", t.number, t.student_name or "",
          t.subject, waiting_since(t), beijing(t.escalation_due_at, "short") if t.escalation_due_at else "-")
         for t in pending],
        columns=["", tr("工单号", "Ticket"), tr("学生", "Student"), tr("问题", "Subject"),
                 tr("转交时间", "Escalated"), tr("答复期限", "Answer by")]), hide_index=True)

    numbers = {t.id: f"{t.number} · {t.student_name or '-'} · {t.subject}" for t in pending}
    picked = st.selectbox(tr("答复问题", "Answer"), list(numbers), format_func=lambda i: numbers[i], key=PICK_KEY)
    try:
        with database().session() as session:
            detail = tickets.detail(session, actor, picked)
    except DomainError as error:
        show_error(error)
        st.stop()
    row = detail.row
    st.subheader(plain(f"{row.number} · {row.subject}"), anchor=False)
    st.caption(plain(" · ".join([tr("学生 ", "student ") + (row.student_name or "-"),
                                 tr("转交于 ", "escalated ") + (beijing(row.escalated_at) or "-"),
                                 tr("请于 ", "answer by ") + (beijing(row.escalation_due_at) or "-")
                                 + tr(" 前答复", "")])))
    if row.escalation_overdue:
        st.warning(tr("该问题已超过答复时限。", "This question is past its answer time."), icon=":material/alarm:")
    for note in detail.notes:
        with st.chat_message("user", avatar=":material/support_agent:"):
            st.markdown(f"**{plain(note.author_name)}** · {beijing(note.created_at)}")
            st.markdown(plain(note.body, multiline=True))

    with st.form("school_answer"):
        kind = st.radio(tr("答复类型", "Kind of answer"), list(SchoolAnswer), index=None, horizontal=True,
                        format_func=lambda a: tr(*ANSWER_LABELS[a]), key="school_answer_kind")
        text = st.text_area(tr("答复内容（客服将据此回访学生）", "Answer (support tells the student)"),
                            key="school_answer_text", height=100)
        if st.form_submit_button(tr("提交答复", "Send answer"), type="primary"):
            commit_then_reload(lambda s: tickets.answer_escalation(s, actor, row.id, kind, text),
                               tr(f"已答复工单 {row.number}，工单已转回客服。",
                                  f"Answered {row.number}; the ticket is back with support."))

with st.expander(tr("已答复的问题", "Answered"), icon=":material/history:", expanded=not pending):
    with database().session() as session:
        answered = [t for t in tickets.escalations_for_school(session, actor, actor.school_id, include_resolved=True)
                    if t.status is not TicketStatus.WAITING_SCHOOL]
    if answered:
        st.dataframe(pd.DataFrame(
            [(t.number, t.student_name or "", t.subject,
              tr(*ANSWER_LABELS[t.school_answer]) if t.school_answer else tr("客服已收回", "Taken back by support"),
              beijing(t.school_answered_at, "short") if t.school_answered_at else "", label(t.status))
             for t in answered],
            columns=[tr("工单号", "Ticket"), tr("学生", "Student"), tr("问题", "Subject"), tr("答复", "Answer"),
                     tr("答复时间", "Answered"), tr("工单状态", "Ticket status")]), hide_index=True)
    else:
        st.caption(tr("暂无。", "None yet."))
