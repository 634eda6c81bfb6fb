"""Progress per school and task: funnel, daily trend, rejection reasons, days left, completion by
category and by department/class; admins also get every school, sortable by completion."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from core.services import dashboard
from uikit.plain import plain
from workbench.context import database, require_actor
from workbench.i18n import lang, tr
from workbench.registrar import pick_school, pick_task
from workbench.widgets import no_data

actor = require_actor()
st.title(tr("采集进度", "Progress"))
left, right = st.columns(2)
with left:
    school = pick_school(actor, allow_all=True)
with right:
    task = pick_task(actor, school, allow_all=True)
with database().session() as session:
    board = dashboard.progress(session, actor, school_id=school.id if school else None,
                               task_id=task.id if task else None)

funnel = board.funnel
stage_names = [tr(zh, en) for _, zh, en in dashboard.STAGES]
stage_counts = [getattr(funnel, key) for key, _, _ in dashboard.STAGES]
metrics = st.columns(4)
metrics[0].metric(tr("完成率（审核通过）", "Completion (approved)"), f"{funnel.completion:.1%}")
metrics[1].metric(tr("已上网", "On CHSI"), f"{funnel.on_chsi:,}")
metrics[2].metric(tr("剩余天数", "Days left"), "—" if board.days_left is None else board.days_left)
metrics[3].metric(tr("无需拍摄（已有照片/现场采集）", "Exempt (already on CHSI / on site)"), f"{funnel.exempt:,}")

charts = st.columns(2)
with charts[0]:
    st.subheader(tr("采集漏斗", "Funnel"))
    if any(stage_counts):
        figure = go.Figure(go.Funnel(y=stage_names, x=stage_counts, textinfo="value+percent initial"))
        figure.update_layout(height=360, margin=dict(l=10, r=10, t=10, b=10))
        st.plotly_chart(figure, key="funnel_chart")
    else:
        no_data()
with charts[1]:
    st.subheader(tr("每日提交与审核", "Daily submissions and decisions"))
    days = [d.day for d in board.trend]
    trend = go.Figure()
    for name, values in ((tr("提交", "Submitted"), [d.submitted for d in board.trend]),
                         (tr("通过", "Approved"), [d.approved for d in board.trend]),
                         (tr("驳回", "Rejected"), [d.rejected for d in board.trend])):
        trend.add_trace(go.Scatter(x=days, y=values, name=name, mode="lines+markers"))
    trend.update_layout(height=360, margin=dict(l=10, r=10, t=10, b=10), legend=dict(orientation="h"))
    trend.update_xaxes(tickformat="%m-%d")
    if any(d.submitted or d.approved or d.rejected for d in board.trend):
        st.plotly_chart(trend, key="trend_chart")
    else:
        no_data()

charts = st.columns(2)
with charts[0]:
    st.subheader(tr("驳回原因", "Rejection reasons"))
    if board.reasons:
        reasons = go.Figure(go.Bar(x=[r.count for r in board.reasons], orientation="h",
                                   y=[r.label_zh if lang() == "zh" else r.label_en for r in board.reasons]))
        reasons.update_layout(height=300, margin=dict(l=10, r=10, t=10, b=10), yaxis=dict(autorange="reversed"))
        st.plotly_chart(reasons, key="reasons_chart")
    else:
        st.caption(tr("暂无驳回。", "No rejections yet."))
with charts[1]:
    st.subheader(tr("按学历类别", "By category"))
    if board.by_category:
        category = go.Figure(go.Bar(x=[g.label for g in board.by_category],
                                    y=[round(g.funnel.completion * 100, 1) for g in board.by_category],
                                    text=[f"{g.funnel.approved}/{g.funnel.roster}" for g in board.by_category]))
        category.update_layout(height=300, margin=dict(l=10, r=10, t=10, b=10),
                               yaxis=dict(title=tr("完成率 %", "Completion %"), range=[0, 100]))
        st.plotly_chart(category, key="category_chart")
    else:
        no_data()


def group_table(groups: list[dashboard.GroupProgress], name: str) -> pd.DataFrame:
    return pd.DataFrame({
        name: [g.label for g in groups],
        tr("名单", "Roster"): [g.funnel.roster for g in groups],
        tr("已关联", "Linked"): [g.funnel.linked for g in groups],
        tr("已支付", "Paid"): [g.funnel.paid for g in groups],
        tr("已提交", "Submitted"): [g.funnel.submitted for g in groups],
        tr("审核通过", "Approved"): [g.funnel.approved for g in groups],
        tr("已上网", "On CHSI"): [g.funnel.on_chsi for g in groups],
        tr("完成率", "Completion"): [round(g.funnel.completion * 100, 1) for g in groups],
    })


completion_column = {tr("完成率", "Completion"): st.column_config.ProgressColumn(
    tr("完成率", "Completion"), format="%.1f%%", min_value=0, max_value=100)}
if board.by_department or board.by_class:
    tabs = st.tabs([tr("按院系", "By department"), tr("按班级", "By class")])
    with tabs[0]:
        st.dataframe(group_table(board.by_department, tr("院系", "Department")), hide_index=True,
                     column_config=completion_column)
    with tabs[1]:
        st.dataframe(group_table(board.by_class, tr("班级", "Class")), hide_index=True,
                     column_config=completion_column)

if board.schools:
    st.subheader(tr("各学校进度", "Schools"))
    st.caption(tr("点击列标题可排序；默认完成率从低到高。", "Click a column title to sort; least complete first."))
    st.dataframe(group_table([dashboard.GroupProgress(f"{s.name}（{s.code}）", s.funnel) for s in board.schools],
                             tr("学校", "School")), hide_index=True, column_config=completion_column, key="schools_table")
if board.tasks:
    st.caption(plain(" · ".join(tr(f"{t.title}：{t.opens_on} 至 {t.closes_on}，剩余 {t.days_left} 天",
                                   f"{t.title}: {t.opens_on} to {t.closes_on}, {t.days_left} days left")
                                for t in board.tasks)))
