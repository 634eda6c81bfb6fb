"""Staff accounts: create, role and school, password reset, disable."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from core.domain import passwords
from core.domain.enums import Role
from core.errors import DomainError
from core.services import schools, staff
from uikit.clock import beijing
from uikit.plain import plain
from workbench.context import database, require_actor
from workbench.i18n import lang, tr
from workbench.widgets import commit_then_reload, show_error, show_flash

TEMPORARY = "admin_staff_temporary_password"

actor = require_actor()
st.title(tr("员工账号", "Staff accounts"))
show_flash()


def role_label(role: Role) -> str:
    return role.label_zh if lang() == "zh" else role.value


with database().session() as session:
    users = staff.list_staff(session, actor)
    all_schools = {s.id: s for s in schools.list_schools(session, actor)}


def school_label(school_id: int | None) -> str:
    return "" if school_id is None else all_schools[school_id].name


def when(moment) -> str:
    return beijing(moment)


if temporary := st.session_state.pop(TEMPORARY, None):
    username, password = temporary
    st.warning(tr(f"{plain(username)} 的临时密码（只显示这一次，请当面或电话告知本人；首次登录须修改）：",
                  f"Temporary password for {plain(username)} (shown once; the user must change it at first login):"))
    st.code(password, language=None)

st.dataframe(pd.DataFrame([{
    tr("用户名", "Username"): u.username,
    tr("姓名", "Name"): u.display_name,
    tr("角色", "Role"): role_label(u.role),
    tr("学校", "School"): school_label(u.school_id),
    tr("状态", "Status"): tr("已停用", "disabled") if not u.active else tr("正常", "active"),
    tr("须改密码", "Must change password"): u.must_change_password,
    tr("最近登录", "Last login"): when(u.last_login_at),
} for u in users]), hide_index=True)


def role_and_school(key: str, role: Role = Role.REVIEWER, school_id: int | None = None) -> tuple[Role, int | None]:
    roles = list(Role)
    left, right = st.columns(2)
    chosen = left.selectbox(tr("角色", "Role"), roles, index=roles.index(role), format_func=role_label,
                            key=f"{key}_role")
    school_ids = list(all_schools)
    school = right.selectbox(
        tr("学校（学籍管理员必填）", "School (registrars only)"), school_ids, format_func=school_label,
        index=school_ids.index(school_id) if school_id in school_ids else None, key=f"{key}_school",
        placeholder=tr("选择学校", "Choose a school"),
    )
    return chosen, school


with st.expander(tr("新建账号", "New account")):
    with st.form("new_staff", clear_on_submit=True):
        left, right = st.columns(2)
        username = left.text_input(tr("用户名", "Username"), key="new_staff_username")
        display_name = right.text_input(tr("姓名", "Name"), key="new_staff_name")
        role, school_id = role_and_school("new_staff")
        password = st.text_input(tr("初始密码（留空则自动生成）", "Initial password (blank: generate one)"),
                                 type="password", key="new_staff_password")
        st.caption(tr(f"{passwords.RULE_ZH}首次登录须修改。", f"{passwords.RULE_EN} To be changed at first login."))
        if st.form_submit_button(tr("创建账号", "Create account"), type="primary"):
            initial = password or staff.temporary_password()
            if not password:
                st.session_state[TEMPORARY] = (username.strip(), initial)
            commit_then_reload(
                lambda session: staff.create_staff(session, actor, username=username, display_name=display_name,
                                                   role=role, password=initial, school_id=school_id),
                tr(f"已创建账号：{username.strip()}", f"Account created: {username.strip()}"))
            st.session_state.pop(TEMPORARY, None)  # reached only when the account was refused

if users:
    st.subheader(tr("管理账号", "Manage an account"))
    by_id = {u.id: u for u in users}
    chosen = st.selectbox(tr("选择账号", "Account"), list(by_id), key="manage_staff_id",
                          format_func=lambda i: f"{by_id[i].username}（{by_id[i].display_name}）")
    user = by_id[chosen]
    with st.form(f"staff_role_{user.id}"):
        new_name = st.text_input(tr("姓名", "Name"), user.display_name, key=f"staff_name_{user.id}")
        new_role, new_school = role_and_school(f"staff_{user.id}", user.role, user.school_id)
        if st.form_submit_button(tr("保存角色", "Save role"), type="primary"):
            commit_then_reload(
                lambda session: staff.assign_role(session, actor, user.id, role=new_role, school_id=new_school,
                                                  display_name=new_name),
                tr(f"已更新：{user.username}", f"Updated: {user.username}"))
    left, right = st.columns(2)
    if left.button(tr("重置密码", "Reset password"), key="reset_password", icon=":material/lock_reset:"):
        try:
            with database().session() as session:
                password = staff.reset_password(session, actor, user.id)
        except DomainError as error:
            show_error(error)
        else:
            st.session_state[TEMPORARY] = (user.username, password)
            st.rerun()
    if user.active:
        if right.button(tr("停用账号", "Disable account"), key="disable_staff", icon=":material/block:"):
            commit_then_reload(lambda session: staff.set_active(session, actor, user.id, False),
                               tr(f"已停用：{user.username}", f"Disabled: {user.username}"))
    elif right.button(tr("重新启用", "Enable account"), key="enable_staff", icon=":material/check_circle:"):
        commit_then_reload(lambda session: staff.set_active(session, actor, user.id, True),
                           tr(f"已启用：{user.username}", f"Enabled: {user.username}"))
