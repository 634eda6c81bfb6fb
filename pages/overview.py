"""Overview: submissions per state, within the school a registrar belongs to. A registrar lands
here, so what waits for them elsewhere (support's escalations, photos to replace on CHSI) is named
at the top with a link to where it is done."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from core.domain.enums import Role
from core.domain.states import STATE_LABELS_EN, STATE_LABELS_ZH
from core.services import overview, review_settle, tickets
from workbench.context import database, require_actor
from workbench.i18n import lang, tr
from workbench.navigation import PAGES_DIR

actor = require_actor()
st.title(tr("概览", "Overview"))
if actor.role is Role.REGISTRAR and actor.school_id is not None:
    with database().session() as session:
        escalated = tickets.escalations_for_school(session, actor, actor.school_id)
        to_replace = review_settle.replacements_for_school(session, actor, actor.school_id)
    if escalated:
        late = sum(t.escalation_overdue for t in escalated)
        st.warning(tr(f"客服转交本校的问题 {len(escalated)} 个待答复" + (f"，其中 {late} 个已超时" if late else "") + "。",
                      f"{len(escalated)} questions from support wait for your answer"
                      + (f", {late} overdue" if late else "") + "."), icon=":material/support_agent:")
        st.page_link(str(PAGES_DIR / "school_escalations.py"), label=tr("去答复", "Answer them"),
                     icon=":material/reply:")
    if to_replace:
        st.warning(tr(f"{len(to_replace)} 张照片经复核认定不合格，需联系学生重拍并在学信网更换。",
                      f"{len(to_replace)} photos a second review found unfit must be reshot and replaced on CHSI."),
                   icon=":material/published_with_changes:")
        st.page_link(str(PAGES_DIR / "chase_list.py"), label=tr("去催办名单处理", "Open the chase list"),
                     icon=":material/checklist:")
with database().session() as session:
    counts = overview.state_counts(session, actor)
labels = STATE_LABELS_ZH if lang() == "zh" else STATE_LABELS_EN
cols = st.columns(4)
for i, (state, count) in enumerate(counts.by_state.items()):
    cols[i % 4].metric(labels[state], f"{count:,}")
st.caption(tr(f"学籍记录 {counts.roster_records:,} 条 · 已关联 {counts.linked:,} 人",
              f"{counts.roster_records:,} roster records · {counts.linked:,} linked"))
st.dataframe(
    pd.DataFrame({tr("状态", "State"): [labels[s] for s in counts.by_state], tr("数量", "Count"): list(counts.by_state.values())}),
    hide_index=True,
)
