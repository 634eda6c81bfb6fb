"""Printed photos: print runs from approved photos, grouped by destination, with shipping lists and
packing slips, each student printed once unless reprinted with a reason; real portraits."""

from __future__ import annotations

import io
import threading
import zipfile

import pytest
from openpyxl import load_workbook
from PIL import Image
from sqlalchemy import select

from core.domain.enums import MailingMode, Role
from core.errors import AccessDenied, Conflict, InvalidInput
from core.imaging.print_sheet import PaperSize, PhotoSize
from core.models import AccountLink, AuditEvent, CollectionTask, PrintRecord, School
from core.services import printing
from tests import factories as f
from tests.core.services import registrar_world as w

NAMES = ("丁白云", "张三", "李四")


def world(session, store, fixtures_dir, *, mailing=MailingMode.TO_SCHOOL, size=PhotoSize.ONE_INCH, copies=4):
    school = f.make_school(session)
    other = f.make_school(session, code="10487", name="华中科技大学")
    task = f.make_task(session, school, mailing_mode=mailing, default_address="武汉市珞珈山路1号 学籍科")
    admin = f.actor_of(f.make_staff(session, Role.ADMIN))
    if size is not None:
        printing.set_options(session, admin, task.id, size, PaperSize.FIVE_INCH, copies)
    registrar = f.actor_of(f.make_staff(session, Role.REGISTRAR, "reg.whu", school=school))
    stranger = f.actor_of(f.make_staff(session, Role.REGISTRAR, "reg.hust", school=other))
    records = [f.make_record(session, school, n + 1, name=name) for n, name in enumerate(NAMES)]
    for record in records:
        w.approved_photo(session, store, task, record, fixtures_dir)
    return task, admin, registrar, stranger, records


def test_the_site_run_prints_every_approved_student_once(env, fixtures_dir, tmp_path):
    db, store = env
    with db.session() as session:
        task, _, registrar, _, records = world(session, store, fixtures_dir)
        plan = printing.plan(session, registrar, task.id)
        assert [d.address for d in plan.destinations] == ["武汉市珞珈山路1号 学籍科"]
        assert plan.students == 3 and plan.per_sheet == 9 and plan.sheets == 2  # 3 students × 4 copies
        run = printing.build_run(session, registrar, task.id, store, tmp_path / "prints")
        assert run.path.parent == tmp_path / "prints" and run.path.name == f"{run.number}.zip"
        assert (run.students, run.sheets, run.destinations) == (3, 2, 1)
        with zipfile.ZipFile(run.path) as archive:
            names = sorted(archive.namelist())
            assert names == sorted(f"{run.number}/001/{n}" for n in ("照片印张.pdf", "发货清单.xlsx", "装箱单.xlsx"))
            pdf = archive.read(f"{run.number}/001/照片印张.pdf")
            shipping = load_workbook(io.BytesIO(archive.read(f"{run.number}/001/发货清单.xlsx"))).active
            slip = load_workbook(io.BytesIO(archive.read(f"{run.number}/001/装箱单.xlsx"))).active
        assert pdf.startswith(b"%PDF") and pdf.count(b"/MediaBox") == 2
        rows = [[c.value for c in row] for row in shipping.iter_rows()]
        assert rows[0][:4] == ["序号", "姓名", "学号", "证件号后4位"]
        assert [r[1] for r in rows[1:]] == list(NAMES) and [r[3] for r in rows[1:]] == [r.id_last4 for r in records]
        assert not any(r.id_number in str(rows) for r in records)
        slip_rows = {r[0].value: r[1].value for r in slip.iter_rows(min_row=2)}
        assert slip_rows["收件地址"] == "武汉市珞珈山路1号 学籍科" and slip_rows["照片张数"] == 12
        assert slip_rows["印张数"] == 2

        with pytest.raises(Conflict):
            printing.build_run(session, registrar, task.id, store, tmp_path / "prints")
        again = printing.plan(session, registrar, task.id)
        assert again.students == 0 and len(again.printed) == 3
        assert session.scalars(select(PrintRecord)).all().__len__() == 3
        event = session.scalars(select(AuditEvent).where(AuditEvent.action == "printing.run")).one()
        assert event.detail["run"] == run.number and event.detail["students"] == 3


