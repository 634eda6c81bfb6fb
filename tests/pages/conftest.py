"""AppTest helpers: run the real workbench app against the test database and photo store."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from core.config import settings
from core.db import Database
from core.models import StaffUser
from core.services import staff, staff_sessions
from core.storage.photos import LocalPhotoStore
from workbench.context import TOKEN_KEY
from tests.app_resources import share_database_with_apps

APP = str(Path(__file__).resolve().parents[2] / "workbench" / "app.py")


def session_token(db: Database, user_id: int) -> str:
    with db.session() as session:
        user = session.get(StaffUser, user_id)
        assert user is not None
        return staff_sessions.start(session, staff.actor_for(user)).token


@pytest.fixture
def app_for(env: tuple[Database, LocalPhotoStore], monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[..., AppTest]]:
    """``app_for(user_id)`` → an AppTest of the workbench, signed in as that staff user (or not)
    through a real server-side session, as the sign-in page would leave it in the tab."""
    db, store = env
    monkeypatch.setenv("WORKBENCH_DATABASE_URL", db.url)
    monkeypatch.setenv("WORKBENCH_PHOTO_STORE", str(store.root))
    monkeypatch.setenv("WORKBENCH_DATA_DIR", str(store.root.parent / "data"))  # exports land in the test's folder
    settings.cache_clear()
    share_database_with_apps(monkeypatch, db)

    def make(user_id: int | None = None, page: str | None = None, lang: str = "zh") -> AppTest:
        at = AppTest.from_file(APP, default_timeout=30)
        at.session_state["lang"] = lang
        if user_id is not None:
            at.session_state[TOKEN_KEY] = session_token(db, user_id)
        if page is not None:
            at.switch_page(str(Path(APP).parent.parent / "pages" / page))
        return at

    yield make
    settings.cache_clear()
