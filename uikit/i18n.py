"""Chinese by default, English on request. Strings sit at their call site as ``tr(zh, en)`` so a
page reads in both languages at once and no central table drifts out of date. Shared by the staff
app and the student app, which must not import each other."""

from __future__ import annotations

import streamlit as st

LANG_KEY = "lang"


def lang() -> str:
    return st.session_state.get(LANG_KEY, "zh")


def tr(zh: str, en: str) -> str:
    return zh if lang() == "zh" else en
