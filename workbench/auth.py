"""The sign-in page and the forced password change."""

from __future__ import annotations

import streamlit as st

from core.services import staff
from workbench.context import database, sign_in
from workbench.i18n import lang, tr

REASONS = {
    "timeout": ("长时间未操作，已自动退出，请重新登录。", "Signed out after inactivity; please sign in again."),
    "disabled": ("账号已停用。", "This account has been disabled."),
}


def login_page() -> None:
    st.title(tr("学历图像采集 · 审核工作台", "Graduate photo collection · Workbench"))
    reason = st.session_state.pop("signed_out_reason", None)
    if reason in REASONS:
        st.info(tr(*REASONS[reason]))
    with st.form("login"):
        username = st.text_input(tr("用户名", "Username"), key="login_username")
        password = st.text_input(tr("密码", "Password"), type="password", key="login_password")
        submitted = st.form_submit_button(tr("登录", "Sign in"), type="primary")
    if submitted:
        with database().session() as session:
            outcome = staff.authenticate(session, username, password)
            user_id = outcome.user.id if outcome.user else None
        if outcome.error is not None:
            st.error(outcome.error.message(lang()))
        else:
            sign_in(user_id)
            st.rerun()
