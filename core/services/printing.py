"""Printed photos (纸质背胶照片): print sheets, shipping lists and packing slips from approved photos.

- A task includes printed photos when the admin sets their size (1-inch or 2-inch), the paper
  (5-inch or 6-inch) and the copies per student. The registrar of the school, or an admin, builds
  a print run from the approved photos (approved, in a CHSI batch, or on CHSI).
- Photos are grouped by mailing destination: the school site (the task's address) by default, or
  each student's own address when the task mails to students; a student who has not given an
  address is held back and listed, never printed to nowhere.
- Each run is a ZIP in the data folder's ``prints/`` (never the system temp folder): per
  destination, the sheets (PDF at 300 dpi, or 300-dpi JPEG), a shipping list (XLSX, ID numbers
  last 4 only) and a packing slip (XLSX). The sheets can be previewed first; nothing is recorded
  until the run is built.
- Each student's photos are printed once: a print record is written per student and run, and a
  student already printed comes back only in a reprint, which needs a reason. Both are audited.
"""

from __future__ import annotations

import os
import tempfile
import uuid
import zipfile
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from itertools import islice
from pathlib import Path
from typing import BinaryIO

from PIL import Image
from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from core import export
from core.domain.access import SCHOOL_DATA_ROLES, Actor, allowed
from core.domain.enums import MailingMode, Role, SubmissionState
from core.domain.text import REASON, clean_text
from core.errors import Conflict, InvalidInput, NotFound
from core.imaging import print_sheet
from core.imaging.print_sheet import PaperSize, PhotoSize, PrintPhoto
from core.models import AccountLink, CollectionTask, PrintRecord, Submission, utcnow
from core.services import audit
from core.services.schools import TaskView
from core.storage.photos import PhotoStore

PRINTABLE = (SubmissionState.APPROVED, SubmissionState.IN_BATCH, SubmissionState.ON_CHSI,
             SubmissionState.UPLOAD_FAILED)
"""A photo a reviewer approved, wherever it is on its way to CHSI."""
MAX_COPIES = 9
FORMATS = ("pdf", "jpeg")
PDF_SHEETS_PER_FILE = 20
"""Sheets per PDF file: a print shop opens it quickly, and building it holds only these in memory."""
ZIP_TIMESTAMP = (1980, 1, 1, 0, 0, 0)
SHIPPING_HEADER = ("序号", "姓名", "学号", "证件号后4位", "院系", "班级", "收件地址", "照片张数", "印张")
NO_ADDRESS_ZH = "学生未填写邮寄地址"


@allowed(Role.ADMIN)
def set_options(session: Session, actor: Actor, task_id: int, photo_size: PhotoSize | None,
                paper: PaperSize = PaperSize.FIVE_INCH, copies: int = 1) -> TaskView:
    """Whether the task's service includes printed photos, and how they are printed; audited."""
    task = session.get(CollectionTask, task_id)
    if task is None:
        raise NotFound("采集任务不存在。", "No such collection task.")
    per_sheet = print_sheet.layout(paper, photo_size).per_sheet if photo_size else MAX_COPIES
    if not 1 <= copies <= min(MAX_COPIES, per_sheet):
        raise InvalidInput(f"每人照片张数须在 1–{min(MAX_COPIES, per_sheet)} 之间。",
                           f"Copies per student must be 1–{min(MAX_COPIES, per_sheet)}.")
    before = (task.print_photo_size, task.print_paper, task.print_copies)
    task.print_photo_size, task.print_paper, task.print_copies = photo_size, paper, copies
    audit.record(session, actor, "printing.options", "collection_task", task.id, school_id=task.school_id,
                 before=[before[0].value if before[0] else None, before[1].value, before[2]],
                 after=[photo_size.value if photo_size else None, paper.value, copies])
    session.flush()
    return TaskView.of(task)


@dataclass(frozen=True)
class PrintStudent:
    record_id: int
    submission_id: int
    name: str
    student_number: str
    id_last4: str
    department: str
    class_name: str
    photo_sha: str
    printed_times: int
    last_printed_at: datetime | None


