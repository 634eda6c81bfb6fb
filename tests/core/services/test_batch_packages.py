"""CHSI packages and result files at their edges (issue 13, finding 6): a photo missing or damaged
in the store, where packages are written and how long they stay, and result files that list a
photo twice or have no rows. Each case changes nothing it should not."""

from __future__ import annotations

import io
import os
import tempfile
import zipfile
from datetime import timedelta

import pytest
from sqlalchemy import select

from core.domain.enums import BatchItemResult, BatchStatus, Role, SubmissionState
from core.errors import InvalidInput, PhotosUnavailable
from core.models import AuditEvent, BatchItem, Notification, Submission, UploadBatch, utcnow
from core.services import batches
from tests import factories as f
from tests.core.services import registrar_world as w

NAMES = ("丁白云", "张三", "李四")


@pytest.fixture
def built(env, fixtures_dir):
    """A draft batch of three approved real photos."""
    db, store = env
    with db.session() as session:
        school = f.make_school(session)
        task = f.make_task(session, school)
        registrar = f.actor_of(f.make_staff(session, Role.REGISTRAR, "reg.whu", school=school))
        records = [f.make_record(session, school, n + 1, name=name) for n, name in enumerate(NAMES)]
        for record in records:
            w.approved_photo(session, store, task, record, fixtures_dir)
        batch = batches.build_batch(session, registrar, task.id, store)
        items = {i.name: (i.sha256, i.file_name) for i in batches.items_of(session, registrar, batch.id)}
        return db, store, registrar, batch.id, batch.number, items


def test_export_refuses_a_missing_photo_naming_the_student_and_changes_nothing(built, tmp_path):
    db, store, registrar, batch_id, _number, items = built
    store.path_of(items["张三"][0]).unlink()
    with db.session() as session, pytest.raises(PhotosUnavailable) as refused:
        batches.export_package(session, registrar, batch_id, store, tmp_path / "exports", retention_days=7)
    assert "张三" in refused.value.message_zh and "文件缺失" in refused.value.message_zh
    assert "store verify" in refused.value.message_zh and "张三" in refused.value.message_en
    assert "丁白云" not in refused.value.message_zh  # only the students whose photo is unavailable
    assert list((tmp_path / "exports").iterdir()) == []  # no half-written package left behind
    with db.session() as session:
        batch = session.get(UploadBatch, batch_id)
        assert batch.status is BatchStatus.DRAFT and batch.package_sha256 is None
        assert session.scalar(select(AuditEvent.id).where(AuditEvent.action == "batch.export")) is None


def test_export_refuses_a_damaged_photo_before_writing_a_byte(built):
    db, store, registrar, batch_id, _, items = built
    path = store.path_of(items["李四"][0])
    path.write_bytes(path.read_bytes()[:-100] + b"\0" * 100)  # same size, other bytes
    out = io.BytesIO()
    with db.session() as session, pytest.raises(PhotosUnavailable) as refused:
        batches.write_package(session, registrar, batch_id, store, out)
    assert "李四" in refused.value.message_zh and "校验和不符" in refused.value.message_zh
    assert out.getvalue() == b""


def test_packages_are_written_in_the_data_folder_named_by_batch_never_by_id_number(built, tmp_path, monkeypatch):
    db, store, registrar, batch_id, number, items = built
    system_temp = tmp_path / "system-temp"
    system_temp.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(system_temp))  # anything written to "the temp folder" lands here
    exports = tmp_path / "data" / "exports"
    with db.session() as session:
        path = batches.export_package(session, registrar, batch_id, store, exports, retention_days=7)
    assert path == exports / f"{number}.zip" and path.is_file()
    assert [p.name for p in exports.iterdir()] == [path.name]
    assert oct(exports.stat().st_mode & 0o777) == "0o700" and oct(path.stat().st_mode & 0o777) == "0o600"
    assert list(system_temp.iterdir()) == []
    with zipfile.ZipFile(path) as archive:
        assert sorted(archive.namelist()) == sorted([*(file_name for _, file_name in items.values()),
                                                     f"{number}-清单.csv"])
    ids = [file_name.removesuffix(".jpg") for _, file_name in items.values()]
    assert not any(i in path.name for i in ids)
    with db.session() as session:
        assert session.get(UploadBatch, batch_id).package_sha256 is not None


