"""``python -m core store verify``: every photo the database names is in the store and intact; the
rest of the store is counted; the exit code says whether anything is wrong. Each test runs against
the local folder and the S3-compatible object store."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from core.domain.access import Actor
from core.domain.enums import ActorKind, Role
from core.errors import AccessDenied
from core.services import photo_store
from core.storage.photos import PhotoState, PhotoStore
from tests import factories as f
from tests.core.services import registrar_world as w
from tests.photo_stores import Backdoor

ROOT = Path(__file__).resolve().parents[3]


@pytest.fixture
def store(any_store: Backdoor) -> PhotoStore:
    """Both backends, for every test here (the shared ``env`` fixture takes its store from this)."""
    return any_store.store


@pytest.fixture
def stocked(env, fixtures_dir):
    """Three students with approved photos (capture, standardised, thumbnail share one file here)
    and enrolment photos; one of them already in a CHSI batch."""
    db, store = env
    with db.session() as session:
        school = f.make_school(session)
        task = f.make_task(session, school)
        registrar = f.actor_of(f.make_staff(session, Role.REGISTRAR, "reg.whu", school=school))
        admin = f.actor_of(f.make_staff(session, Role.ADMIN, "admin"))
        shas = {}
        for n, name in enumerate(("丁白云", "张三", "李四")):
            record = f.make_record(session, school, n + 1, name=name)
            record.enrolment_photo_sha = store.put((fixtures_dir / "london" / f"00{2 * n + 1}_neutral.jpg").read_bytes())
            shas[name] = (w.approved_photo(session, store, task, record, fixtures_dir).standardised_sha,
                          record.enrolment_photo_sha)
        from core.services import batches

        batches.build_batch(session, registrar, task.id, store)
    return db, store, admin, shas


def test_a_healthy_store_verifies(stocked):
    db, store, admin, _shas = stocked
    with db.session() as session:
        report = photo_store.verify(session, admin, store)
    assert report.ok and report.checked == 6 and (report.missing, report.damaged) == (0, 0)
    assert report.unreferenced == 0 and report.stray_files == 0
    assert report.lines()[-1].startswith("OK")


def test_missing_and_damaged_photos_are_reported_with_where_they_are_used(stocked, any_store):
    db, store, admin, shas = stocked
    missing, damaged = shas["张三"][0], shas["李四"][1]
    any_store.remove(missing)
    any_store.overwrite(damaged, b"\0" + any_store.read_raw(damaged)[1:])
    orphan = store.put(b"not referenced by any row")
    any_store.leave_stray("ab/.incoming-crash", b"half a photo")
    with db.session() as session:
        report = photo_store.verify(session, admin, store)
    assert not report.ok and (report.checked, report.missing, report.damaged) == (6, 1, 1)
    found = {p.sha: p for p in report.problems}
    assert found[missing].state is PhotoState.MISSING and found[damaged].state is PhotoState.DAMAGED
    assert {u.split(" (")[1] for u in found[missing].used_by} == {"raw capture)", "standardised photo)", "thumbnail)",
                                                                   "CHSI batch photo)"}
    assert [u.split(" (")[1] for u in found[damaged].used_by] == ["enrolment photo)"]
    assert report.unreferenced == 1 and report.unreferenced_bytes == len(b"not referenced by any row") == store.size(orphan)
    assert report.stray_files == 1
    assert any(missing in line for line in report.lines()) and report.lines()[-1].startswith("NOT OK")


def test_only_admins_and_the_system_may_verify(stocked):
    db, store, _, _ = stocked
    with db.session() as session:
        for role in (Role.REVIEWER, Role.SENIOR_REVIEWER, Role.REGISTRAR, Role.SUPPORT):
            with pytest.raises(AccessDenied):
                photo_store.verify(session, Actor(kind=ActorKind.STAFF, id=1, name="x", role=role, school_id=1), store)
        assert photo_store.verify(session, Actor.system("cli"), store).ok


def run_cli(db, backdoor: Backdoor) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, WORKBENCH_DATABASE_URL=db.url, **backdoor.environment())
    return subprocess.run([sys.executable, "-m", "core", "store", "verify"], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=120)


def test_the_command_line_exits_non_zero_when_a_photo_is_missing(stocked, any_store):
    db, _, _, shas = stocked
    healthy = run_cli(db, any_store)
    assert healthy.returncode == 0, healthy.stderr
    assert "photos named by the database: 6" in healthy.stdout and "OK" in healthy.stdout
    any_store.remove(shas["丁白云"][0])
    broken = run_cli(db, any_store)
    assert broken.returncode == 1 and "missing: 1" in broken.stdout and shas["丁白云"][0] in broken.stdout
