"""Schools: create, edit, deactivate; delete only a school entered by mistake (no data)."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from core.services import schools
from workbench.context import database, require_actor
from workbench.i18n import tr
from workbench.widgets import commit_then_reload, show_flash

POINT_COLUMNS = ["name", "address", "hours"]

actor = require_actor()
st.title(tr("学校", "Schools"))
show_flash()


def points_editor(key: str, points: list[dict[str, str]]) -> pd.DataFrame:
    return st.data_editor(
        pd.DataFrame(points, columns=POINT_COLUMNS), key=key, num_rows="dynamic", hide_index=True,
        column_config={
            "name": st.column_config.TextColumn(tr("补拍点名称", "Make-up point")),
            "address": st.column_config.TextColumn(tr("地址", "Address")),
            "hours": st.column_config.TextColumn(tr("开放时间", "Hours")),
        },
    )


def points_of(frame: pd.DataFrame) -> list[dict[str, str]]:
    return frame.fillna("").astype(str).to_dict("records")


with database().session() as session:
    rows = [(school, schools.school_usage(session, actor, school.id)) for school in schools.list_schools(session, actor)]

st.dataframe(
    pd.DataFrame([{
        tr("院校代码", "Code"): school.code,
        tr("学校名称", "Name"): school.name,
        tr("简称", "Short name"): school.short_name,
        tr("拼音首字母", "Initials"): school.pinyin_initials,
        tr("学籍部门联系方式", "Registrar contact"): school.registrar_contact,
        tr("补拍点", "Make-up points"): len(school.makeup_points),
        tr("采集任务", "Tasks"): usage.tasks,
        tr("学籍记录", "Records"): usage.records,
        tr("状态", "Status"): tr("启用", "active") if school.active else tr("已停用", "deactivated"),
    } for school, usage in rows]),
    hide_index=True,
)

with st.expander(tr("新建学校", "New school"), expanded=not rows):
    with st.form("new_school", clear_on_submit=True):
        left, right = st.columns(2)
        code = left.text_input(tr("院校代码（学信网）", "CHSI school code"), key="new_school_code")
        name = right.text_input(tr("学校名称", "School name"), key="new_school_name")
        short_name = left.text_input(tr("简称", "Short name"), key="new_school_short")
        contact = right.text_input(tr("学籍部门联系方式", "Registrar office contact"), key="new_school_contact")
        new_points = points_editor("new_school_points", [])
        if st.form_submit_button(tr("创建学校", "Create school"), type="primary"):
            commit_then_reload(
                lambda session: schools.create_school(session, actor, code=code, name=name, short_name=short_name,
                                                      registrar_contact=contact,
                                                      makeup_points=points_of(new_points)),
                tr(f"已创建学校：{name.strip()}", f"School created: {name.strip()}"))

if rows:
    st.subheader(tr("编辑学校", "Edit a school"))
    by_id = {school.id: (school, usage) for school, usage in rows}
    chosen = st.selectbox(tr("选择学校", "School"), list(by_id), key="edit_school_id",
                          format_func=lambda i: f"{by_id[i][0].code} {by_id[i][0].name}")
    school, usage = by_id[chosen]
    with st.form(f"edit_school_{school.id}"):
        left, right = st.columns(2)
        code = left.text_input(tr("院校代码（学信网）", "CHSI school code"), school.code, key=f"school_code_{school.id}")
        name = right.text_input(tr("学校名称", "School name"), school.name, key=f"school_name_{school.id}")
        short_name = left.text_input(tr("简称", "Short name"), school.short_name, key=f"school_short_{school.id}")
        contact = right.text_input(tr("学籍部门联系方式", "Registrar office contact"), school.registrar_contact,
                                   key=f"school_contact_{school.id}")
        edited_points = points_editor(f"school_points_{school.id}", school.makeup_points)
        if st.form_submit_button(tr("保存修改", "Save changes"), type="primary"):
            commit_then_reload(
                lambda session: schools.update_school(session, actor, school.id, code=code, name=name,
                                                      short_name=short_name, registrar_contact=contact,
                                                      makeup_points=points_of(edited_points)),
                tr("已保存。", "Saved."))

    st.caption(tr(f"该校有采集任务 {usage.tasks} 个、学籍记录 {usage.records} 条、学籍管理员账号 {usage.staff} 个。"
                  "有数据的学校不能删除，只能停用。",
                  f"{usage.tasks} tasks, {usage.records} roster records, {usage.staff} staff accounts. A school with "
                  "data cannot be deleted, only deactivated."))
    left, right = st.columns(2)
    if school.active:
        if left.button(tr("停用学校", "Deactivate school"), key="deactivate_school", icon=":material/block:"):
            commit_then_reload(lambda session: schools.set_school_active(session, actor, school.id, False),
                               tr(f"已停用：{school.name}", f"Deactivated: {school.name}"))
    elif left.button(tr("重新启用", "Reactivate"), key="activate_school", icon=":material/check_circle:"):
        commit_then_reload(lambda session: schools.set_school_active(session, actor, school.id, True),
                           tr(f"已启用：{school.name}", f"Reactivated: {school.name}"))
    if right.button(tr("删除学校", "Delete school"), key="delete_school", icon=":material/delete:"):
        commit_then_reload(lambda session: schools.delete_school(session, actor, school.id),
                           tr(f"已删除：{school.name}", f"Deleted: {school.name}"))
