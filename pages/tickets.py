"""工单: the queue of open tickets by due time, one ticket's notes and steps, and new tickets from a call."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from core.domain.enums import TicketCategory, TicketChannel, TicketPriority, TicketStatus
from core.domain.tickets import ANSWER_LABELS, OPEN_STATUSES
from core.errors import DomainError
from core.services import tickets
from uikit.plain import plain
from workbench.context import database, require_actor
from workbench.i18n import tr
from workbench.links import linked_id, show_in_address
from workbench.support import LOOKUP_PAGE, canned_answers_panel, china_time, label
from workbench.widgets import commit_then_reload, show_error, show_flash

TICKET_KEY = "ticket_id"

actor = require_actor()
st.title(tr("工单", "Tickets"))
show_flash()

linked = linked_id("ticket")
if linked is not None:
    st.session_state[TICKET_KEY] = linked


def show_ticket(ticket_id: int) -> None:
    """One ticket: its notes and the steps that move it on."""
    try:
        with database().session() as session:
            detail = tickets.detail(session, actor, ticket_id)
            staff = {u.id: u.name for u in tickets.support_staff(session, actor)}
    except DomainError as error:
        show_error(error)
        return
    t = detail.row
    st.divider()
    st.subheader(plain(f"{t.number} · {t.subject}"), anchor=False)
    due = china_time(t.due_at) + (tr("（已超时）", " (overdue)") if t.overdue else "")
    st.caption(plain(" · ".join([label(t.status), label(t.priority), label(t.category), label(t.channel),
                                 tr("到期 ", "due ") + due, tr("来电 ", "caller ") + (t.caller_phone or "-"),
                                 tr("处理人 ", "assignee ") + (t.assignee_name or "-")])))
    if t.overdue:
        st.error(tr(f"该工单已超时（应于 {china_time(t.due_at)} 前处理）。",
                    f"This ticket is overdue (was due {china_time(t.due_at)})."), icon=":material/alarm:")
    if t.roster_record_id is not None:
        st.page_link(LOOKUP_PAGE, label=plain(tr(f"查看学生：{t.student_name}（{t.school_name}）",
                                                 f"Open student: {t.student_name} ({t.school_name})")),
                     query_params={"record": str(t.roster_record_id)}, icon=":material/person_search:")
    school_answer_panel(detail)
    for note in detail.notes:
        with st.chat_message("user", avatar=":material/support_agent:"):
            st.markdown(f"**{plain(note.author_name)}** · {china_time(note.created_at)}")
            st.markdown(plain(note.body, multiline=True))
    if t.status is TicketStatus.RESOLVED:
        st.success(tr("已解决：", "Resolved: ") + plain(detail.resolution, multiline=True) + f" · {china_time(t.resolved_at)}")
        with st.form("reopen_ticket"):
            why = st.text_input(tr("重新打开原因", "Why reopen"), key="reopen_reason")
            if st.form_submit_button(tr("重新打开", "Reopen")):
                commit_then_reload(lambda s: tickets.reopen(s, actor, t.id, why), tr("工单已重新打开。", "Reopened."))
        return

    note_col, step_col = st.columns(2, gap="large")
    with note_col:
        with st.form("ticket_note", clear_on_submit=True):
            body = st.text_area(tr("添加备注", "Add a note"), key="ticket_note_body", height=80)
            if st.form_submit_button(tr("保存备注", "Save note")):
                commit_then_reload(lambda s: tickets.add_note(s, actor, t.id, body), tr("已保存备注。", "Note saved."))
        with st.form("ticket_resolve"):
            resolution = st.text_area(tr("处理结果", "Resolution"), key="ticket_resolution", height=80)
            if st.form_submit_button(tr("解决工单", "Resolve"), type="primary"):
                commit_then_reload(lambda s: tickets.resolve(s, actor, t.id, resolution),
                                   tr("工单已解决。", "Ticket resolved."))
    with step_col:
        if t.assignee_id is not None and t.assignee_id not in staff:  # e.g. an account since disabled
            staff[t.assignee_id] = t.assignee_name or f"#{t.assignee_id}"
        options: list[int | None] = [None, *staff]
        assignee = st.selectbox(tr("处理人", "Assignee"), options,
                                index=options.index(t.assignee_id) if t.assignee_id in options else 0,
                                format_func=lambda i: staff[i] if i else tr("未指派", "Unassigned"),
                                key=f"ticket_assignee_{t.id}")
        if assignee != t.assignee_id:
            commit_then_reload(lambda s: tickets.assign(s, actor, t.id, assignee), tr("已指派。", "Assigned."))
        if t.status in (TicketStatus.WAITING_STUDENT, TicketStatus.SCHOOL_REPLIED):
            back = (tr("学生已回复，继续处理", "Student replied: back to open") if t.status is TicketStatus.WAITING_STUDENT
                    else tr("已阅学校答复，继续处理", "Read the school's answer: back to open"))
            if st.button(back, key="ticket_to_open"):
                commit_then_reload(lambda s: tickets.set_status(s, actor, t.id, TicketStatus.OPEN),
                                   tr("已改为处理中。", "Back to open."))
        if t.status is not TicketStatus.WAITING_STUDENT and st.button(tr("等待学生回复", "Wait for the student"),
                                                                      key="ticket_wait_student"):
            commit_then_reload(lambda s: tickets.set_status(s, actor, t.id, TicketStatus.WAITING_STUDENT),
                               tr("已改为等待学生。", "Waiting on the student."))
        if not t.escalated_to_school or t.status is not TicketStatus.WAITING_SCHOOL:
            with st.form("ticket_escalate"):
                why = st.text_input(tr("转交学籍部门的原因", "Why escalate to the registrar"), key="escalate_reason")
                if st.form_submit_button(tr("转交学校", "Escalate to school")):
                    commit_then_reload(lambda s: tickets.escalate_to_school(s, actor, t.id, why),
                                       tr("已转交学籍部门。", "Escalated to the registrar."))
        canned_answers_panel(t.category, key="canned_ticket")


def school_state(row: tickets.TicketRow) -> str:
    """The queue's word on a ticket's escalation: overdue at the school, waiting, or its answer."""
    if row.escalation_overdue:
        return "⚠ " + tr("学校超时未答复", "School overdue")
    if row.status is TicketStatus.WAITING_SCHOOL:
        return tr("等待答复", "Waiting")
    if row.status is TicketStatus.SCHOOL_REPLIED and row.school_answer is not None:
        return tr(*ANSWER_LABELS[row.school_answer])
    return ""


def school_answer_panel(detail: tickets.TicketDetail) -> None:
    """Where the ticket stands with the school: waiting (and whether past the school's time), or
    the school's answer, which tells the agent what the call-back to the student is."""
    t = detail.row
    if t.status is TicketStatus.WAITING_SCHOOL:
        due = china_time(t.escalation_due_at) if t.escalation_due_at else "-"
        if t.escalation_overdue:
            st.error(tr(f"已转交学籍部门，学校超时未答复（应于 {due} 前答复），请致电学校催办。",
                        f"Escalated to the school, which has not answered in time (due {due}): call the school."),
                     icon=":material/alarm:")
        else:
            st.info(tr(f"已转交学籍部门，等待学校答复（应于 {due} 前答复）。",
                       f"Escalated to the school's registrar; answer due {due}."), icon=":material/hourglass_top:")
    elif t.school_answer is not None:
        kind = tr(*ANSWER_LABELS[t.school_answer])
        heading = tr(f"学校答复（{kind}）", f"The school answered ({kind})")
        st.info(f"**{heading}** · {plain(detail.school_answered_by)} · {china_time(t.school_answered_at)}  \n"
                + plain(detail.school_answer_text, multiline=True), icon=":material/mark_email_read:")
    elif t.escalated_to_school:
        st.info(tr("曾转交学籍部门。", "Was escalated to the school's registrar."))


queue_tab, new_tab, answers_tab = st.tabs([tr("待处理", "Queue"), tr("新建工单（来电）", "New ticket (call)"),
                                           tr("常用答复", "Canned answers")])

with queue_tab:
    f1, f2 = st.columns([1, 3])
    mine = f1.toggle(tr("只看我的", "Mine only"), key="tickets_mine")
    statuses = f2.multiselect(tr("状态", "Status"), sorted(OPEN_STATUSES), default=sorted(OPEN_STATUSES),
                              format_func=label, key="tickets_statuses")
    with database().session() as session:
        rows = tickets.queue(session, actor, assignee_id=actor.id if mine else None,
                             statuses=frozenset(statuses) or OPEN_STATUSES)
    overdue = sum(r.overdue for r in rows)
    school_late = sum(r.escalation_overdue for r in rows)
    replied = sum(r.status is TicketStatus.SCHOOL_REPLIED for r in rows)
    st.caption(tr(f"待处理 {len(rows)} 个，其中 {overdue} 个已超时；按到期时间排序。",
                  f"{len(rows)} open, {overdue} overdue; soonest due first.")
               + (tr(f" 学校已答复待回访 {replied} 个。", f" {replied} answered by the school.") if replied else "")
               + (tr(f" 转交学校超时未答复 {school_late} 个。", f" {school_late} overdue at the school.")
                  if school_late else ""))
    if rows:
        st.dataframe(
            pd.DataFrame(
                [("⚠ " + tr("超时", "Overdue") if r.overdue else "", r.number, china_time(r.due_at), label(r.priority),
                  label(r.category), label(r.status), school_state(r), r.subject, r.student_name or "",
                  r.school_name or "", r.assignee_name or "") for r in rows],
                columns=["", tr("工单号", "Number"), tr("到期", "Due"), tr("优先级", "Priority"),
                         tr("类别", "Category"), tr("状态", "Status"), tr("学校处理", "At the school"),
                         tr("摘要", "Subject"), tr("学生", "Student"),
                         tr("学校", "School"), tr("处理人", "Assignee")]),
            hide_index=True)
        numbers = {r.id: f"{r.number} · {r.subject}" for r in rows}
        current = st.session_state.get(TICKET_KEY)
        choices: list[int] = ([current] if current and current not in numbers else []) + list(numbers)
        picked = st.selectbox(tr("打开工单", "Open ticket"), choices,
                              index=choices.index(current) if current in choices else 0,
                              format_func=lambda i: numbers.get(i, f"#{i}"), key="ticket_pick")
        st.session_state[TICKET_KEY] = picked
    elif st.session_state.get(TICKET_KEY) is None:
        st.info(tr("没有待处理的工单。", "No open tickets."))

    show_in_address("ticket", st.session_state.get(TICKET_KEY))
    if st.session_state.get(TICKET_KEY) is not None:
        show_ticket(st.session_state[TICKET_KEY])

with new_tab:
    with st.form("call_ticket", clear_on_submit=True):
        c1, c2, c3 = st.columns(3)
        category = c1.selectbox(tr("问题类别", "Category"), list(TicketCategory), index=None, format_func=label,
                                placeholder=tr("请选择", "Choose"), key="call_category")
        priority = c2.selectbox(tr("优先级", "Priority"), list(TicketPriority), index=2, format_func=label,
                                key="call_priority")
        channel = c3.selectbox(tr("渠道", "Channel"), list(TicketChannel), format_func=label, key="call_channel")
        phone = st.text_input(tr("来电号码", "Caller phone"), key="call_phone")
        subject = st.text_input(tr("问题摘要", "Subject"), key="call_subject")
        note = st.text_area(tr("备注", "Note"), key="call_note")
        st.caption(tr("已知学生时，请从“学生查询”页面新建工单，工单会关联到该学生。",
                      "When the student is known, open the ticket from the lookup page so it is linked to them."))
        if st.form_submit_button(tr("创建工单", "Open ticket"), type="primary"):
            commit_then_reload(
                lambda s: tickets.open_ticket(s, actor, category=category, subject=subject, channel=channel,
                                              priority=priority, caller_phone=phone, assignee_id=actor.id, note=note),
                tr("工单已创建。", "Ticket opened."))

with answers_tab:
    canned_answers_panel(key="canned_tab")
