"""CHSI batches end to end on the real pipeline: approve, build, export, read the ZIP back, import
a result file with two failures, and find those two back in the registrar's list."""

from __future__ import annotations

import csv
import hashlib
import io
import threading
import zipfile

import pytest
from openpyxl import Workbook
from PIL import Image
from sqlalchemy import select

from core.domain.enums import BatchItemResult, BatchStatus, EducationCategory, Role, SubmissionState
from core.errors import AccessDenied, Conflict, InvalidInput
from core.models import AuditEvent, BatchItem, Notification, Submission, UploadBatch
from core.services import batches, chase
from core.services.chase import ChaseReason
from tests import factories as f
from tests.core.services import registrar_world as w

PHOTOS = ("001_neutral.jpg", "003_neutral.jpg", "005_neutral.jpg", "007_neutral.jpg", "009_neutral.jpg")


@pytest.fixture
def approved(env, fixtures_dir):
    """Five approved photos of school A's task; the fifth student shot on a temporary code."""
    db, store = env
    with db.session() as session:
        a = f.make_school(session, "10486", "武汉大学")
        b = f.make_school(session, "10487", "华中科技大学")
        task = f.make_task(session, a)
        f.make_task(session, b)
        reviewer = f.actor_of(f.make_staff(session, Role.REVIEWER, "li.reviewer"))
        registrar = f.actor_of(f.make_staff(session, Role.REGISTRAR, "reg.whu", school=a))
        stranger = f.actor_of(f.make_staff(session, Role.REGISTRAR, "reg.hust", school=b))
        records = [f.make_record(session, a, i, name=n) for i, n in enumerate(["丁白云", "张三", "李四", "王五", "赵六"])]
        students = [w.linked_with_code(session, task, r) for r in records[:4]]
        students.append(f.make_linked_student(session, task, records[4]))  # temporary shooting code
        people = [(s.actor, s.link.id) for s in students]
        ids = [r.id_number for r in records]
        task_id = task.id
    submissions = [w.approved_through_pipeline(db, store, reviewer, actor, link_id, fixtures_dir / "london" / photo)
                   for (actor, link_id), photo in zip(people, PHOTOS, strict=True)]
    return dict(db=db, store=store, task=task_id, registrar=registrar, stranger=stranger, ids=ids,
                submissions=submissions)


