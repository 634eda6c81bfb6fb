"""Overview: submissions per state, within the school a registrar belongs to."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from core.domain.states import STATE_LABELS_EN, STATE_LABELS_ZH
from core.services import overview
from workbench.context import database, require_actor
from workbench.i18n import lang, tr

actor = require_actor()
st.title(tr("概览", "Overview"))
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