def test_packages_older_than_the_retention_period_are_deleted_at_the_next_export(built, tmp_path):
    db, store, registrar, batch_id, number, _ = built
    exports = tmp_path / "exports"
    exports.mkdir()
    old, recent, crashed = exports / "10486-20240101-001.zip", exports / "10486-20250101-002.zip", \
        exports / ".10486-20240101-003.zip.partial"
    for path in (old, recent, crashed):
        path.write_bytes(b"PK")
    now = utcnow()
    ten_days_ago = (now - timedelta(days=10)).timestamp()
    for path in (old, crashed):
        os.utime(path, (ten_days_ago, ten_days_ago))
    keep = exports / "README.txt"
    keep.write_text("not a package")
    os.utime(keep, (ten_days_ago, ten_days_ago))
    with db.session() as session:
        batches.export_package(session, registrar, batch_id, store, exports, retention_days=7, now=now)
    assert sorted(p.name for p in exports.iterdir()) == sorted([recent.name, f"{number}.zip", keep.name])


def result_csv(rows: list[tuple[str, str]]) -> bytes:
    return ("文件名,结果,失败原因\n" + "".join(f"{name},{word},\n" for name, word in rows)).encode("utf-8")


@pytest.fixture
def exported(built, tmp_path):
    db, store, registrar, batch_id, _, _items = built
    with db.session() as session:
        batches.export_package(session, registrar, batch_id, store, tmp_path / "exports", retention_days=7)
    return built


def unchanged(db) -> None:
    with db.session() as session:
        assert {i.result for i in session.scalars(select(BatchItem))} == {BatchItemResult.PENDING}
        assert {s.state for s in session.scalars(select(Submission))} == {SubmissionState.IN_BATCH}
        assert session.scalar(select(Notification.id)) is None
        assert session.scalar(select(AuditEvent.id).where(AuditEvent.action == "batch.import_result")) is None
        assert session.scalar(select(UploadBatch)).result_imported_at is None


def test_a_photo_listed_as_both_success_and_failure_is_a_row_error_and_nothing_is_applied(exported):
    db, _, registrar, batch_id, _, items = exported
    names = [file_name for _, file_name in items.values()]
    data = result_csv([(names[0], "成功"), (names[1], "成功"), (names[0], "失败"), (names[2], "成功")])
    with db.session() as session:
        report = batches.import_result(session, registrar, batch_id, data, "结果.csv")
    assert not report.applied and [e.row for e in report.errors] == [4]
    assert "第 2 行为“已上网”" in report.errors[0].message_zh and "此处又为“上网失败”" in report.errors[0].message_zh
    assert names[0].removesuffix(".jpg")[:14] not in report.errors[0].message_zh  # last 4 only
    unchanged(db)


def test_the_same_result_listed_twice_counts_once(exported):
    db, _, registrar, batch_id, _, items = exported
    names = [file_name for _, file_name in items.values()]
    data = result_csv([(names[0], "成功"), (names[0], "上传成功"), (names[1], "成功"), (names[2], "失败")])
    with db.session() as session:
        report = batches.import_result(session, registrar, batch_id, data, "结果.csv")
    assert (report.applied, report.on_chsi, report.failed, report.unchanged) == (True, 2, 1, 0)
    with db.session() as session:
        assert len(session.scalars(select(Notification)).all()) == 2


@pytest.mark.parametrize("data,name", [(b"\xef\xbb\xbf\xe6\x96\x87\xe4\xbb\xb6\xe5\x90\x8d,\xe7\xbb\x93\xe6\x9e\x9c\r\n",
                                        "结果.csv"), ("文件名,结果\n\n,\n".encode("gbk"), "结果.csv")])
def test_a_result_file_with_only_its_header_is_refused_not_recorded_as_applied(exported, data, name):
    db, _, registrar, batch_id, _, _ = exported
    with db.session() as session, pytest.raises(InvalidInput) as refused:
        batches.import_result(session, registrar, batch_id, data, name)
    assert "没有任何结果行" in refused.value.message_zh
    unchanged(db)


def test_the_package_carries_its_manifest_and_counts_its_progress(built):
    db, store, registrar, batch_id, number, items = built
    told: list[tuple[int, int]] = []
    out = io.BytesIO()
    with db.session() as session:
        batches.write_package(session, registrar, batch_id, store, out, progress=lambda done, total: told.append((done, total)))
        downloaded = batches.manifest_file(session, registrar, batch_id, "csv")
    assert told == [(n, len(items)) for n in range(1, len(items) + 1)]
    with zipfile.ZipFile(io.BytesIO(out.getvalue())) as archive:
        names = archive.namelist()
        inside = archive.read(f"{number}-清单.csv")
    assert names[-1] == f"{number}-清单.csv"  # after the photos
    assert inside == downloaded  # the same rows as the manifest download, full ID numbers as the file names
    rows = inside.decode("utf-8-sig").splitlines()
    assert rows[0].startswith("姓名,学号,证件号码,文件名") and len(rows) == len(items) + 1
