"""第二步 授权登录 (WeChat nickname only) and 第四步 重要通知, which must be acknowledged."""

from __future__ import annotations

import streamlit as st

from core.domain.access import Actor
from core.services import student_app
from student import state
from uikit.resources import database
from uikit.i18n import tr
from uikit.feedback import attempt


def render_sign_in() -> None:
    st.title(tr("学历图像采集", "Graduate photo collection"), anchor=False)
    st.write(tr("为学信网学籍学历电子注册采集本人证件照。只需获取微信昵称即可登录。",
                "Take your photo for CHSI registration. Only your WeChat nickname is needed to sign in."))
    nickname = st.text_input(tr("微信昵称", "WeChat nickname"), key="nickname", max_chars=student_app.MAX_NICKNAME)
    if student_app.development_identity():
        st.caption(tr("开发环境：同一昵称对应同一微信身份。", "Development: the same nickname is the same WeChat identity."))
    if st.button(tr("微信授权登录", "Sign in with WeChat"), key="sign_in", type="primary", width="stretch"):
        def sign_in() -> tuple[int, str]:
            with database().session() as session:
                account = student_app.sign_in_app(session, nickname)
                return account.id, student_app.start_web_session(session, state.actor(account.id, account.nickname))

        signed = attempt(sign_in)
        if signed is not None:
            state.sign_in(*signed)
            st.rerun()


NOTICE_ZH = """\
**学信网最新采集要求：线上采集只能手机实时拍摄，不能使用相册照片。**

根据学信网关于新生、毕业生图像采集工作的重要提示：不能参加现场拍照的新生、毕业生，必须使用手机原生相机实时采集，\
不能使用美颜修图类软件，不能从手机相册中选择预先准备好的图片。

本系统已屏蔽本地相册，请按操作流程使用手机实时拍摄；**禁止使用微信电脑客户端（含平板电脑）操作**；也**不得翻拍照片或屏幕**，\
否则影响学籍学历注册的后果自行承担。

温馨提示：可以让身边的朋友使用后置摄像头协助您完成拍摄。不符合采集要求的照片会在人工审核中被驳回，请认真拍摄。
"""

NOTICE_EN = """\
**CHSI rule: online collection is live phone capture only — no photos from the album.**

Students who cannot attend the on-site shoot must use the phone's own camera live, without beauty or retouching apps, \
and may not pick a prepared picture from the album.

The album is blocked here. **Do not use desktop or tablet WeChat**, and **do not re-photograph a print or a screen**; \
the consequences for your registration are your own.

Tip: ask a friend to shoot you with the rear camera. Photos that do not meet the standard are rejected in review.
"""


def render_notice(actor: Actor) -> None:
    st.subheader(tr("重要通知", "Important notice"), anchor=False)
    with st.container(border=True):
        st.markdown(tr(NOTICE_ZH, NOTICE_EN))
    agreed = st.checkbox(tr("我已阅读并理解以上通知", "I have read and understood this notice"), key="notice_ack")
    if st.button(tr("我已经知晓，下一步", "Understood, next"), key="notice_next", type="primary", width="stretch"):
        if not agreed:
            st.warning(tr("请先勾选“我已阅读并理解以上通知”。", "Tick the box to confirm you read the notice."))
            return
        with database().session() as session:
            student_app.acknowledge_notice(session, actor)
        st.rerun()
