"""客服统计: tickets opened and resolved per day, by category, time to resolve, the oldest open one."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from core.services import tickets
from uikit.plain import plain
from workbench.context import database, require_actor
from workbench.i18n import tr
from workbench.support import TICKETS_PAGE, china_time, label
from workbench.widgets import no_data

actor = require_actor()
st.title(tr("客服统计", "Support dashboard"))
days = st.segmented_control(tr("统计天数", "Days"), [7, 14, 30], default=14, key="support_days") or 14
with database().session() as session:
    board = tickets.dashboard(session, actor, days=days)

m = st.columns(4)
m[0].metric(tr("待处理", "Open now"), board.open_now)
m[1].metric(tr("已超时", "Overdue now"), board.overdue_now)
m[2].metric(tr(f"{days} 天内解决", f"Resolved in {days} days"), board.resolved_in_period)
median = board.median_resolve_seconds
m[3].metric(tr("解决用时中位数", "Median time to resolve"),
            "-" if median is None else (f"{median / 3600:.1f} " + tr("小时", "h")))

opened, resolved = tr("新建", "Opened"), tr("解决", "Resolved")
st.subheader(tr("每日工单", "Tickets per day"))
if any(d.opened or d.resolved for d in board.days):
    st.bar_chart(pd.DataFrame({opened: [d.opened for d in board.days], resolved: [d.resolved for d in board.days]},
                              index=[d.day.strftime("%m-%d") for d in board.days]), stack=False, height=260)
else:
    no_data()

left, right = st.columns(2, gap="large")
with left:
    st.subheader(tr("按类别", "By category"))
    if board.by_category:
        st.dataframe(pd.DataFrame(
            [(label(c), n_opened, n_open) for c, (n_opened, n_open) in
             sorted(board.by_category.items(), key=lambda kv: -kv[1][0])],
            columns=[tr("类别", "Category"), tr(f"{days} 天内新建", f"Opened in {days} days"),
                     tr("仍待处理", "Still open")]), hide_index=True)
    else:
        st.info(tr("这段时间没有工单。", "No tickets in this period."))
with right:
    st.subheader(tr("最早的待处理工单", "Oldest open ticket"))
    oldest = board.oldest_open
    if oldest is None:
        st.success(tr("没有待处理的工单。", "No open tickets."))
    else:
        st.markdown(f"**{plain(oldest.number)}** · {plain(oldest.subject)}")
        st.caption(f"{label(oldest.category)} · {label(oldest.status)} · " + tr("创建于 ", "opened ")
                   + china_time(oldest.created_at) + (tr(" · 已超时", " · overdue") if oldest.overdue else ""))
        st.page_link(TICKETS_PAGE, label=tr("打开工单", "Open ticket"), query_params={"ticket": str(oldest.id)},
                     icon=":material/confirmation_number:")
