"""The staff workbench's server: ``streamlit run workbench/server.py`` (or any ASGI server).

Streamlit's own ASGI application (``st.App``) runs ``workbench/app.py`` and, beside it, the two HTTP
routes a Streamlit script cannot provide: setting and clearing the session cookie. A cookie set by a
real HTTP response can be HttpOnly, so no script in the page (ours, a component's, an injected one)
can read the session token. ``st.context.cookies`` hands it to every page run.

A page link opened without a valid session (a bookmark, a colleague's link, a new tab after the
session ended) is sent to the sign-in page with the link kept in ``next``; after sign-in the browser
goes back to it.
"""

from __future__ import annotations

import sys
from pathlib import Path
from urllib.parse import quote

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import streamlit as st  # noqa: E402
from starlette.concurrency import run_in_threadpool  # noqa: E402
from starlette.middleware import Middleware  # noqa: E402
from starlette.requests import Request  # noqa: E402
from starlette.responses import RedirectResponse, Response  # noqa: E402
from starlette.routing import Route  # noqa: E402
from starlette.types import ASGIApp, Receive, Scope, Send  # noqa: E402

from core.db import default_database  # noqa: E402
from core.models import utcnow  # noqa: E402
from core.services import staff_sessions  # noqa: E402
from uikit.cookies import clear_session_cookie, from_this_site, no_store, set_session_cookie  # noqa: E402
from workbench.links import COOKIE, END_PATH, START_PATH, safe_next  # noqa: E402

NOT_PAGES = ("/_stcore", "/media", "/component", "/static", "/app/static", "/auth/", "/favicon")
"""Paths that are not a page of the app: Streamlit's own routes, files, and the cookie routes."""


def start_session(request: Request) -> Response:
    """Redeems the sign-in page's one-time code for the session cookie, then goes to ``next``."""
    if not from_this_site(request):
        return no_store(RedirectResponse("/", status_code=303))
    with default_database().session() as session:
        cookie = staff_sessions.redeem_handoff(session, request.query_params.get("code", ""))
    if cookie is None:
        return no_store(RedirectResponse("/", status_code=303))
    response = RedirectResponse(safe_next(request.query_params.get("next")) or "/", status_code=303)
    max_age = int((cookie.expires_at - utcnow()).total_seconds())
    set_session_cookie(response, request, COOKIE, cookie.token, max_age)
    return no_store(response)


def end_session(request: Request) -> Response:
    """Clears the cookie after sign-out (the session itself is already revoked in the database).
    POST only, so no link or image on any site can sign a browser out."""
    if not from_this_site(request):
        return no_store(Response(status_code=403))
    response = Response(status_code=204)
    clear_session_cookie(response, request, COOKIE)
    return no_store(response)


def _signed_in(token: str | None) -> bool:
    with default_database().session() as session:
        return staff_sessions.resolve(session, token).actor is not None


class DeepLinksNeedSignIn:
    """Sends a page load without a valid session to ``/?next=<the link>``: the sign-in page, which
    returns to the link afterwards. Only full page loads of app pages are looked at."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["method"] == "GET":
            request = Request(scope)
            path = request.url.path
            if (path != "/" and not path.startswith(NOT_PAGES) and "." not in path.rsplit("/", 1)[-1]
                    and "text/html" in request.headers.get("accept", "")
                    and not await run_in_threadpool(_signed_in, request.cookies.get(COOKIE))):
                link = path + (f"?{request.url.query}" if request.url.query else "")
                await no_store(RedirectResponse(f"/?next={quote(link, safe='')}", status_code=303))(
                    scope, receive, send)
                return
        await self.app(scope, receive, send)


app = st.App(
    ROOT / "workbench" / "app.py",
    routes=[Route(START_PATH, start_session), Route(END_PATH, end_session, methods=["POST"])],
    middleware=[Middleware(DeepLinksNeedSignIn)],
)
