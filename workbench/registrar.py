"""The school and task pickers shared by the registrar's pages. A registrar has exactly one school
(no choice is offered); an admin picks any. The services check the scope again on every call."""

from __future__ import annotations

import streamlit as st

from core.domain.access import Actor
from core.services.schools import SchoolView, TaskView
from core.services import dashboard
from uikit.plain import plain
from workbench.context import database
from workbench.i18n import tr


def pick_school(actor: Actor, *, allow_all: bool = False, key: str = "registrar_school") -> SchoolView | None:
    """The school to work on; None means every school (offered with ``allow_all`` when there is
    more than one school to choose from, i.e. to admins)."""
    with database().session() as session:
        schools = {s.id: s for s in dashboard.schools_for(session, actor)}
    if not schools:
        st.info(tr("还没有学校。", "There are no schools yet."))
        st.stop()
    if len(schools) == 1:
        only = next(iter(schools.values()))
        st.caption(plain(f"{only.name}（{only.code}）"))
        return only
    options: list[int | None] = ([None] if allow_all else []) + list(schools)
    chosen = st.selectbox(
        tr("学校", "School"), options, key=key,
        format_func=lambda i: tr("全部学校", "All schools") if i is None else f"{schools[i].name}（{schools[i].code}）",
    )
    return schools[chosen] if chosen is not None else None


def pick_task(actor: Actor, school: SchoolView | None, *, allow_all: bool = False,
              key: str = "registrar_task") -> TaskView | None:
    with database().session() as session:
        tasks = {t.id: t for t in dashboard.tasks_for(session, actor, school.id if school else None)}
    if not tasks and not allow_all:
        st.info(tr("还没有采集任务。", "There is no collection task yet."))
        st.stop()
    options: list[int | None] = ([None] if allow_all else []) + list(tasks)
    chosen = st.selectbox(
        tr("采集任务", "Collection task"), options, key=key,
        format_func=lambda i: tr("全部任务", "All tasks") if i is None else
        f"{tasks[i].title}（{tasks[i].category.label_zh} · {tasks[i].cohort}）",
    )
    return tasks[chosen] if chosen is not None else None


def pick_school_and_task(actor: Actor) -> tuple[SchoolView, TaskView]:
    """The school and one of its tasks, side by side: what every per-task registrar page starts with."""
    left, right = st.columns(2)
    with left:
        school = pick_school(actor)
    with right:
        task = pick_task(actor, school)
    if school is None or task is None:  # without allow_all both pickers return a row or stop the page
        st.stop()
    return school, task
