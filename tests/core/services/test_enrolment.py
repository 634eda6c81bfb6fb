"""Enrolment photos from real ZIP files built in tmp_path from ../shared/fixtures."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import pytest
from sqlalchemy import select

from core.domain.enums import Role
from core.errors import AccessDenied, InvalidInput
from core.models import AuditEvent, ProcessingJob, RosterRecord
from core.services import enrolment, jobs
from tests import factories as f


@pytest.fixture
def school(db):
    with db.session() as session:
        school = f.make_school(session)
        other = f.make_school(session, "10487", "华中科技大学")
        registrar = f.make_staff(session, Role.REGISTRAR, "reg.whu", school=school)
        records = [f.make_record(session, school, seed, name=name) for seed, name in ((1, "甲"), (2, "乙"), (3, "丙"))]
        stranger = f.make_record(session, other, 9, name="外校")
        return (school.id, other.id, f.actor_of(registrar), [(r.id, r.student_number, r.id_number) for r in records],
                stranger.student_number)


def build_zip(path: Path, entries: dict[str, bytes], compression: int = zipfile.ZIP_DEFLATED) -> bytes:
    with zipfile.ZipFile(path, "w", compression) as archive:
        for name, data in entries.items():
            archive.writestr(name, data)
    return path.read_bytes()


def test_zip_of_fixture_photos_is_matched_by_student_or_id_number_and_embedded_once(env, tmp_path, fixtures_dir, school):
    db, store = env
    school_id, _, actor, records, stranger_number = school
    (id1, number1, _), (id2, _, id_number2), (id3, number3, _) = records
    london = fixtures_dir / "london"
    data = build_zip(tmp_path / "photos.zip", {
        f"2025届/{number1}.jpg": (london / "001_neutral.jpg").read_bytes(),
        f"{id_number2}.JPG": (london / "003_neutral.jpg").read_bytes(),
        f"{number3}.jpg": (fixtures_dir / "faces" / "edge_cases" / "two_faces.jpg").read_bytes(),
        f"{stranger_number}.jpg": (london / "005_neutral.jpg").read_bytes(),  # another school's student
        "说明.txt": "学籍照片".encode(),
        "__MACOSX/._x.jpg": b"resource fork",
    })
    with db.session() as session:
        report = enrolment.import_enrolment_photos(session, actor, school_id, data, store)
    assert sorted(report.matched) == sorted([number1, records[1][1], number3])
    assert sorted(s.file_name for s in report.unmatched) == sorted([f"{stranger_number}.jpg", "说明.txt"])
    with db.session() as session:
        first, second, third = (session.get(RosterRecord, i) for i in (id1, id2, id3))
        assert store.get(first.enrolment_photo_sha) == (london / "001_neutral.jpg").read_bytes()
        assert first.enrolment_embedding is not None and len(first.enrolment_embedding) == (128 + 1024) * 8
        assert second.enrolment_embedding is not None and first.enrolment_error is None
        assert third.enrolment_embedding is None and third.enrolment_error
        problems = enrolment.photo_problems(session, actor, school_id)
        done = session.scalars(select(ProcessingJob.status).where(ProcessingJob.kind == jobs.PROCESS_ENROLMENT)).all()
        embedding = first.enrolment_embedding
    assert [p.student_number for p in problems] == [number3]
    assert len(done) == 3

    with db.session() as session:  # the same archive again: nothing is recomputed
        again = enrolment.import_enrolment_photos(session, actor, school_id, data, store)
    assert again.matched == [] and sorted(again.unchanged) == sorted(report.matched)
    with db.session() as session:
        assert session.get(RosterRecord, id1).enrolment_embedding == embedding
        assert len(session.scalars(select(ProcessingJob.id)).all()) == 3
        assert len(session.scalars(select(AuditEvent).where(AuditEvent.action == "enrolment.import")).all()) == 2


@pytest.mark.parametrize("name", ["../x.jpg", "photos/../../x.jpg", "/etc/x.jpg", "C:\\x.jpg", "..\\x.jpg"])
def test_archive_entry_leaving_the_archive_refuses_the_whole_upload(env, tmp_path, fixtures_dir, school, name):
    db, store = env
    school_id, _, actor, records, _ = school
    photo = (fixtures_dir / "london" / "001_neutral.jpg").read_bytes()
    data = build_zip(tmp_path / "evil.zip", {f"{records[0][1]}.jpg": photo, name: photo})
    with db.session() as session:
        with pytest.raises(InvalidInput) as refused:
            enrolment.import_enrolment_photos(session, actor, school_id, data, store)
    assert "指向压缩包之外" in refused.value.message_zh
    with db.session() as session:
        assert session.scalar(select(RosterRecord.id).where(RosterRecord.enrolment_photo_sha.is_not(None))) is None
        assert session.scalar(select(ProcessingJob.id)) is None
    assert not (tmp_path / "x.jpg").exists()


def test_malformed_zip_is_a_clear_error(env, tmp_path, school):
    db, store = env
    school_id, _, actor, _, _ = school
    good = build_zip(tmp_path / "ok.zip", {"a.jpg": b"\xff\xd8" + b"x" * 5000})
    for broken in (b"this is not a zip", good[: len(good) // 2], b""):
        with db.session() as session:
            with pytest.raises(InvalidInput) as refused:
                enrolment.import_enrolment_photos(session, actor, school_id, broken, store)
        assert "ZIP" in refused.value.message_zh


def test_zip_bomb_is_refused_before_it_is_unpacked(env, tmp_path, school):
    db, store = env
    school_id, _, actor, records, _ = school
    data = build_zip(tmp_path / "bomb.zip", {f"{records[0][1]}.jpg": b"\0" * (30 * 1024 * 1024)})
    assert len(data) < 100_000
    with db.session() as session:
        with pytest.raises(InvalidInput) as refused:
            enrolment.import_enrolment_photos(session, actor, school_id, data, store)
    assert "过大" in refused.value.message_zh


def test_lying_header_is_caught_while_reading(tmp_path, monkeypatch):
    """A header that understates the size is stopped at the limit, not trusted."""
    monkeypatch.setattr(enrolment, "MAX_PHOTO_BYTES", 1000)
    data = build_zip(tmp_path / "liar.zip", {"a.jpg": bytes(range(256)) * 8}, zipfile.ZIP_STORED)
    archive = enrolment.open_archive(data)
    info = archive.infolist()[0]
    info.file_size = 10
    with pytest.raises(InvalidInput):
        enrolment.read_member(archive, info)


def test_registrar_cannot_upload_to_another_school(env, tmp_path, fixtures_dir, school):
    db, store = env
    _, other_id, actor, _, stranger_number = school
    data = build_zip(tmp_path / "p.zip", {f"{stranger_number}.jpg": (fixtures_dir / "london" / "001_neutral.jpg").read_bytes()})
    with db.session() as session:
        with pytest.raises(AccessDenied):
            enrolment.import_enrolment_photos(session, actor, other_id, data, store)
        with pytest.raises(AccessDenied):
            enrolment.photo_problems(session, actor, other_id)
    with db.session() as session:
        assert session.scalar(select(RosterRecord.id).where(RosterRecord.enrolment_photo_sha.is_not(None))) is None


def test_archive_without_photos_is_refused(env, tmp_path, school):
    db, store = env
    school_id, _, actor, _, _ = school
    data = build_zip(tmp_path / "empty.zip", {"folder/": b""})
    with db.session() as session:
        with pytest.raises(InvalidInput):
            enrolment.import_enrolment_photos(session, actor, school_id, io.BytesIO(data), store)
