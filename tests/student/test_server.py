"""The student app's cookie routes (student/server.py), served here by a bare Starlette app holding
just those routes: the one-time code becomes an HttpOnly cookie once, sign-out deletes the token,
and foreign, oversized or replayed posts are refused."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from starlette.applications import Starlette
from starlette.routing import Route
from starlette.testclient import TestClient

from core.config import settings
from core.domain.access import Actor
from core.services import student_app
from student import server
from student.state import COOKIE, END_PATH, START_PATH
from tests.app_resources import share_database_with_apps


@pytest.fixture
def routes(env, monkeypatch) -> Iterator[TestClient]:
    db, _ = env
    monkeypatch.setenv("WORKBENCH_DATABASE_URL", db.url)
    settings.cache_clear()
    share_database_with_apps(monkeypatch, db)
    app = Starlette(routes=[Route(START_PATH, server.start_session, methods=["POST"]),
                            Route(END_PATH, server.end_session, methods=["POST"])])
    with TestClient(app, base_url="https://phone.example") as client:
        yield client
    settings.cache_clear()


def _code(db) -> tuple[int, str]:
    with db.session() as session:
        account = student_app.sign_in_app(session, "小丁")
        return account.id, student_app.start_web_session(session, Actor.student(account.id, account.nickname))


def test_the_code_becomes_an_http_only_cookie_once_and_sign_out_ends_it(routes, env):
    db, _ = env
    account_id, code = _code(db)
    answer = routes.post(START_PATH, content=code)
    assert answer.status_code == 204 and answer.headers["cache-control"] == "no-store"
    set_cookie = answer.headers["set-cookie"]
    assert set_cookie.startswith(f"{COOKIE}=") and "HttpOnly" in set_cookie and "SameSite=lax" in set_cookie
    token = routes.cookies[COOKIE]
    with db.session() as session:
        assert student_app.authenticate(session, token).id == account_id
    assert routes.post(START_PATH, content=code).status_code == 403  # once

    assert routes.post(END_PATH).status_code == 204
    with db.session() as session:
        assert student_app.authenticate(session, token) is None


def test_foreign_oversized_and_unknown_posts_are_refused(routes, env):
    db, _ = env
    _, code = _code(db)
    assert routes.post(START_PATH, content=code, headers={"Sec-Fetch-Site": "cross-site"}).status_code == 403
    assert routes.post(START_PATH, content="x" * 100_000).status_code == 413
    assert routes.post(START_PATH, content="not a code").status_code == 403
    assert routes.post(END_PATH, headers={"Sec-Fetch-Site": "cross-site"}).status_code == 403
    assert routes.get(START_PATH).status_code == 405  # no link can sign a browser in
    assert routes.post(START_PATH, content=code).status_code == 204  # the refusals used nothing up
