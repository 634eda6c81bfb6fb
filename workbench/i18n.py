"""Chinese by default, English on request. Strings sit at their call site as ``tr(zh, en)`` so a
page reads in both languages at once and no central table drifts out of date."""

from __future__ import annotations

import streamlit as st

LANG_KEY = "lang"


def lang() -> str:
    return st.session_state.get(LANG_KEY, "zh")


def tr(zh: str, en: str) -> str:
    return zh if lang() == "zh" else en


def language_switch() -> None:
    choice = st.sidebar.radio(
        "语言 / Language", ["中文", "English"], index=0 if lang() == "zh" else 1, horizontal=True, key="_lang_radio"
    )
    st.session_state[LANG_KEY] = "zh" if choice == "中文" else "en"