def test_a_reprint_needs_a_reason_and_prints_only_the_named_students(env, fixtures_dir, tmp_path):
    db, store = env
    with db.session() as session:
        task, _, registrar, _, records = world(session, store, fixtures_dir)
        printing.build_run(session, registrar, task.id, store, tmp_path)
        with pytest.raises(InvalidInput):
            printing.build_run(session, registrar, task.id, store, tmp_path, reprint_ids=[records[1].id], reason=" ")
        newcomer = f.make_record(session, session.get(School, task.school_id), 9, name="王五")
        with pytest.raises(InvalidInput):
            printing.build_run(session, registrar, task.id, store, tmp_path, reprint_ids=[newcomer.id], reason="x")
        run = printing.build_run(session, registrar, task.id, store, tmp_path, fmt="jpeg",
                                 reprint_ids=[records[1].id], reason="照片在邮寄中损坏")
        assert run.record_ids == (records[1].id,) and run.sheets == 1
        with zipfile.ZipFile(run.path) as archive, \
                Image.open(io.BytesIO(archive.read(f"{run.number}/001/照片印张-01.jpg"))) as sheet:
            assert sheet.format == "JPEG" and sorted(sheet.size) == [1051, 1500]
            assert tuple(round(v) for v in sheet.info["dpi"]) == (300, 300)
        reprinted = session.scalars(select(PrintRecord).where(PrintRecord.run_number == run.number)).one()
        assert reprinted.reprint_reason == "照片在邮寄中损坏"
        event = session.scalars(select(AuditEvent).where(AuditEvent.action == "printing.reprint")).one()
        assert event.detail["reason"] == "照片在邮寄中损坏" and event.detail["roster_record_ids"] == [records[1].id]


def test_mailing_to_students_groups_by_address_and_holds_those_without_one(env, fixtures_dir, tmp_path):
    db, store = env
    with db.session() as session:
        task, _, registrar, _, records = world(session, store, fixtures_dir, copies=1)
        # The third student linked before the task began mailing to students, so gave no address.
        addresses = ["湖北省武汉市洪山区 A 栋", "湖北省武汉市洪山区 A 栋", ""]
        for record, address in zip(records, addresses, strict=True):
            student = f.make_linked_student(session, task, record)
            session.get(AccountLink, student.link.id).mailing_address = address
        session.get(CollectionTask, task.id).mailing_mode = MailingMode.TO_STUDENT
        session.flush()
        plan = printing.plan(session, registrar, task.id)
        assert [(d.address, [s.name for s in d.students]) for d in plan.destinations] == [
            ("湖北省武汉市洪山区 A 栋", ["丁白云", "张三"])]
        assert [(s.name, why) for s, why in plan.held] == [("李四", printing.NO_ADDRESS_ZH)]
        run = printing.build_run(session, registrar, task.id, store, tmp_path)
        assert run.students == 2
        assert printing.plan(session, registrar, task.id).held[0][0].name == "李四"


def test_preview_shows_sheets_and_records_nothing(env, fixtures_dir):
    db, store = env
    with db.session() as session:
        task, _, registrar, _, _ = world(session, store, fixtures_dir)
        previews = printing.preview(session, registrar, task.id, store)
        assert [(p.index, p.of) for p in previews] == [(1, 2), (2, 2)]
        with Image.open(io.BytesIO(previews[0].png)) as picture:
            assert picture.format == "PNG" and picture.size[0] <= 900
        assert session.scalar(select(PrintRecord.id)) is None


