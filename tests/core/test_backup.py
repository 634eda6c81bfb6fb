"""The backup and restore procedure of the README, done for real on PostgreSQL: a database with real
data (a roster import, an enrolment photo, a real portrait approved by a reviewer, a CHSI batch) is dumped
with ``pg_dump``, its photo store copied after the dump, both restored into an empty database and
a new folder, and ``python -m core store verify`` finds every photo the restored database names.

Skipped without WORKBENCH_TEST_DATABASE_URL or without the PostgreSQL client programs. Slow on
purpose (20-30 s): two databases migrated, pg_dump and pg_restore, two runs of the command line.
"""

from __future__ import annotations

import csv
import io
import os
import shutil
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from sqlalchemy import create_engine, func, select, text
from sqlalchemy.engine import make_url

from core.db import Database
from core.domain.access import Actor
from core.domain.enums import Decision, Role, SubmissionState
from core.models import Base, RosterRecord
from core.services import batches, photo_store, review, roster, support
from core.storage.photos import LocalPhotoStore, PhotoStore
from tests import factories as f
from tests.conftest import PG_URL
from tests.core.services import registrar_world as w

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.skipif(not PG_URL or not shutil.which("pg_dump") or not shutil.which("pg_restore"),
                                reason="needs WORKBENCH_TEST_DATABASE_URL and pg_dump/pg_restore")


@pytest.fixture
def databases():
    """Two new databases of their own: the one backed up and the empty one it is restored into."""
    admin = create_engine(Database(PG_URL).engine.url, isolation_level="AUTOCOMMIT")
    names = [f"wb_backup_{uuid.uuid4().hex[:8]}_{side}" for side in ("live", "restored")]
    with admin.connect() as conn:
        for name in names:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    urls = [Database(PG_URL).engine.url.set(database=n).render_as_string(hide_password=False) for n in names]
    yield urls
    with admin.connect() as conn:
        for name in names:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def libpq(url: str) -> str:
    """The SQLAlchemy URL as the PostgreSQL programs take it."""
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


def populate(db: Database, store: PhotoStore, fixtures_dir: Path) -> None:
    with db.session() as session:
        school = f.make_school(session)
        task = f.make_task(session, school)
        registrar = f.actor_of(f.make_staff(session, Role.REGISTRAR, "reg.whu", school=school))
        reviewer = f.actor_of(f.make_staff(session, Role.REVIEWER, "li.reviewer"))
        out = io.StringIO()
        writer = csv.writer(out)
        writer.writerow(["姓名", "学号", "身份证号", "学历类别", "届别"])
        writer.writerows([[name, f"21100000{n:02d}", f.id_number(n), "普通本专科", "2025届"]
                          for n, name in enumerate(["丁白云", "张三", "李四"], start=1)])
        roster.import_roster(session, registrar, school.id, out.getvalue().encode("utf-8"), "名单.csv")
        record = session.scalar(select(RosterRecord).where(RosterRecord.name == "丁白云"))
        record.enrolment_photo_sha = store.put((fixtures_dir / "london" / "003_neutral.jpg").read_bytes())
        w.linked_with_code(session, task, record)  # a real collection code: the photo may go to CHSI
        submission = w.approved_photo(session, store, task, record, fixtures_dir)  # a real portrait, 480×640
        submission.state, submission.decided_at = SubmissionState.AWAITING_REVIEW, None
        session.flush()
        review.decide(session, reviewer, submission.id, Decision.APPROVE)
        session.commit()
        batch = batches.build_batch(session, registrar, task.id, store)
        batches.write_package(session, registrar, batch.id, store, io.BytesIO())


def counts(url: str) -> dict[str, int]:
    database = Database(url)
    try:
        with database.session() as session:
            return {t.name: session.scalar(select(func.count()).select_from(t)) or 0 for t in Base.metadata.sorted_tables}
    finally:
        database.dispose()


def test_a_dump_and_the_photo_store_restore_into_an_empty_database_and_verify(databases, tmp_path, fixtures_dir):
    live_url, restored_url = databases
    live, store = Database(live_url), LocalPhotoStore(tmp_path / "live" / "photos")
    live.migrate()
    populate(live, store, fixtures_dir)
    live.dispose()

    # Back up: the database first, then the photo store (append-only, so the copy made after the
    # dump holds every photo the dump names).
    dump = tmp_path / "backup" / "workbench.dump"
    dump.parent.mkdir()
    subprocess.run(["pg_dump", "--format=custom", "--no-owner", f"--file={dump}", libpq(live_url)], check=True)
    shutil.copytree(store.root, tmp_path / "backup" / "photos")

    # Restore: the photos into the new photo folder, the dump into an empty database, then verify.
    restored_store = tmp_path / "restored" / "photos"
    shutil.copytree(tmp_path / "backup" / "photos", restored_store)
    subprocess.run(["pg_restore", "--no-owner", "--exit-on-error", f"--dbname={libpq(restored_url)}", str(dump)],
                   check=True)
    assert counts(restored_url) == counts(live_url)
    assert counts(restored_url)["submission"] == 1 and counts(restored_url)["roster_record"] == 3

    env = dict(os.environ, WORKBENCH_DATABASE_URL=restored_url, WORKBENCH_PHOTO_STORE=str(restored_store),
               WORKBENCH_DATA_DIR=str(tmp_path / "restored"))
    migrated = subprocess.run([sys.executable, "-m", "core", "migrate"], cwd=ROOT, env=env, capture_output=True,
                              text=True, timeout=120)
    assert migrated.returncode == 0, migrated.stderr  # already at the newest revision: nothing to do
    verified = subprocess.run([sys.executable, "-m", "core", "store", "verify"], cwd=ROOT, env=env,
                              capture_output=True, text=True, timeout=120)
    assert verified.returncode == 0, verified.stdout + verified.stderr
    assert "photos named by the database: 2" in verified.stdout  # the approved photo and the enrolment photo

    restored = Database(restored_url)
    try:
        with restored.session() as session:
            [hit] = support.search(session, Actor.system("test"), "丁白云")
            view = support.student_view(session, Actor.system("test"), hit.record_id)
            assert view.submissions[0].state.value == "in_batch"
            report = photo_store.verify(session, Actor.system("test"), LocalPhotoStore(restored_store))
            assert report.ok and report.checked == 2 and report.unreferenced == 0
        missing = next(p for p in sorted(restored_store.rglob("*")) if p.is_file())
        missing.unlink()  # a restore that lost a photo is caught
        with restored.session() as session:
            assert not photo_store.verify(session, Actor.system("test"), LocalPhotoStore(restored_store)).ok
    finally:
        restored.dispose()
