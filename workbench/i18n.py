"""The staff app's language switch; ``tr`` and ``lang`` live in ``uikit.i18n`` (the student app uses them too)."""

from __future__ import annotations

import streamlit as st

from uikit.i18n import LANG_KEY as LANG_KEY
from uikit.i18n import lang as lang
from uikit.i18n import tr as tr


def language_switch() -> None:
    choice = st.sidebar.radio(
        "语言 / Language", ["中文", "English"], index=0 if lang() == "zh" else 1, horizontal=True, key="_lang_radio"
    )
    st.session_state[LANG_KEY] = "zh" if choice == "中文" else "en"