def result_xlsx(rows: list[tuple[str, str, str]]) -> bytes:
    book = Workbook()
    sheet = book.active
    sheet.append(["照片文件名", "上传结果", "失败原因"])
    for row in rows:
        sheet.append(list(row))
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def test_batch_round_trip(approved, tmp_path):
    db, store, registrar, ids = approved["db"], approved["store"], approved["registrar"], approved["ids"]
    with db.session() as session:
        found = batches.candidates(session, registrar, approved["task"], store)
    assert len(found.ready) == 4
    [held] = found.held
    assert held.name == "赵六" and "临时拍摄码" in held.hold_reason

    with db.session() as session:
        batch = batches.build_batch(session, registrar, approved["task"], store)
        batch_id, number = batch.id, batch.number
    assert number.startswith("10486-")
    assert [w.state_of(db, s) for s in approved["submissions"]] == ["in_batch"] * 4 + ["approved"]

    first = io.BytesIO()
    with db.session() as session:
        sha = batches.write_package(session, registrar, batch_id, store, first)
    package = first.getvalue()
    assert hashlib.sha256(package).hexdigest() == sha
    with zipfile.ZipFile(io.BytesIO(package)) as archive:
        *names, manifest = archive.namelist()
        assert names == sorted(f"{i}.jpg" for i in ids[:4])
        assert manifest.endswith("-清单.csv")  # the package carries its manifest, after the photos
        with db.session() as session:
            items = {i.file_name: i for i in session.scalars(select(BatchItem).where(BatchItem.batch_id == batch_id))}
            f.keep(session, *items.values())
        for name in names:
            data = archive.read(name)
            assert hashlib.sha256(data).hexdigest() == items[name].sha256
            assert archive.getinfo(name).file_size == len(data) == store.path_of(items[name].sha256).stat().st_size
            with Image.open(io.BytesIO(data)) as photo:
                assert (photo.format, photo.size) == ("JPEG", (480, 640))

    again = tmp_path / "again.zip"  # a seekable file this time: still the same bytes
    with db.session() as session, again.open("wb") as out:
        assert batches.write_package(session, registrar, batch_id, store, out) == sha
    assert again.read_bytes() == package
    with db.session() as session:
        exported = session.get(UploadBatch, batch_id)
        assert exported.status is BatchStatus.EXPORTED and exported.package_sha256 == sha
        item_id = session.scalars(select(BatchItem.id).where(BatchItem.batch_id == batch_id)).first()
        with pytest.raises(Conflict):
            batches.remove_item(session, registrar, item_id)

    with db.session() as session:
        manifest_csv = batches.manifest_file(session, registrar, batch_id, "csv")
        manifest_xlsx = batches.manifest_file(session, registrar, batch_id, "xlsx")
    with db.session() as session:
        assert batches.manifest_file(session, registrar, batch_id, "xlsx") == manifest_xlsx
    lines = list(csv.reader(io.StringIO(manifest_csv.decode("utf-8-sig"))))
    assert lines[0] == ["姓名", "学号", "证件号码", "文件名", "SHA-256"]
    assert {(r[2], r[3], r[4]) for r in lines[1:]} == {(n[:-4], n, items[n].sha256) for n in names}

    failing = sorted(ids[:4])[:2]
    succeeding = sorted(ids[:4])[2:]
    result = result_xlsx([(f"{failing[0]}.jpg", "失败", "照片背景不合格"), (f"{failing[1]}.jpg", "上传失败", ""),
                          *[(f"{i}.jpg", "成功", "") for i in succeeding]])
    with db.session() as session:
        report = batches.import_result(session, registrar, batch_id, result, "result.xlsx")
    assert (report.applied, report.on_chsi, report.failed, report.still_pending) == (True, 2, 2, 0)
    with db.session() as session:
        done = session.get(UploadBatch, batch_id)
        assert done.status is BatchStatus.RESULT_IMPORTED
        states = {r.id_number: s.state for s, r in ((s, s.roster_record) for s in session.scalars(select(Submission)))}
        assert {states[i] for i in failing} == {SubmissionState.UPLOAD_FAILED}
        assert {states[i] for i in succeeding} == {SubmissionState.ON_CHSI}
        told = session.scalars(select(Notification).where(Notification.kind == "on_chsi")).all()
        assert len(told) == 2
        back = batches.candidates(session, registrar, approved["task"], store)
        chased = chase.chase_list(session, registrar, approved["task"],
                                  chase.ChaseFilter(reasons=(ChaseReason.UPLOAD_FAILED,)))
    failed_back = {c.id_last4: c.failure_reason for c in back.ready if c.state is SubmissionState.UPLOAD_FAILED}
    assert failed_back == {failing[0][-4:]: "照片背景不合格", failing[1][-4:]: "学信网未给出原因"}
    assert {e.id_last4: e.detail for e in chased} == failed_back

    with db.session() as session:  # the same result file again changes nothing
        repeat = batches.import_result(session, registrar, batch_id, result, "result.xlsx")
    assert (repeat.unchanged, repeat.on_chsi, repeat.failed) == (4, 0, 0)

    with db.session() as session:  # the failed photos go into the next batch
        retry = batches.build_batch(session, registrar, approved["task"], store)
        assert sorted(i.file_name for i in batches.items_of(session, registrar, retry.id)) == sorted(f"{i}.jpg" for i in failing)
        actions = session.scalars(select(AuditEvent.action).where(AuditEvent.action.like("batch.%"))).all()
    assert actions.count("batch.export") == 2 and actions.count("batch.build") == 2
    assert actions.count("batch.import_result") == 2 and actions.count("batch.manifest") == 3


