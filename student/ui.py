"""Mobile-first building blocks shared by the student screens."""

from __future__ import annotations

import streamlit as st

from core.domain.contacts import CONTACTS
from core.services.student_app import Stage
from student import nav
from uikit.localise import localise_widgets
from uikit.i18n import lang, tr

MOBILE_CSS = """
<style>
.block-container {max-width: 480px; padding: 0.75rem 1rem 4rem 1rem;}
[data-testid="stSidebarCollapsedControl"], [data-testid="stSidebar"] {display: none;}
.stage-row {display: flex; gap: 4px; margin: 0.5rem 0 1rem 0;}
.stage {flex: 1; text-align: center; font-size: 0.78rem; padding: 6px 2px; border-radius: 6px;
        background: #eef1f5; color: #6b7280;}
.stage.reached {background: #d1fae5; color: #065f46;}
.stage.current {outline: 2px solid #10b981; font-weight: 600;}
.stage.failed {background: #fee2e2; color: #991b1b; outline: 2px solid #ef4444;}
</style>
"""


def page_style() -> None:
    st.html(MOBILE_CSS)
    localise_widgets(lang())


def header(title: str, back_to: nav.Step | None = nav.Step.HOME) -> None:
    """The screen title, with a back button like the mini-program's top bar (it goes up to the
    page above; the browser's back button goes to the page before)."""
    if back_to is not None and st.button(tr("‹ 返回", "‹ Back"), key=f"back_{nav.current().value}",
                                         type="tertiary"):
        nav.go(back_to)
    st.subheader(title, anchor=False)


def yuan(fen: int) -> str:
    return f"¥{fen / 100:.2f}"


def stage_row(stages: tuple[Stage, ...]) -> None:
    """已上传 → 待审核 → 审核通过/未通过 → 待上网 → 已上网 as a row of chips."""
    chips = []
    for stage in stages:
        classes = ["stage"]
        if stage.reached:
            classes.append("reached")
        if stage.current:
            classes.append("current")
        if stage.failed:
            classes.append("failed")
        label = stage.label_zh if lang() == "zh" else stage.label_en
        chips.append(f'<div class="{" ".join(classes)}">{label}</div>')
    st.html(f'<div class="stage-row">{"".join(chips)}</div>')


def support_line() -> None:
    st.caption(tr(CONTACTS.support_line_zh, CONTACTS.support_line_en))
