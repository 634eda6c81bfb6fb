"""Reviewer statistics per reviewer per day. Reviewers see their own rows; seniors and admins all."""

from __future__ import annotations

from datetime import timedelta

import pandas as pd
import streamlit as st

from core.domain.quotas import local_day
from core.models import utcnow
from core.services.review_stats import reviewer_stats
from workbench.context import database, require_actor
from workbench.i18n import tr

actor = require_actor()
st.title(tr("审核统计", "Reviewer statistics"))
today = local_day(utcnow())
picked = st.date_input(tr("日期范围", "Days"), (today - timedelta(days=6), today), max_value=today, key="rs_days")
first, last = (picked[0], picked[-1]) if isinstance(picked, tuple) and picked else (today, today)
with database().session() as session:
    rows = reviewer_stats(session, actor, first, last)
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
}), hide_index=True)
