"""What the staff and student apps' cookie routes share: a Streamlit script cannot set a cookie,
so each app's server adds small HTTP routes that do (``workbench/server.py``, ``student/server.py``),
and the page calls them in the background (``post_in_background``). A cookie set by a real HTTP
response can be HttpOnly: no script in the page can read the token."""

from __future__ import annotations

import json

import streamlit as st
from starlette.requests import Request
from starlette.responses import Response

from core.config import settings


def secure(request: Request) -> bool:
    """Secure cookies whenever the browser reached us over https (directly or through a proxy)."""
    choice = settings().cookie_secure
    if choice in ("always", "never"):
        return choice == "always"
    return request.url.scheme == "https" or request.headers.get("x-forwarded-proto", "").lower() == "https"


def no_store(response: Response) -> Response:
    response.headers["Cache-Control"] = "no-store"
    response.headers["Referrer-Policy"] = "no-referrer"
    return response


def from_this_site(request: Request) -> bool:
    """Only our own pages may set or clear the cookie: a link or form on another site must not sign a
    browser in as someone else (with that person's code) or out. Browsers say where a request comes
    from in Sec-Fetch-Site; one that does not say is let through."""
    return request.headers.get("sec-fetch-site", "same-origin") == "same-origin"


def set_session_cookie(response: Response, request: Request, name: str, token: str, max_age: int) -> None:
    response.set_cookie(name, token, max_age=max_age, path="/", httponly=True, samesite="lax", secure=secure(request))


def clear_session_cookie(response: Response, request: Request, name: str) -> None:
    response.delete_cookie(name, path="/", httponly=True, samesite="lax", secure=secure(request))


def post_in_background(*posts: tuple[str, str | None]) -> None:
    """Has the page POST to this site's cookie routes without leaving it, cookies included: one
    ``fetch`` per (path, body)."""
    if posts:
        calls = "".join(f"fetch({json.dumps(path)}, {{method: 'POST', credentials: 'same-origin'"
                        + (f", body: {json.dumps(body)}" if body is not None else "") + "});" for path, body in posts)
        st.html(f"<script>{calls}</script>", unsafe_allow_javascript=True)
