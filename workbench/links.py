"""Addresses: the session cookie's routes, where sign-in lands, and links to one record's page.

Every record a colleague may need to see has an address that can be bookmarked and sent: the page's
path and one query parameter (``/student_history?student=12``). Pages read the parameter with
``st.query_params`` and write it back when the user picks another record, so the address bar always
names what is on screen.
"""

from __future__ import annotations

from urllib.parse import urlencode

import streamlit as st

from core.domain.enums import Role

COOKIE = "workbench_session"
START_PATH = "/auth/session"
END_PATH = "/auth/sign-out"
MAX_LINK = 2000

LANDING = {Role.REVIEWER: "/review_queue", Role.SENIOR_REVIEWER: "/review_queue"}
"""Where a role lands after sign-in when no link was asked for: reviewers on their queue, the others
on the overview."""


def safe_next(link: str | None) -> str | None:
    """A link to return to after sign-in, only if it is a path of this site (never ``//host`` or
    ``https://…``, which would send a fresh session's browser elsewhere), else None."""
    if not link or len(link) > MAX_LINK or not link.startswith("/") or link.startswith(("//", "/\\", "/auth/")):
        return None
    if any(ord(c) < 0x20 or c == "\\" for c in link):
        return None
    return link


def landing(role: Role | None, requested: str | None) -> str:
    return safe_next(requested) or (LANDING.get(role, "/") if role is not None else "/")


def start_url(code: str, next_link: str) -> str:
    return f"{START_PATH}?{urlencode({'code': code, 'next': next_link})}"


def record_link(page: str, **params: int | str) -> str:
    """``record_link("tickets", ticket=5)`` → ``/tickets?ticket=5``."""
    return f"/{page}?{urlencode(params)}" if params else f"/{page}"


def linked_id(param: str) -> int | None:
    """The record id the address names (``?param=ID``), returned on the first run that sees this
    address, so the page opens that record; None afterwards, so the user's own choices rule."""
    raw = st.query_params.get(param)
    seen = f"_linked_{param}"
    if raw is None or raw == st.session_state.get(seen):
        return None
    st.session_state[seen] = raw
    return int(raw) if raw.isdigit() and 0 < len(raw) < 12 else None


def show_in_address(param: str, record_id: int | None) -> None:
    """Writes the record on screen into the address bar, so a bookmark or a copied link opens it."""
    seen = f"_linked_{param}"
    if record_id is None:
        st.query_params.pop(param, None)
        st.session_state.pop(seen, None)
        return
    st.query_params[param] = str(record_id)
    st.session_state[seen] = str(record_id)