@dataclass(frozen=True)
class Destination:
    """Where one parcel goes: the school site, or one student's address."""

    address: str
    students: tuple[PrintStudent, ...]


@dataclass(frozen=True)
class PrintPlan:
    task_title: str
    photo_size: PhotoSize
    paper: PaperSize
    copies: int
    per_sheet: int
    mailing_mode: MailingMode
    destinations: tuple[Destination, ...]
    held: tuple[tuple[PrintStudent, str], ...]
    """Students with an approved photo who cannot be printed, with why."""
    printed: tuple[PrintStudent, ...]
    """Students printed before (a reprint with a reason brings them back)."""
    reprint: bool

    @property
    def students(self) -> int:
        return sum(len(d.students) for d in self.destinations)

    @property
    def sheets(self) -> int:
        return sum(self.sheets_for(d) for d in self.destinations)

    def sheets_for(self, destination: Destination) -> int:
        return -(-len(destination.students) * self.copies // self.per_sheet)


def _printable_task(session: Session, task_id: int, *, lock: bool = False) -> CollectionTask:
    query = select(CollectionTask).where(CollectionTask.id == task_id)
    task = session.scalars(query.with_for_update() if lock else query).first()
    if task is None:
        raise NotFound("采集任务不存在。", "No such collection task.")
    if task.print_photo_size is None:
        raise Conflict("该采集任务的服务不含纸质照片。", "This task's service includes no printed photos.")
    return task


def _site_address(task: CollectionTask) -> str:
    return task.default_address.strip() or f"{task.school.name}（学籍部门）"


def _plan(session: Session, task: CollectionTask, reprint_ids: Sequence[int]) -> PrintPlan:
    printed = {rid: (count, last) for rid, count, last in session.execute(
        select(PrintRecord.roster_record_id, func.count(), func.max(PrintRecord.printed_at))
        .where(PrintRecord.task_id == task.id).group_by(PrintRecord.roster_record_id)).all()}
    newest: dict[int, Submission] = {}
    for submission in session.scalars(
            select(Submission).where(Submission.task_id == task.id, Submission.state.in_(PRINTABLE),
                                     Submission.standardised_sha.is_not(None))
            .options(selectinload(Submission.roster_record))
            .order_by(Submission.roster_record_id, Submission.id.desc())):
        newest.setdefault(submission.roster_record_id, submission)
    addresses: dict[int, str] = {}
    if task.mailing_mode is MailingMode.TO_STUDENT:
        for record_id, address in session.execute(
                select(AccountLink.roster_record_id, AccountLink.mailing_address)
                .where(AccountLink.task_id == task.id).order_by(AccountLink.active, AccountLink.id)).all():
            addresses[record_id] = (address or "").strip() or addresses.get(record_id, "")
    wanted = set(reprint_ids)
    unknown = wanted - {rid for rid in newest if rid in printed}
    if unknown:
        raise InvalidInput("只能重印已打印过、照片已审核通过的学生。",
                           "Only students already printed, with an approved photo, can be reprinted.")
    groups: dict[str, list[PrintStudent]] = {}
    held: list[tuple[PrintStudent, str]] = []
    done: list[PrintStudent] = []
    for record_id, submission in sorted(newest.items(), key=lambda i: i[1].roster_record.student_number):
        record = submission.roster_record
        count, last = printed.get(record_id, (0, None))
        student = PrintStudent(record_id, submission.id, record.name, record.student_number, record.id_last4,
                               record.department, record.class_name, submission.standardised_sha or "",
                               count, last)
        if count and record_id not in wanted:
            done.append(student)
            continue
        if wanted and record_id not in wanted:
            continue
        if task.mailing_mode is MailingMode.TO_STUDENT:
            address = addresses.get(record_id, "")
            if not address:
                held.append((student, NO_ADDRESS_ZH))
                continue
        else:
            address = _site_address(task)
        groups.setdefault(address, []).append(student)
    assert task.print_photo_size is not None
    layout = print_sheet.layout(task.print_paper, task.print_photo_size)
    return PrintPlan(task.title, task.print_photo_size, task.print_paper, task.print_copies, layout.per_sheet,
                     task.mailing_mode, tuple(Destination(a, tuple(s)) for a, s in sorted(groups.items())),
                     tuple(held), tuple(done), bool(wanted))


@allowed(*SCHOOL_DATA_ROLES)
def plan(session: Session, actor: Actor, task_id: int, *, reprint_ids: Sequence[int] = ()) -> PrintPlan:
    """Who the next run would print, grouped by destination; with ``reprint_ids``, only those
    already-printed students."""
    return _plan(session, _printable_task(session, task_id), reprint_ids)


def _sheets(plan_: PrintPlan, destination: Destination, store: PhotoStore) -> Iterator[Image.Image]:
    """The destination's sheets one at a time, each reading only its own photos, so a run for a
    whole school never holds more than one sheet's pictures in memory."""
    layout = print_sheet.layout(plan_.paper, plan_.photo_size)
    slots = [s for s in destination.students for _ in range(plan_.copies)]
    for start in range(0, len(slots), layout.per_sheet):
        photos = [PrintPhoto(store.get(s.photo_sha), s.student_number) for s in slots[start:start + layout.per_sheet]]
        yield print_sheet.render_sheet(layout, photos)


@dataclass(frozen=True)
class SheetPreview:
    destination: str
    index: int
    of: int
    png: bytes


@allowed(*SCHOOL_DATA_ROLES)
def preview(session: Session, actor: Actor, task_id: int, store: PhotoStore, *, reprint_ids: Sequence[int] = (),
            limit: int = 6) -> list[SheetPreview]:
    """Pictures of the first ``limit`` sheets of the next run, for the screen; records nothing."""
    plan_ = _plan(session, _printable_task(session, task_id), reprint_ids)
    shown: list[SheetPreview] = []
    for destination in plan_.destinations:
        for index, sheet in enumerate(_sheets(plan_, destination, store), start=1):
            if len(shown) >= limit:
                return shown
            shown.append(SheetPreview(destination.address, index, plan_.sheets_for(destination),
                                      print_sheet.preview_png(sheet)))
    return shown


@dataclass(frozen=True)
class PrintRun:
    number: str
    path: Path
    students: int
    sheets: int
    destinations: int
    record_ids: tuple[int, ...] = field(default=())


def _shipping_list(plan_: PrintPlan, destination: Destination, sheet_file: str) -> bytes:
    rows = [(n, s.name, s.student_number, s.id_last4, s.department, s.class_name, destination.address,
             plan_.copies, sheet_file) for n, s in enumerate(destination.students, start=1)]
    return export.xlsx_bytes([export.Sheet("发货清单", SHIPPING_HEADER, rows)])


def _packing_slip(plan_: PrintPlan, destination: Destination, run: str, school: str, sheets: int,
                  files: str, actor: Actor, when: datetime) -> bytes:
    numbers = "、".join(s.student_number for s in destination.students)
    rows = [
        ("制作批次", run), ("采集任务", plan_.task_title), ("学校", school), ("收件地址", destination.address),
        ("学生人数", len(destination.students)), ("照片张数", len(destination.students) * plan_.copies),
        ("照片规格", plan_.photo_size.label_zh), ("相纸", plan_.paper.label_zh), ("印张数", sheets),
        ("打印文件", files), ("学号", numbers), ("重印", "是" if plan_.reprint else "否"),
        ("制作人", actor.name), ("制作时间", when.strftime("%Y-%m-%d %H:%M UTC")),
        ("装箱核对（签字）", ""), ("收件确认（签字）", ""),
    ]
    return export.xlsx_bytes([export.Sheet("装箱单", ("项目", "内容"), rows)], stamp=when)


def _sheet_files(plan_: PrintPlan, destination: Destination, fmt: str) -> list[str]:
    """The sheet files' names: one JPEG per sheet, or PDFs of ``PDF_SHEETS_PER_FILE`` sheets."""
    count = plan_.sheets_for(destination)
    if fmt == "jpeg":
        return [f"照片印张-{i:02d}.jpg" for i in range(1, count + 1)]
    files = -(-count // PDF_SHEETS_PER_FILE)
    return ["照片印张.pdf"] if files == 1 else [f"照片印张-{i:02d}.pdf" for i in range(1, files + 1)]


def _sheet_entries(plan_: PrintPlan, destination: Destination, fmt: str, store: PhotoStore,
                   names: list[str]) -> Iterator[tuple[str, bytes]]:
    """Each sheet file's bytes, rendered when the archive asks for it."""
    sheets = _sheets(plan_, destination, store)
    if fmt == "jpeg":
        for name, sheet in zip(names, sheets, strict=True):
            yield name, print_sheet.sheet_jpeg(sheet)
        return
    for name in names:
        yield name, print_sheet.sheets_pdf(list(islice(sheets, PDF_SHEETS_PER_FILE)))


def _write_zip(out: BinaryIO, entries: Iterable[tuple[str, bytes]]) -> None:
    """Writes each entry as it is produced (never the whole run in memory)."""
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in entries:
            archive.writestr(zipfile.ZipInfo(name, date_time=ZIP_TIMESTAMP), data, compress_type=zipfile.ZIP_DEFLATED)


@allowed(*SCHOOL_DATA_ROLES)
def build_run(session: Session, actor: Actor, task_id: int, store: PhotoStore, folder: Path, *, fmt: str = "pdf",
              reprint_ids: Sequence[int] = (), reason: str = "") -> PrintRun:
    """Builds the next print run into ``<folder>/<run number>.zip`` and records who was printed.

    The task row is locked while the run is planned and recorded, so two registrars building at
    once cannot print the same student twice. A reprint names its students and needs a reason."""
    if fmt not in FORMATS:
        raise InvalidInput("打印文件格式只能是 PDF 或 JPEG。", "The sheets are PDF or JPEG.")
    reason = clean_text(reason, REASON)
    if reprint_ids and not reason:
        raise InvalidInput("重印须填写原因。", "A reprint needs a reason.")
    task = _printable_task(session, task_id, lock=True)
    plan_ = _plan(session, task, reprint_ids)
    if not plan_.destinations:
        raise Conflict("没有需要打印的照片。", "There are no photos to print.")
    when = utcnow()
    number = f"P{when:%Y%m%d%H%M}-{uuid.uuid4().hex[:4].upper()}"
    school = task.school.name

    def entries() -> Iterator[tuple[str, bytes]]:
        for n, destination in enumerate(plan_.destinations, start=1):
            prefix = f"{number}/{n:03d}"
            names = _sheet_files(plan_, destination, fmt)
            for name, data in _sheet_entries(plan_, destination, fmt, store, names):
                yield f"{prefix}/{name}", data
            listed = "、".join(names)
            yield f"{prefix}/发货清单.xlsx", _shipping_list(plan_, destination, listed)
            yield f"{prefix}/装箱单.xlsx", _packing_slip(plan_, destination, number, school,
                                                      plan_.sheets_for(destination), listed, actor, when)

    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    target = folder / f"{number}.zip"
    handle, name = tempfile.mkstemp(dir=folder, prefix=f".{number}.", suffix=".zip.partial")
    partial = Path(name)
    try:
        with os.fdopen(handle, "wb") as out:
            _write_zip(out, entries())
        os.replace(partial, target)
    finally:
        partial.unlink(missing_ok=True)
    records = [PrintRecord(task_id=task.id, roster_record_id=s.record_id, submission_id=s.submission_id,
                           run_number=number, destination=d.address[:255], copies=plan_.copies,
                           reprint_reason=reason or None, printed_by=actor.name[:64], printed_at=when)
               for d in plan_.destinations for s in d.students]
    session.add_all(records)
    audit.record(session, actor, "printing.reprint" if reprint_ids else "printing.run", "collection_task", task.id,
                 school_id=task.school_id, run=number, students=len(records), sheets=plan_.sheets,
                 destinations=len(plan_.destinations), format=fmt, reason=reason or None,
                 roster_record_ids=sorted(r.roster_record_id for r in records) if reprint_ids else None)
    session.flush()
    return PrintRun(number, target, len(records), plan_.sheets, len(plan_.destinations),
                    tuple(r.roster_record_id for r in records))
