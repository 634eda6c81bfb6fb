"""The roster: every student of the school, and who has no usable enrolment photo."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from core.services import roster
from workbench.context import database, require_actor
from workbench.i18n import lang, tr
from workbench.registrar import pick_school
from workbench.widgets import refusal_stops_page

LIMIT = 500

actor = require_actor()
st.title(tr("学籍名单", "Roster"))
school = pick_school(actor)
left, right = st.columns([2, 1])
search = left.text_input(tr("搜索（姓名、学号或证件号后4位）", "Search (name, student number or ID last 4)"), key="roster_search")
missing_only = right.checkbox(tr("只看没有可用学籍照片的学生", "Only students without a usable enrolment photo"),
                              key="roster_missing_photo")
with refusal_stops_page(), database().session() as session:
    entries = roster.list_records(session, actor, school.id, without_usable_photo=missing_only, search=search,
                                  limit=LIMIT)
    without = roster.count_without_usable_photo(session, actor, school.id)
st.caption(tr(f"没有可用学籍照片：{without:,} 人（无法进行人像比对）", f"Without a usable enrolment photo: {without:,}"))
if not entries:
    st.info(tr("没有符合条件的学生。", "No students match."))
    st.stop()
st.dataframe(pd.DataFrame(
    [(e.name, e.student_number, f"****{e.id_last4}", e.category.label_zh, e.cohort, e.department,
      e.class_name, e.enrolment_photo.label_zh if lang() == "zh" else e.enrolment_photo.label_en, e.enrolment_error or "")
     for e in entries],
    columns=[tr("姓名", "Name"), tr("学号", "Student number"), tr("证件号", "ID"), tr("类别", "Category"),
             tr("届别", "Cohort"), tr("院系", "Department"), tr("班级", "Class"), tr("学籍照片", "Enrolment photo"),
             tr("问题", "Problem")]), hide_index=True)
if len(entries) == LIMIT:
    st.caption(tr(f"仅显示前 {LIMIT} 人，请用搜索缩小范围。", f"Only the first {LIMIT} are shown; search to narrow down."))
