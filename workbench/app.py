"""The staff workbench's script. Served by ``workbench/server.py`` (``streamlit run workbench/server.py``),
which adds the session cookie's routes; run alone it works in one tab, without the cookie."""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import streamlit as st  # noqa: E402

from uikit.localise import localise_widgets  # noqa: E402
from uikit.plain import plain  # noqa: E402
from workbench import auth  # noqa: E402
from workbench.context import current_actor, follow_browser_redirect, sign_out  # noqa: E402
from workbench.i18n import lang, language_switch, tr  # noqa: E402
from workbench.navigation import pages_for  # noqa: E402

st.set_page_config(page_title="学历图像采集 · 工作台", page_icon=":material/photo_camera:", layout="wide")
language_switch()
localise_widgets(lang())
actor = current_actor()
follow_browser_redirect()

if actor is None:
    page = st.navigation([st.Page(auth.login_page, title=tr("登录", "Sign in"), icon=":material/login:")])
elif auth.must_change_password(actor):
    page = st.navigation([st.Page(lambda: auth.change_password_page(actor), title=tr("修改密码", "Change password"),
                                  icon=":material/password:", url_path="change-password")])
else:
    sections: dict[str, list[st.Page]] = {}
    for spec in pages_for(actor.role):
        section = spec.section_zh if lang() == "zh" else spec.section_en
        sections.setdefault(section, []).append(
            st.Page(spec.path, title=spec.title_zh if lang() == "zh" else spec.title_en, icon=spec.icon,
                    url_path=spec.path.stem)
        )
    with st.sidebar:
        st.caption(plain(f"{actor.name} · {actor.role.label_zh if lang() == 'zh' else actor.role.value}"))
        if st.button(tr("退出登录", "Sign out"), key="sign_out", icon=":material/logout:"):
            sign_out()
            st.rerun()
        if st.button(tr("退出所有设备", "Sign out everywhere"), key="sign_out_everywhere", type="tertiary",
                     help=tr("结束此账号在所有浏览器和设备上的登录。", "Ends this account's sessions in every browser.")):
            sign_out(everywhere=True)
            st.rerun()
    page = st.navigation(sections, expanded=True)
page.run()
