"""Audit log viewer: filter by actor, student, school, action and time; export. Read-only: the
application offers no way to change or remove an event."""

from __future__ import annotations

import json
from datetime import datetime, time, timedelta

import pandas as pd
import streamlit as st

from core.domain.audit_words import action_name
from core.domain.quotas import CHINA
from core.errors import DomainError
from core.export import mime_type
from core.models import utcnow
from core.services import audit, schools
from uikit.clock import beijing
from uikit.downloads import export_button
from workbench.context import database, require_actor
from workbench.i18n import lang, tr
from workbench.widgets import refusal_stops_page, show_error

PAGE_SIZE = 50

actor = require_actor()
st.title(tr("审计日志", "Audit log"))
st.caption(tr("记录所有员工操作，只能查看和导出，不能修改或删除。时间为北京时间。",
              "Every staff action. It can be viewed and exported, never changed or deleted. Times are Beijing time."))

with database().session() as session:
    all_schools = {s.id: s for s in schools.list_schools(session, actor)}
    known_actions = audit.actions(session, actor)
families = sorted({action.split(".")[0] + "." for action in known_actions})

left, middle, right = st.columns(3)
actor_text = left.text_input(tr("操作人（姓名包含）", "Actor (name contains)"), key="audit_actor")
student = middle.text_input(tr("学生（学号或姓名）", "Student (number or name)"), key="audit_student")
school_id = right.selectbox(tr("学校", "School"), [None, *all_schools], key="audit_school",
                            format_func=lambda i: tr("全部", "All") if i is None else all_schools[i].name)
left, right = st.columns(2)
action = left.selectbox(tr("操作", "Action"), ["", *families, *known_actions], key="audit_action",
                        format_func=lambda a: tr("全部", "All") if not a else action_name(a, lang()))
today = utcnow().astimezone(CHINA).date()
period = right.date_input(tr("日期范围", "Dates"), (today - timedelta(days=30), today), key="audit_dates")


def beijing_midnight(day) -> datetime:
    return datetime.combine(day, time.min, tzinfo=CHINA)


since = beijing_midnight(period[0]) if len(period) > 0 else None
until = beijing_midnight(period[1] + timedelta(days=1)) if len(period) > 1 else None
filters = audit.AuditFilter(actor=actor_text, student=student, school_id=school_id, action=action,
                            since=since, until=until)

with refusal_stops_page(), database().session() as session:
    total_pages = audit.query(session, actor, filters, page=1, page_size=PAGE_SIZE).pages
if st.session_state.get("audit_page", 1) > total_pages:
    st.session_state["audit_page"] = total_pages  # a narrower filter has fewer pages
page_number = st.number_input(tr("页码", "Page"), min_value=1, max_value=total_pages, value=1, step=1,
                              key="audit_page")
with database().session() as session:
    result = audit.query(session, actor, filters, page=int(page_number), page_size=PAGE_SIZE)
    events = audit.lines(session, actor, result.events)

st.caption(tr(f"共 {result.total:,} 条，第 {result.page}/{result.pages} 页",
              f"{result.total:,} events, page {result.page} of {result.pages}"))
st.dataframe(pd.DataFrame([{
    tr("时间", "When"): beijing(event.at, "second"),
    tr("事件", "Event"): event.sentence(lang()),
    tr("操作", "Action"): event.action_name(lang()),
    tr("学校", "School"): event.school_name,
} for event in events], columns=[tr("时间", "When"), tr("事件", "Event"), tr("操作", "Action"), tr("学校", "School")]),
    hide_index=True, width="stretch")
with st.expander(tr("原始记录（操作代码与详情）", "Raw events (action codes and detail)")):
    st.dataframe(pd.DataFrame([{
        tr("时间", "When"): beijing(event.at, "second"),
        tr("操作代码", "Action code"): event.action,
        tr("原始记录", "Raw"): json.dumps(event.raw, ensure_ascii=False, default=str),
    } for event in events]), hide_index=True)

st.subheader(tr("导出", "Export"))
st.caption(tr("导出当前筛选条件下的全部记录（不限于本页）；导出操作本身也会记入审计日志。",
              "Exports every event matching the filter (not just this page); the export is itself audited."))


def exporter(fmt: str):
    def build() -> bytes:
        with database().session() as session:
            return audit.export(session, actor, filters, fmt)
    return build


left, right = st.columns(2)
for column, fmt in ((left, "csv"), (right, "xlsx")):
    try:
        export_button(tr(f"生成 {fmt.upper()}", f"Prepare {fmt.upper()}"), tr(f"下载 {fmt.upper()}", f"Download {fmt.upper()}"),
                      exporter(fmt), file_name=f"audit-{today:%Y%m%d}.{fmt}", mime=mime_type(fmt),
                      key=f"audit_{fmt}", fingerprint=filters, container=column)
    except DomainError as error:
        show_error(error)
