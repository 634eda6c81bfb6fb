"""What every page needs: the database, the photo store (both from ``uikit.resources``) and the
signed-in staff member. The actor is resolved from the server-side session
(``core.services.staff_sessions``) on every run.
"""

from __future__ import annotations

import json

import streamlit as st

from core.domain.access import Actor
from core.services import staff_sessions
from uikit.cookies import post_in_background
from uikit.resources import database as database
from uikit.resources import photo_store as photo_store
from workbench.i18n import tr
from workbench.links import COOKIE, END_PATH, landing, start_url

TOKEN_KEY = "staff_session_token"
STALE_KEY = "_ended_session_cookie"
"""A cookie whose session has ended: ignored until the browser brings a new one."""
GOTO_KEY = "_browser_goto"
CLEAR_COOKIE_KEY = "_clear_cookie"


def current_actor() -> Actor | None:
    """The signed-in staff member, or None. Resolved on every run from the session token (this tab's,
    from its own sign-in, else the browser's cookie) through the database, so a session ended
    anywhere (sign-out in another tab, timeout, disabled account, new role) is out at once."""
    token = st.session_state.get(TOKEN_KEY)
    cookie = _cookie()
    if token is None and cookie and cookie != st.session_state.get(STALE_KEY):
        token = cookie
    if token is None:
        return None
    with database().session() as session:
        resolved = staff_sessions.resolve(session, token)
    if resolved.actor is None:
        _forget(reason=resolved.ended or "")
        if token == cookie:
            st.session_state[STALE_KEY] = cookie
    return resolved.actor


def _cookie() -> str | None:
    """The browser's session cookie, as sent when this tab connected (None where no browser is)."""
    value = st.context.cookies.get(COOKIE)
    return value if isinstance(value, str) and value else None


def sign_in(actor: Actor, requested: str | None = None) -> None:
    """Starts a server-side session for a staff member who just proved their password. This tab uses
    it at once; the browser is then sent through the cookie route so that every other tab, a reload
    and a deep link carry it too, and lands on ``requested`` or the role's landing page."""
    with database().session() as session:
        started = staff_sessions.start(session, actor)
    st.session_state[TOKEN_KEY] = started.token
    st.session_state[GOTO_KEY] = start_url(started.handoff_code, landing(actor.role, requested))


def sign_out(everywhere: bool = False) -> None:
    """Revokes the session in the database (every tab carrying it is out on its next click), then
    has the browser clear the cookie through the cookie route, in the background."""
    cookie = _cookie()
    with database().session() as session:
        staff_sessions.end(session, st.session_state.get(TOKEN_KEY) or cookie, everywhere=everywhere)
    _forget()
    if cookie:
        st.session_state[STALE_KEY] = cookie
    st.session_state[CLEAR_COOKIE_KEY] = True


def _forget(reason: str = "") -> None:
    for key in list(st.session_state.keys()):
        if key not in ("lang", "_lang_radio", STALE_KEY):
            del st.session_state[key]
    if reason:
        st.session_state["signed_out_reason"] = reason


def follow_browser_redirect() -> None:
    """Does in the browser what a sign-in or sign-out left to do with the cookie. A script cannot
    answer with an HTTP redirect, so a line of JavaScript does it. After sign-in the page shows only
    the redirect (with a link, should scripts be blocked), so nothing is typed into a page about to be
    replaced; the next run, if the browser stays, shows the app in this tab alone."""
    if st.session_state.pop(CLEAR_COOKIE_KEY, False):
        post_in_background((END_PATH, None))
    target = st.session_state.pop(GOTO_KEY, None)
    if target is None:
        return
    st.html(f"<script>window.location.replace({json.dumps(target)});</script>", unsafe_allow_javascript=True)
    st.info(tr("正在登录…", "Signing in…"), icon=":material/login:")
    st.caption(f"[{tr('如未自动跳转，请点此继续', 'Continue if nothing happens')}]({target})")
    st.stop()


def require_actor() -> Actor:
    """For page files: the actor, or stop the page (navigation never registers it for others)."""
    actor = current_actor()
    if actor is None:
        st.stop()
    return actor
