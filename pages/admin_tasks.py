"""Collection tasks per school: create, edit (with the paid-student confirmation), open/pause/close."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pandas as pd
import streamlit as st

from core.domain.enums import EducationCategory, MailingMode, TaskStatus
from core.errors import DomainError
from core.domain.enums import Background
from core.models import utcnow
from core.services import schools
from workbench.context import database, require_actor
from workbench.i18n import lang, tr
from workbench.widgets import FLASH_KEY, commit_then_reload, show_error, show_flash, yuan

PENDING = "admin_tasks_pending"
STATUS_LABELS = {TaskStatus.DRAFT: ("草稿", "draft"), TaskStatus.OPEN: ("进行中", "open"),
                 TaskStatus.PAUSED: ("已暂停", "paused"), TaskStatus.CLOSED: ("已关闭", "closed")}
MAILING_LABELS = {MailingMode.TO_SCHOOL: ("邮寄学校或站点", "mailed to the school"),
                  MailingMode.TO_STUDENT: ("邮寄学生（学生须填写地址）", "mailed to the student (address required)")}
BACKGROUND_LABELS = {Background.BLUE: ("浅蓝 RGB(100,197,255)", "light blue"), Background.WHITE: ("白色", "white"),
                     Background.GREY: ("浅灰", "light grey")}

actor = require_actor()
st.title(tr("采集任务", "Collection tasks"))
show_flash()


def label(labels: dict[Any, tuple[str, str]], value: Any) -> str:
    return tr(*labels[value])


def category_label(category: EducationCategory) -> str:
    return category.label_zh if lang() == "zh" else category.value


def settings_form(key: str, task: schools.TaskView | None) -> tuple[schools.TaskSettings, TaskStatus] | None:
    """The task's settings as the admin entered them (and, for a new task, its status), once the form
    is submitted."""
    today = utcnow().date()
    with st.form(key):
        left, middle, right = st.columns(3)
        categories = list(EducationCategory)
        category = left.selectbox(tr("学历类别", "Category"), categories, format_func=category_label,
                                  index=categories.index(task.category) if task else 0, key=f"{key}_category")
        cohort = middle.text_input(tr("届别", "Cohort"), task.cohort if task else f"{today.year}届",
                                   key=f"{key}_cohort")
        price = right.number_input(tr("价格（元）", "Price (yuan)"), min_value=0.0, step=1.0, format="%.2f",
                                   value=task.price_fen / 100 if task else 25.0, key=f"{key}_price")
        title = st.text_input(tr("任务名称（学生可见）", "Title (as students see it)"),
                              task.title if task else f"{today.year}届毕业生学历图像采集", key=f"{key}_title")
        opens_on = left.date_input(tr("开始日期", "Opens on"), task.opens_on if task else today, key=f"{key}_opens")
        closes_on = middle.date_input(tr("结束日期", "Closes on"), task.closes_on if task else today + timedelta(30),
                                      key=f"{key}_closes")
        backgrounds = list(Background)
        background = right.selectbox(tr("背景颜色", "Background"), backgrounds,
                                     index=backgrounds.index(task.background) if task else 0,
                                     format_func=lambda b: label(BACKGROUND_LABELS, b), key=f"{key}_background")
        modes = list(MailingMode)
        mailing_mode = left.selectbox(tr("邮寄方式", "Mailing"), modes,
                                      index=modes.index(task.mailing_mode) if task else 0,
                                      format_func=lambda m: label(MAILING_LABELS, m), key=f"{key}_mailing")
        default_address = st.text_input(tr("默认邮寄地址（邮寄学校时）", "Default address (mailed to the school)"),
                                        task.default_address if task else "", key=f"{key}_address")
        front = middle.checkbox(tr("允许前置摄像头", "Front camera allowed"),
                                task.front_camera_allowed if task else True, key=f"{key}_front")
        album = right.checkbox(tr("允许相册上传", "Album upload allowed"), task.album_allowed if task else False,
                               key=f"{key}_album")
        values = schools.TaskSettings(
            category=category, cohort=cohort, title=title, opens_on=opens_on, closes_on=closes_on,
            price_fen=round(price * 100), mailing_mode=mailing_mode, default_address=default_address,
            background=background, front_camera_allowed=front, album_allowed=album,
        )
        status = task.status if task else TaskStatus.OPEN
        if task is None:
            status = st.radio(tr("创建后", "After creating"), [TaskStatus.DRAFT, TaskStatus.OPEN],
                                        format_func=lambda s: label(STATUS_LABELS, s), horizontal=True,
                                        key=f"{key}_status")
        submitted = st.form_submit_button(tr("创建任务", "Create task") if task is None else tr("保存修改", "Save changes"),
                                          type="primary")
    return (values, status) if submitted else None


with database().session() as session:
    all_schools = {s.id: s for s in schools.list_schools(session, actor)}
    tasks = schools.list_tasks(session, actor)
    paid = {task.id: schools.paid_students(session, actor, task.id) for task in tasks}

if not all_schools:
    st.info(tr("还没有学校，请先在“学校”页面创建。", "No schools yet: create one on the Schools page first."))
    st.stop()

school_filter = st.selectbox(tr("学校", "School"), [None, *all_schools], key="task_school_filter",
                             format_func=lambda i: tr("全部学校", "All schools") if i is None else
                             f"{all_schools[i].code} {all_schools[i].name}")
shown = [t for t in tasks if school_filter is None or t.school_id == school_filter]
st.dataframe(pd.DataFrame([{
    tr("学校", "School"): all_schools[t.school_id].name,
    tr("任务名称", "Title"): t.title,
    tr("类别", "Category"): category_label(t.category),
    tr("届别", "Cohort"): t.cohort,
    tr("时间", "Window"): f"{t.opens_on} – {t.closes_on}",
    tr("价格", "Price"): yuan(t.price_fen),
    tr("状态", "Status"): label(STATUS_LABELS, t.status),
    tr("已付费", "Paid"): paid[t.id],
} for t in shown]), hide_index=True)

with st.expander(tr("新建采集任务", "New collection task"), expanded=not tasks):
    active_schools = [i for i, s in all_schools.items() if s.active]
    new_school = st.selectbox(tr("所属学校", "School"), active_schools, key="new_task_school",
                              format_func=lambda i: f"{all_schools[i].code} {all_schools[i].name}")
    entered = settings_form("new_task", None)
    if entered is not None and new_school is not None:
        values, status = entered
        commit_then_reload(lambda session: schools.create_task(session, actor, school_id=new_school, settings=values,
                                                               status=status),
                           tr(f"已创建采集任务：{values.title}", f"Task created: {values.title}"))

if not shown:
    st.stop()

st.subheader(tr("编辑采集任务", "Edit a task"))
by_id = {t.id: t for t in shown}
chosen = st.selectbox(tr("选择任务", "Task"), list(by_id), key="edit_task_id",
                      format_func=lambda i: f"{all_schools[by_id[i].school_id].name} · {by_id[i].title} "
                                            f"({label(STATUS_LABELS, by_id[i].status)})")
task = by_id[chosen]
st.caption(tr(f"已付费学生 {paid[task.id]} 人。修改价格、类别、届别，推后开始或提前结束，须确认受影响人数。",
              f"{paid[task.id]} paid students. Changing the price, category or cohort, or shortening the window, "
              "needs a confirmation naming how many are affected."))
entered = settings_form(f"task_{task.id}", task)
if entered is not None:
    edited, _ = entered
    try:
        with database().session() as session:
            schools.update_task(session, actor, task.id, edited)
    except schools.NeedsConfirmation as needed:
        st.session_state[PENDING] = (task.id, edited, needed.affected)
        show_error(needed)
    except DomainError as error:
        show_error(error)
    else:
        st.session_state[PENDING] = None
        st.session_state[FLASH_KEY] = tr("已保存。", "Saved.")
        st.rerun()

pending = st.session_state.get(PENDING)
if pending and pending[0] == task.id:
    _, values, affected = pending
    st.warning(tr(f"确认：此修改将影响 {affected} 名已付费学生，操作会记入审计日志。",
                  f"Confirm: this change affects {affected} paid students and is recorded in the audit log."))
    left, right = st.columns(2)
    if left.button(tr(f"确认修改（影响 {affected} 人）", f"Confirm ({affected} affected)"), type="primary",
                   key="confirm_task_change"):
        st.session_state[PENDING] = None
        commit_then_reload(
            lambda session: schools.update_task(session, actor, task.id, values, confirm_affected=affected),
            tr("已保存。", "Saved."))
    if right.button(tr("取消", "Cancel"), key="cancel_task_change"):
        st.session_state[PENDING] = None
        st.rerun()

st.write(tr("状态：", "Status: ") + label(STATUS_LABELS, task.status))
moves = {TaskStatus.OPEN: (tr("开放", "Open"), ":material/play_arrow:"),
         TaskStatus.PAUSED: (tr("暂停", "Pause"), ":material/pause:"),
         TaskStatus.CLOSED: (tr("关闭", "Close"), ":material/stop:")}
columns = st.columns(len(moves))
for column, (status, (text, icon)) in zip(columns, moves.items(), strict=False):
    if column.button(text, key=f"task_status_{status.value}", icon=icon, disabled=status is task.status):
        commit_then_reload(lambda session, s=status: schools.set_task_status(session, actor, task.id, s),  # type: ignore[misc]  # default-bound loop variable
                           tr(f"任务已{text}。", f"Task: {text.lower()}."))
