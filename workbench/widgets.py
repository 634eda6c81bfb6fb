"""Small building blocks shared by pages."""

from __future__ import annotations

from collections.abc import Callable

import streamlit as st
from sqlalchemy.orm import Session

from core.errors import DomainError
from uikit.feedback import attempt as attempt
from uikit.feedback import refusal_stops_page as refusal_stops_page
from uikit.feedback import refusals as refusals
from uikit.feedback import show_error as show_error
from workbench.context import database
from workbench.i18n import lang

FLASH_KEY = "_flash"


def show_flash() -> None:
    """The message a previous run left before reloading the page (see ``commit_then_reload``)."""
    if message := st.session_state.pop(FLASH_KEY, None):
        st.success(message)


def commit_then_reload(action: Callable[[Session], object], message: str) -> None:
    """Runs one service call in its own transaction; on success reloads the page (so every table
    shows the new state) and shows ``message`` there; a refusal is shown and nothing is saved.
    The reload happens after the commit: a rerun inside the transaction would roll it back."""
    try:
        with database().session() as session:
            action(session)
    except DomainError as error:
        show_error(error)
        return
    st.session_state[FLASH_KEY] = message
    st.rerun()


def yuan(fen: int) -> str:
    return f"¥{fen / 100:.2f}"


def counted_progress(verb_zh: str, verb_en: str, unit_zh: str = "行", unit_en: str = "rows"):
    """A progress bar with counts ("正在导入：1,000 / 20,000 行"), and the ``(done, expected)``
    callback a service calls as it goes. The caller empties the bar when the work is done."""
    zh = lang() == "zh"
    bar = st.progress(0.0, text=f"正在{verb_zh}…" if zh else f"{verb_en}…")

    def update(done: int, expected: int) -> None:
        total = max(done, expected, 1)
        bar.progress(min(1.0, done / total), text=f"正在{verb_zh}：{done:,} / {total:,} {unit_zh}" if zh
                     else f"{verb_en}: {done:,} of {total:,} {unit_en}")

    return bar, update


def no_data() -> None:
    """What an empty chart shows instead of an axis of zeros."""
    st.info("暂无数据" if lang() == "zh" else "No data yet", icon=":material/bar_chart:")
