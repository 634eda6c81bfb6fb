"""AppTest of the student app (student/app.py) on the test database and photo store, with jobs
running inline, and the real pieces the journey needs: a school with an open task, a roster record,
its demo collection-code image and a fixture portrait as the camera's photo."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from core.db import Database
from core.domain.identity import mask_name
from core.imaging.code_image import render_code_png
from core.imaging.collection_code import CollectionCode, encode_demo_code
from core.models import RosterRecord
from core.storage.photos import PhotoStore
from tests import factories as f

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
def student_app(env: tuple[Database, PhotoStore], monkeypatch: pytest.MonkeyPatch) -> Callable[..., AppTest]:
    db, store = env
    monkeypatch.setenv("WORKBENCH_DATABASE_URL", db.url)
    monkeypatch.setenv("WORKBENCH_PHOTO_STORE", str(store.root))

    def make(lang: str = "zh") -> AppTest:
        at = AppTest.from_file(APP, default_timeout=60)
        at.session_state["lang"] = lang
        return at

    return make


def portrait(fixtures_dir: Path, n: int = 1, expression: str = "neutral") -> bytes:
    files = sorted((fixtures_dir / "london").glob(f"*_{expression}.jpg"))
    return files[(n - 1) % len(files)].read_bytes()
