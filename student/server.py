"""The student web app's server: ``streamlit run student/server.py`` (what ``python -m core serve``
starts on :8502).

Streamlit's ASGI application (``st.App``) runs ``student/app.py`` and, beside it, the two routes a
script cannot provide: setting and clearing the sign-in cookie. Without them a reload (or WeChat
reopening a page it had put away) starts a new Streamlit session and the student signs in again.
The page posts its one-time code in the background (``student.state.follow_cookie_tasks``), so
signing in costs no extra page load on a phone; the code never appears in an address.
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import streamlit as st  # noqa: E402
from starlette.concurrency import run_in_threadpool  # noqa: E402
from starlette.requests import Request  # noqa: E402
from starlette.responses import Response  # noqa: E402
from starlette.routing import Route  # noqa: E402

from core.config import settings  # noqa: E402
from core.services import student_app  # noqa: E402
from student.state import COOKIE, END_PATH, START_PATH  # noqa: E402
from uikit.resources import database  # noqa: E402
from uikit.cookies import clear_session_cookie, from_this_site, no_store, set_session_cookie  # noqa: E402

MAX_FORM = 512


async def start_session(request: Request) -> Response:
    """Redeems the page's one-time code (the POST body) for the sign-in cookie. POST only, from this
    site only: no link or form elsewhere can sign a browser in as someone else."""
    if not from_this_site(request):
        return no_store(Response(status_code=403))
    body = await _bounded_body(request, MAX_FORM)
    if body is None:
        return no_store(Response(status_code=413))
    cookie = await run_in_threadpool(_redeem, body.decode("utf-8", "replace").strip())
    if cookie is None:
        return no_store(Response(status_code=403))
    response = Response(status_code=204)
    set_session_cookie(response, request, COOKIE, cookie.token, cookie.max_age_seconds)
    return no_store(response)


async def _bounded_body(request: Request, limit: int) -> bytes | None:
    """The body, or None when it is (or says it will be) longer than ``limit``: read no further."""
    declared = request.headers.get("content-length")
    if declared is not None and (not declared.isdigit() or int(declared) > limit):
        return None
    body = b""
    async for chunk in request.stream():
        body += chunk
        if len(body) > limit:
            return None
    return body


def _redeem(code: str) -> student_app.WebCookie | None:
    with database().session() as session:
        return student_app.redeem_web_handoff(session, code, token_minutes=settings().api_token_minutes)


def end_session(request: Request) -> Response:
    """Sign-out: the cookie's token is deleted in the database and the cookie cleared. POST only, from
    this site only, so no link or image anywhere can sign a browser out."""
    if not from_this_site(request):
        return no_store(Response(status_code=403))
    with database().session() as session:
        student_app.end_web_session(session, request.cookies.get(COOKIE, ""))
    response = Response(status_code=204)
    clear_session_cookie(response, request, COOKIE)
    return no_store(response)


app = st.App(
    ROOT / "student" / "app.py",
    routes=[Route(START_PATH, start_session, methods=["POST"]), Route(END_PATH, end_session, methods=["POST"])],
)
