"""Small building blocks shared by pages."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TypeVar

import streamlit as st
from sqlalchemy.orm import Session

from core.errors import DomainError
from uikit.plain import plain
from workbench.context import database
from workbench.i18n import lang

T = TypeVar("T")


def show_error(error: DomainError) -> None:
    """A refusal; its message may quote what the user typed, so it is shown as plain text."""
    st.error(plain(error.message(lang())))


@contextmanager
def refusals() -> Iterator[None]:
    """Shows a domain refusal as a clear message instead of a traceback."""
    try:
        yield
    except DomainError as error:
        show_error(error)


@contextmanager
def refusal_stops_page() -> Iterator[None]:
    """For a read the rest of the page depends on (a search, a filtered list): a refusal (text the
    service will not take) is shown as a clear message and the page stops there."""
    try:
        yield
    except DomainError as error:
        show_error(error)
        st.stop()


def attempt(action: Callable[[], T]) -> T | None:
    try:
        return action()
    except DomainError as error:
        show_error(error)
        return None


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
