"""Reviewer statistics per reviewer per day. Reviewers see their own rows; seniors and admins all."""

from __future__ import annotations

from datetime import timedelta

import pandas as pd
import streamlit as st

from core.domain.quotas import local_day
from core.models import utcnow
from core.services.review_stats import reviewer_stats, settlement_summary
from workbench.context import database, require_actor
from workbench.i18n import tr

actor = require_actor()
st.title(tr("审核统计", "Reviewer statistics"))
today = local_day(utcnow())
picked = st.date_input(tr("日期范围", "Days"), (today - timedelta(days=6), today), max_value=today, key="rs_days")
first, last = (picked[0], picked[-1]) if isinstance(picked, tuple) and picked else (today, today)
with database().session() as session:
    rows = reviewer_stats(session, actor, first, last)
    summary = settlement_summary(session, actor, first, last)
if not rows:
    st.info(tr("所选日期内没有审核记录。", "No decisions in these days."))
    st.stop()


def percent(value: float | None) -> str:
    return "—" if value is None else f"{value:.0%}"


st.dataframe(pd.DataFrame({
    tr("日期", "Day"): [r.day.isoformat() for r in rows],
    tr("审核员", "Reviewer"): [r.reviewer_name for r in rows],
    tr("审核数", "Decisions"): [r.decisions for r in rows],
    tr("通过率", "Approval rate"): [percent(r.approval_rate) for r in rows],
    tr("每张用时中位数（秒）", "Median seconds per photo"): [
        "—" if r.median_seconds is None else f"{r.median_seconds:.1f}" for r in rows],
    tr("被复核", "Second-reviewed"): [r.second_reviewed for r in rows],
    tr("复核一致率", "Agreement with second review"): [percent(r.agreement_rate) for r in rows],
    tr("不一致", "Disagreed"): [r.disagreed for r in rows],
    tr("已裁定", "Settled"): [r.settled for r in rows],
    tr("裁定维持初审", "Settled the first way"): [r.upheld for r in rows],
    tr("待裁定", "Waiting"): [r.pending for r in rows],
}), hide_index=True)

st.subheader(tr("分歧裁定", "Settled disagreements"))
cols = st.columns(4)
cols[0].metric(tr("已裁定", "Settled"), summary.settled)
cols[1].metric(tr("维持初审", "First review upheld"), summary.upheld_first)
cols[2].metric(tr("采纳复核", "Second review upheld"), summary.upheld_second)
cols[3].metric(tr("需在学信网更换", "To replace on CHSI"), summary.replace_on_chsi)
st.caption(tr(f"按裁定日期统计：通过改为驳回 {summary.approve_to_reject} 张，驳回改为通过 {summary.reject_to_approve} 张；"
              f"其中按规则以复核为准自动生效 {summary.automatic} 张。",
              f"By the day settled: approval → rejection {summary.approve_to_reject}, rejection → approval "
              f"{summary.reject_to_approve}; {summary.automatic} by the rule that the second review stands."))
