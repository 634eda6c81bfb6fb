"""The sign-in page and the forced password change."""

from __future__ import annotations

import streamlit as st

from core.domain import passwords
from core.domain.access import Actor
from core.errors import DomainError
from core.services import staff
from core.services.staff_sessions import Ended
from workbench.context import database, sign_in, sign_out
from workbench.i18n import lang, tr
from workbench.links import safe_next

REASONS = {
    Ended.IDLE: ("长时间未操作，已自动退出，请重新登录。", "Signed out after inactivity; please sign in again."),
    Ended.EXPIRED: ("登录已到期，请重新登录。", "Your session has expired; please sign in again."),
    Ended.SIGNED_OUT: ("您已退出登录（可能是在其他窗口或设备上）。", "You have been signed out (perhaps in another tab)."),
    Ended.DISABLED: ("账号已停用。", "This account has been disabled."),
    Ended.PASSWORD: ("密码已修改，请用新密码登录。", "The password was changed; please sign in with the new one."),
    Ended.ROLE: ("您的角色或学校已变更，请重新登录。", "Your role or school changed; please sign in again."),
}


def login_page() -> None:
    st.title(tr("学历图像采集 · 审核工作台", "Graduate photo collection · Workbench"))
    reason = st.session_state.pop("signed_out_reason", None)
    if reason in REASONS:
        st.info(tr(*REASONS[reason]))
    if safe_next(st.query_params.get("next")):
        st.caption(tr("登录后将打开您要访问的页面。", "The page you asked for opens after sign-in."))
    with st.form("login"):
        username = st.text_input(tr("用户名", "Username"), key="login_username")
        password = st.text_input(tr("密码", "Password"), type="password", key="login_password")
        submitted = st.form_submit_button(tr("登录", "Sign in"), type="primary")
    if submitted:
        with database().session() as session:
            outcome = staff.authenticate(session, username, password, address=client_address())
            actor = staff.actor_for(outcome.user) if outcome.user else None
        if actor is None:
            st.error(outcome.error.message(lang()) if outcome.error else tr(*staff.REFUSED))
        else:
            sign_in(actor, requested=st.query_params.get("next"))
            st.rerun()


def client_address() -> str | None:
    """The address of the browser's connection, which sign-in throttling counts by. Behind a
    reverse proxy this is the proxy's address unless the proxy passes the client's through."""
    return st.context.ip_address


def must_change_password(actor: Actor) -> bool:
    with database().session() as session:
        return staff.must_change_password(session, actor.id)


def change_password_page(actor: Actor) -> None:
    """Shown instead of every other page until a reset or first password is replaced."""
    st.title(tr("请修改密码", "Change your password"))
    if st.sidebar.button(tr("退出登录", "Sign out"), key="sign_out_unchanged", icon=":material/logout:"):
        sign_out()
        st.rerun()
    st.info(tr("管理员为您设置了临时密码。继续使用工作台前，请设置新密码。",
               "An admin set a temporary password. Choose a new one to continue."))
    st.caption(tr(passwords.RULE_ZH, passwords.RULE_EN))
    with st.form("change_password"):
        old = st.text_input(tr("当前密码", "Current password"), type="password", key="old_password")
        new = st.text_input(tr("新密码", "New password"), type="password", key="new_password")
        again = st.text_input(tr("再次输入新密码", "New password again"), type="password", key="new_password_again")
        submitted = st.form_submit_button(tr("保存新密码", "Save new password"), type="primary")
    if not submitted:
        return
    if new != again:
        st.error(tr("两次输入的新密码不一致。", "The two new passwords differ."))
        return
    try:
        with database().session() as session:
            staff.change_password(session, actor, old, new)
    except DomainError as error:
        st.error(error.message(lang()))
        return
    sign_in(actor)  # the change ended every session of the account; this tab carries on in a new one
    st.rerun()
