"""AppTest of the student app (student/app.py) on the test database and photo store, with jobs
running inline, and the real pieces the journey needs: a school with an open task, a roster record,
its demo collection-code image and a fixture portrait as the camera's photo."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from core.config import settings
from core.db import Database
from core.domain.identity import mask_name
from core.imaging.code_image import render_code_png
from core.imaging.collection_code import CollectionCode, encode_demo_code
from core.models import RosterRecord
from core.storage.photos import LocalPhotoStore
from uikit.plain import visible
from tests import factories as f
from tests import photos
from tests.app_resources import share_database_with_apps

APP = str(Path(__file__).resolve().parents[2] / "student" / "app.py")


def code_png(record: RosterRecord, school_code: str) -> bytes:
    """The record's demo collection code as the PNG a student saves from CHSI."""
    code = CollectionCode(school_code, record.student_number, mask_name(record.name), record.id_last4)
    return render_code_png(encode_demo_code(code))


@dataclass
class Seeded:
    school_id: int
    task_id: int
    record_id: int
    name: str
    student_number: str
    id_last4: str
    code_png: bytes


@pytest.fixture
def seeded(db: Database) -> Callable[..., Seeded]:
    def make(seed: int = 1, *, task: dict | None = None, record: dict | None = None) -> Seeded:
        with db.session() as session:
            school = f.make_school(session, "10486", "武汉大学") if seed == 1 else f.make_school(
                session, f"1{seed:04d}", f"测试大学{seed}")
            made_task = f.make_task(session, school, **(task or {}))
            made = f.make_record(session, school, seed, **(record or {}))
            return Seeded(school.id, made_task.id, made.id, made.name, made.student_number, made.id_last4,
                          code_png(made, school.code))

    return make


@pytest.fixture
def student_app(env: tuple[Database, LocalPhotoStore], monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[..., AppTest]]:
    db, store = env
    monkeypatch.setenv("WORKBENCH_DATABASE_URL", db.url)
    monkeypatch.setenv("WORKBENCH_PHOTO_STORE", str(store.root))
    settings.cache_clear()
    share_database_with_apps(monkeypatch, db)

    def make(lang: str = "zh") -> AppTest:
        at = AppTest.from_file(APP, default_timeout=60)
        at.session_state["lang"] = lang
        return at

    yield make
    settings.cache_clear()


def portrait(fixtures_dir: Path, n: int = 1, expression: str = "neutral") -> bytes:
    return photos.portrait(n, expression, folder=fixtures_dir)


def signed_in(at: AppTest, nickname: str = "小丁") -> AppTest:
    """Sign in with the development WeChat adapter and acknowledge the notice."""
    at.run()
    at.text_input(key="nickname").input(nickname)
    at.button(key="sign_in").click().run()
    if "notice_ack" in [c.key for c in at.checkbox]:  # the notice is acknowledged once per account
        at.checkbox(key="notice_ack").check()
        at.button(key="notice_next").click().run()
    return at


def at_identity_check(at: AppTest, s: Seeded, query: str = "whdx") -> AppTest:
    """From home: 去采集 → search → school → task, arriving at the identity form."""
    at.button(key="home_collect").click().run()
    at.text_input(key="school_query").input(query).run()
    at.button(key=f"school_{s.school_id}").click().run()
    at.button(key=f"task_{s.task_id}").click().run()
    return at


def fill_identity(at: AppTest, name: str, number: str, last4: str, code: bytes | None, *,
                  consent: bool = True) -> AppTest:
    at.text_input(key="verify_name").input(name)
    at.text_input(key="verify_number").input(number)
    at.text_input(key="verify_last4").input(last4)
    if code is not None:
        at.file_uploader(key="code_upload").upload("采集码.png", code, "image/png")
    if consent:
        at.checkbox(key="consent").check()
    at.run()
    at.button(key="verify").click().run()
    return at


def linked_and_paid(at: AppTest, s: Seeded) -> AppTest:
    """The whole way to the capture screen for the seeded student."""
    signed_in(at)
    at_identity_check(at, s)
    fill_identity(at, s.name, s.student_number, s.id_last4, s.code_png)
    at.button(key="confirm_link").click().run()
    at.button(key="pay").click().run()
    return at


def texts(at: AppTest) -> str:
    """Every message, markdown and caption on the screen, joined: what the student can read (data is
    escaped for Markdown by ``uikit.plain``; the escapes are not part of what is read)."""
    parts = [e.value for kind in ("error", "warning", "info", "success", "markdown", "caption", "subheader", "title")
             for e in at.get(kind)]
    return "\n".join(visible(str(p)) for p in parts)