def test_result_file_with_an_unknown_row_changes_nothing(approved):
    db, store, registrar, ids = approved["db"], approved["store"], approved["registrar"], approved["ids"]
    with db.session() as session:
        batch_id = batches.build_batch(session, registrar, approved["task"], store).id
        with pytest.raises(Conflict):  # not exported yet
            batches.import_result(session, registrar, batch_id, result_xlsx([]), "r.xlsx")
        batches.write_package(session, registrar, batch_id, store, io.BytesIO())
    bad = "文件名,结果\n" + f"{ids[0]}.jpg,成功\n" + f"{f.id_number(77)}.jpg,失败\n" + f"{ids[1]}.jpg,也许\n"
    with db.session() as session:
        report = batches.import_result(session, registrar, batch_id, bad.encode("gbk"), "r.csv")
        with pytest.raises(InvalidInput):
            batches.import_result(session, registrar, batch_id, "名字,结论\n甲,成功\n".encode(), "r.csv")
    assert not report.applied and [e.row for e in report.errors] == [3, 4]
    assert f.id_number(77)[:14] not in report.errors[0].message_zh
    with db.session() as session:
        assert {i.result for i in session.scalars(select(BatchItem))} == {BatchItemResult.PENDING}
        assert session.scalar(select(Notification.id).where(Notification.kind == "on_chsi")) is None


def test_draft_item_can_be_removed_and_is_approved_again(approved):
    db, store, registrar = approved["db"], approved["store"], approved["registrar"]
    with db.session() as session:
        batch = batches.build_batch(session, registrar, approved["task"], store)
        item = batches.items_of(session, registrar, batch.id)[0]
        item_id, submission_id, batch_id = item.id, item.submission_id, batch.id
        batches.remove_item(session, registrar, item_id)
    assert w.state_of(db, submission_id) == "approved"
    with db.session() as session:
        assert len(batches.items_of(session, registrar, batch_id)) == 3


def test_registrar_of_another_school_can_neither_see_nor_export(approved):
    db, store, registrar, stranger = approved["db"], approved["store"], approved["registrar"], approved["stranger"]
    with db.session() as session:
        batch_id = batches.build_batch(session, registrar, approved["task"], store).id
    out = io.BytesIO()
    with db.session() as session:
        attempts = [
            lambda: batches.candidates(session, stranger, approved["task"], store),
            lambda: batches.build_batch(session, stranger, approved["task"], store),
            lambda: batches.get_batch(session, stranger, batch_id),
            lambda: batches.write_package(session, stranger, batch_id, store, out),
            lambda: batches.manifest_file(session, stranger, batch_id, "csv"),
            lambda: batches.import_result(session, stranger, batch_id, result_xlsx([]), "r.xlsx"),
            lambda: batches.list_batches(session, stranger, task_id=approved["task"]),
        ]
        for attempt in attempts:
            with pytest.raises(AccessDenied):
                attempt()
        assert batches.list_batches(session, stranger) == []
    assert out.getvalue() == b""
    with db.session() as session:
        assert session.get(UploadBatch, batch_id).status is BatchStatus.DRAFT
        assert session.scalar(select(AuditEvent.id).where(AuditEvent.action == "batch.export")) is None


def test_two_batches_of_one_school_built_at_once_get_the_next_two_numbers(env, fixtures_dir):
    """Two registrars of one school build batches of two tasks at the same moment: the second waits
    for the first to commit and takes the next number, rather than the same one (and an error)."""
    db, store = env
    with db.session() as session:
        school = f.make_school(session, "10486", "武汉大学")
        registrar = f.actor_of(f.make_staff(session, Role.REGISTRAR, "reg.whu", school=school))
        task_ids = []
        for n, category in enumerate((EducationCategory.REGULAR, EducationCategory.GRADUATE), start=1):
            task = f.make_task(session, school, category=category, title=f"任务{n}")
            w.approved_photo(session, store, task, f.make_record(session, school, n, category=category), fixtures_dir)
            task_ids.append(task.id)
    numbers: dict[str, str] = {}

    def second() -> None:
        with db.session() as session:
            numbers["second"] = batches.build_batch(session, registrar, task_ids[1], store).number

    with db.session() as session:
        numbers["first"] = batches.build_batch(session, registrar, task_ids[0], store).number
        other = threading.Thread(target=second)
        other.start()
        other.join(timeout=1.0)
        assert other.is_alive(), "the second build must wait for the first one's transaction"
    other.join(timeout=60)
    assert numbers["first"].endswith("-001") and numbers.get("second") == numbers["first"][:-3] + "002"
