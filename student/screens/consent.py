"""微信通知授权: asked once the photo is submitted (seed, after 第十三步), changeable on the message
screen. The inbox shows every notice either way; WeChat messages leave only while allowed (the
rule is enforced where messages are sent, in ``core.services.notifications``)."""

from __future__ import annotations

import streamlit as st

from core.domain.access import Actor
from core.domain.enums import ConsentChannel, NotificationConsent
from core.domain.quotas import CHINA
from core.services import student_app
from core.services.student_app import CONSENT_TEXT_EN, CONSENT_TEXT_ZH, ConsentView
from uikit.feedback import attempt
from uikit.i18n import tr
from uikit.resources import database


def current(actor: Actor) -> ConsentView:
    with database().session() as session:
        return student_app.notification_consent(session, actor)


def _answer(actor: Actor, consent: NotificationConsent) -> None:
    def save() -> ConsentView:
        with database().session() as session:
            return student_app.set_notification_consent(session, actor, consent, ConsentChannel.APP)

    if attempt(save) is not None:
        st.rerun()


def ask(actor: Actor) -> None:
    """The question, shown until the student answers it."""
    with st.container(border=True):
        st.markdown(tr("**微信通知授权**", "**WeChat notifications**"))
        st.markdown(tr(CONSENT_TEXT_ZH, CONSENT_TEXT_EN))
        st.caption(tr("无论是否允许，结果都会显示在“消息通知”中；之后可在“消息通知”页随时更改。",
                      "Either way, results appear under Messages; you can change this there at any time."))
        decline, allow = st.columns(2)
        if decline.button(tr("暂不允许", "Not now"), key="consent_decline", width="stretch"):
            _answer(actor, NotificationConsent.DECLINED)
        if allow.button(tr("允许", "Allow"), key="consent_allow", type="primary", width="stretch"):
            _answer(actor, NotificationConsent.GRANTED)


def settings(actor: Actor) -> None:
    """The answer on the message screen, with the switch to change it."""
    view = current(actor)
    with st.container(border=True):
        st.markdown(tr("**微信通知授权**", "**WeChat notifications**"))
        when = f"{view.answered_at.astimezone(CHINA):%Y-%m-%d %H:%M}" if view.answered_at else ""
        if view.granted:
            st.markdown(tr(f"已允许（{when}）：审核结果、上网结果会同时推送到微信。",
                           f"Allowed ({when}): results are also sent to WeChat."))
            if st.button(tr("关闭微信通知", "Turn off WeChat notifications"), key="consent_off", width="stretch"):
                _answer(actor, NotificationConsent.DECLINED)
        else:
            st.markdown(tr(f"未允许{'（' + when + '）' if when else ''}：结果只显示在本页，不会推送到微信。",
                           f"Not allowed{' (' + when + ')' if when else ''}: results appear here only, "
                           "not in WeChat."))
            if st.button(tr("允许微信通知", "Allow WeChat notifications"), key="consent_on", type="primary",
                         width="stretch"):
                _answer(actor, NotificationConsent.GRANTED)
