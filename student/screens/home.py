"""第三步 首页: the linked task at a glance and the way into every service."""

from __future__ import annotations

import streamlit as st

from core.domain.access import Actor
from core.services import student_app
from student import nav, state
from student.ui import support_line
from uikit.plain import plain
from uikit.resources import database
from uikit.i18n import LANG_KEY, lang, tr
from uikit.feedback import attempt


def render(actor: Actor) -> None:
    with database().session() as session:
        summary = student_app.status(session, actor)
        unread = student_app.unread_count(session, actor)
    st.title(tr("学历图像采集", "Graduate photo collection"), anchor=False)
    st.caption(tr(f"微信昵称：{plain(actor.name)}", f"WeChat: {plain(actor.name)}"))
    with st.container(border=True):
        if summary is None:
            st.markdown(tr("**尚未关联采集任务。** 请点击“去采集”，搜索学校并核验身份。",
                           "**No collection task linked yet.** Tap “Start” to find your school and verify."))
        else:
            st.markdown(f"**{plain(summary.task_title)}**")
            st.markdown(f"{plain(summary.school_name)} · {summary.category_zh}  \n"
                        f"{tr('姓名', 'Name')}：{plain(summary.masked_name)} · "
                        f"{tr('学号', 'Student no.')}：{plain(summary.student_number)}")
            st.markdown(tr(f"当前状态：**{summary.state_zh}**", f"Status: **{summary.state_en}**"))
            if not summary.paid:
                st.caption(tr("尚未支付采集费用。", "The collection fee is not paid yet."))
    if st.button(tr("去采集", "Start / continue"), key="home_collect", type="primary", width="stretch",
                 icon=":material/photo_camera:"):
        nav.go(nav.collection_step(summary))
    if st.button(tr("采集结果 · 我的上传", "My result"), key="home_status", width="stretch", disabled=summary is None):
        nav.go(nav.Step.STATUS)
    inbox_label = tr("消息通知", "Messages") + (f" ({unread})" if unread else "")
    if st.button(inbox_label, key="home_inbox", width="stretch"):
        nav.go(nav.Step.INBOX)
    if st.button(tr("其他服务与工具", "Other services and tools"), key="home_services", width="stretch"):
        nav.go(nav.Step.SERVICES)
    if summary is not None and not summary.paid:
        st.caption(tr("关联有误或微信支付受限时，可解绑后使用本人其他微信号重新操作。",
                      "If the link is wrong or WeChat Pay fails, unbind and use another account."))
        if st.button(tr("帐号解绑", "Unbind account"), key="home_unbind", width="stretch"):
            def unbind() -> bool:
                with database().session() as session:
                    student_app.unbind(session, actor)
                return True

            if attempt(unbind):
                st.rerun()
    st.divider()
    choice = st.radio("语言 / Language", ["中文", "English"], index=0 if lang() == "zh" else 1,
                      horizontal=True, key="student_lang")
    if (choice == "中文") != (lang() == "zh"):
        st.session_state[LANG_KEY] = "zh" if choice == "中文" else "en"
        st.rerun()
    if st.button(tr("退出登录", "Sign out"), key="sign_out", type="tertiary"):
        state.sign_out()
        st.rerun()
    support_line()