def test_refusals(env, fixtures_dir, tmp_path):
    db, store = env
    with db.session() as session:
        task, admin, registrar, stranger, _ = world(session, store, fixtures_dir)
        with pytest.raises(AccessDenied):
            printing.plan(session, stranger, task.id)
        with pytest.raises(AccessDenied):
            printing.build_run(session, stranger, task.id, store, tmp_path / "prints")
        with pytest.raises(AccessDenied):
            printing.set_options(session, registrar, task.id, PhotoSize.TWO_INCH)
        with pytest.raises(InvalidInput):
            printing.set_options(session, admin, task.id, PhotoSize.TWO_INCH, PaperSize.FIVE_INCH, 5)  # 4 per sheet
        with pytest.raises(InvalidInput):
            printing.build_run(session, registrar, task.id, store, tmp_path / "prints", fmt="tiff")
        printing.set_options(session, admin, task.id, None)
        with pytest.raises(Conflict):
            printing.plan(session, registrar, task.id)
        assert not (tmp_path / "prints").exists()


def test_a_run_that_fails_half_way_leaves_no_file_and_prints_nobody(env, fixtures_dir, tmp_path, monkeypatch):
    """Killed or failing while the sheets are written: no package, no half-written file, no print
    record; the same students are printed by the next run."""
    db, store = env
    with db.session() as session:
        task, _, registrar, _, _ = world(session, store, fixtures_dir)
        task_id = task.id

    def disk_full(out, entries):
        out.write(b"PK\x03\x04 half an archive")
        raise OSError("disk full")

    monkeypatch.setattr(printing, "_write_zip", disk_full)
    with pytest.raises(OSError), db.session() as session:
        printing.build_run(session, registrar, task_id, store, tmp_path / "prints")
    assert list((tmp_path / "prints").iterdir()) == []
    with db.session() as session:
        assert session.scalar(select(PrintRecord.id)) is None
    monkeypatch.undo()
    with db.session() as session:
        run = printing.build_run(session, registrar, task_id, store, tmp_path / "prints")
        assert run.students == 3
    assert [p.name for p in (tmp_path / "prints").iterdir()] == [run.path.name]


def test_registrars_building_at_once_print_each_student_once(env, fixtures_dir, tmp_path):
    db, store = env
    with db.session() as session:
        task, admin, registrar, _, _ = world(session, store, fixtures_dir)
        task_id = task.id
    callers = [registrar, admin, registrar]
    barrier = threading.Barrier(len(callers))
    outcomes: list[str] = []
    lock = threading.Lock()

    def build(actor) -> None:
        barrier.wait()
        try:
            with db.session() as session:
                printing.build_run(session, actor, task_id, store, tmp_path / "prints")
            result = "built"
        except Conflict:
            result = "nothing left"
        with lock:
            outcomes.append(result)

    threads = [threading.Thread(target=build, args=(actor,)) for actor in callers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert sorted(outcomes) == ["built", "nothing left", "nothing left"]
    with db.session() as session:
        records = session.scalars(select(PrintRecord)).all()
        assert sorted(r.roster_record_id for r in records) == sorted({r.roster_record_id for r in records})
        assert len(records) == 3


def test_a_long_run_is_split_into_pdfs_of_a_bounded_number_of_sheets(env, fixtures_dir, tmp_path, monkeypatch):
    db, store = env
    monkeypatch.setattr(printing, "PDF_SHEETS_PER_FILE", 1)
    with db.session() as session:
        task, _, registrar, _, _ = world(session, store, fixtures_dir)
        run = printing.build_run(session, registrar, task.id, store, tmp_path)
    with zipfile.ZipFile(run.path) as archive:
        pdfs = sorted(n.rsplit("/", 1)[1] for n in archive.namelist() if n.endswith(".pdf"))
        assert pdfs == ["照片印张-01.pdf", "照片印张-02.pdf"]
        assert all(archive.read(f"{run.number}/001/{p}").count(b"/MediaBox") == 1 for p in pdfs)
        slip = load_workbook(io.BytesIO(archive.read(f"{run.number}/001/装箱单.xlsx"))).active
    assert {r[0].value: r[1].value for r in slip.iter_rows(min_row=2)}["打印文件"] == "照片印张-01.pdf、照片印张-02.pdf"
