"""CHSI upload batches: build from approved photos, export the package, import CHSI's result.

- Build takes a task's approved photos (and those whose CHSI upload failed). A photo taken on a
  temporary shooting code is held back by the state machine until the real collection code is
  linked, and listed with the reason; so is a stored photo that is not a 480×640 JPEG.
- Export first checks every photo of the batch (present, hash matching its name) and refuses,
  naming the students, when one is missing or damaged; then it streams a ZIP of ``<ID number>.jpg``
  files straight from the photo store, one chunk at a time, so a 10 000-photo batch never sits in
  memory. The package is written into the data folder's ``exports/`` (named by the batch number,
  never by an ID number), never the system temp folder; packages older than the retention period
  are deleted at the next export (a batch can always be exported again, byte for byte). Entries are stored (JPEG does not compress),
  in file-name order, with a fixed timestamp, and the archive is always written as a forward-only
  stream: the same batch gives the same bytes every time, and the package's SHA-256 recorded at
  the first export proves it. Once exported a batch cannot change.
- The result file from CHSI marks each item on CHSI (the student is notified) or failed with its
  reason; a failed photo is back in the registrar's list for the next batch. A file with no rows,
  an unknown photo, an unreadable result or one photo listed as both 成功 and 失败 changes nothing.
"""

from __future__ import annotations

import hashlib
import io
import os
import tempfile
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import BinaryIO

from PIL import Image, UnidentifiedImageError
from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from core import export
from core.db import get_or_raise
from core.domain.access import SCHOOL_DATA_ROLES, Actor, allowed, pure, require_role, require_school, school_scope
from core.domain.enums import BatchItemResult, BatchStatus, SubmissionState
from core.domain.identity import normalise_id_number, normalise_text
from core.domain.quotas import local_day
from core.domain.states import Event, transition
from core.errors import (
    Conflict,
    IllegalTransition,
    InvalidInput,
    NotFound,
    PhotosUnavailable,
)
from core.imaging.standard import HEIGHT, WIDTH
from core.models import BatchItem, School, Submission, UploadBatch, utcnow
from core.services import audit, schools
from core.services.notifications import notify
from core.services.roster import read_table
from core.storage.photos import PhotoState, PhotoStore

Progress = Callable[[int, int], None]
"""``(done, total)``: told as long work goes on, for a progress bar with counts."""

BUILDABLE = (SubmissionState.APPROVED, SubmissionState.UPLOAD_FAILED)
ZIP_TIMESTAMP = (1980, 1, 1, 0, 0, 0)
NAMED_IN_REFUSAL = 10
"""Students named in a refusal to export; the rest are counted."""
MANIFEST_HEADER = ("姓名", "学号", "证件号码", "文件名", "SHA-256")
RESULT_KEYS = {"文件名", "照片文件名", "照片名称", "file_name", "filename", "身份证号", "身份证号码", "证件号码", "证件号",
               "id_number"}
RESULT_COLUMNS = {"结果", "上传结果", "状态", "处理结果", "result", "status"}
REASON_COLUMNS = {"失败原因", "原因", "备注", "说明", "reason", "message"}
SUCCESS_WORDS = {"成功", "上传成功", "已上网", "通过", "success", "ok", "1"}
FAILURE_WORDS = {"失败", "上传失败", "未通过", "不通过", "failed", "fail", "error", "0"}


@dataclass(frozen=True)
class Candidate:
    submission_id: int
    roster_record_id: int
    name: str
    student_number: str
    id_last4: str
    state: SubmissionState
    hold_reason: str | None = None
    """Why the photo cannot go into a batch now (temporary shooting code, bad file)."""
    failure_reason: str | None = None
    """CHSI's reason, when an earlier upload of this photo failed."""


@dataclass
class Candidates:
    ready: list[Candidate] = field(default_factory=list)
    held: list[Candidate] = field(default_factory=list)


@dataclass(frozen=True)
class ManifestRow:
    name: str
    student_number: str
    id_number: str
    file_name: str
    sha256: str


@dataclass(frozen=True)
class ResultError:
    row: int
    message_zh: str
    message_en: str


@dataclass
class ResultReport:
    applied: bool = False
    on_chsi: int = 0
    failed: int = 0
    unchanged: int = 0
    still_pending: int = 0
    errors: list[ResultError] = field(default_factory=list)


@dataclass(frozen=True)
class BatchView:
    """A batch as pages show it: plain values, read inside the session, safe after it closes."""

    id: int
    number: str
    school_id: int
    task_id: int
    status: BatchStatus
    created_at: datetime
    exported_at: datetime | None
    package_sha256: str | None

    @classmethod
    def of(cls, batch: UploadBatch) -> BatchView:
        return cls(id=batch.id, number=batch.number, school_id=batch.school_id, task_id=batch.task_id,
                   status=batch.status, created_at=batch.created_at, exported_at=batch.exported_at,
                   package_sha256=batch.package_sha256)


@dataclass(frozen=True)
class BatchItemView:
    """One photo of a batch, with the state of its submission."""

    id: int
    submission_id: int
    name: str
    student_number: str
    file_name: str
    sha256: str
    result: BatchItemResult
    failure_reason: str | None
    submission_state: SubmissionState


@allowed(*SCHOOL_DATA_ROLES)
def get_batch(session: Session, actor: Actor, batch_id: int, *, lock: bool = False) -> UploadBatch:
    require_role(actor, *SCHOOL_DATA_ROLES)
    query = select(UploadBatch).where(UploadBatch.id == batch_id)
    batch = session.scalars(query.with_for_update() if lock else query).first()
    if batch is None:
        raise NotFound("上传批次不存在。", "No such upload batch.")
    require_school(actor, batch.school_id)
    return batch


@allowed(*SCHOOL_DATA_ROLES)
def list_batches(session: Session, actor: Actor, *, task_id: int | None = None) -> list[BatchView]:
    require_role(actor, *SCHOOL_DATA_ROLES)
    query = select(UploadBatch).order_by(UploadBatch.created_at.desc(), UploadBatch.id.desc())
    if task_id is not None:
        query = query.where(UploadBatch.task_id == schools.task_in_scope(session, actor, task_id).id)
    scope = school_scope(actor)
    if scope is not None:
        query = query.where(UploadBatch.school_id == scope)
    return [BatchView.of(batch) for batch in session.scalars(query)]


@allowed(*SCHOOL_DATA_ROLES)
def open_batch(session: Session, actor: Actor, batch_id: int) -> BatchView:
    """One batch for a page (a link to it opens its school and task)."""
    return BatchView.of(get_batch(session, actor, batch_id))


def _hold_reason(submission: Submission, store: PhotoStore) -> str | None:
    try:
        transition(submission.state, Event.ADD_TO_BATCH, on_temporary_code=submission.on_temporary_code)
    except IllegalTransition as refusal:
        return refusal.message_zh
    if submission.standardised_sha is None:
        return "标准化照片文件缺失。"
    try:
        header = store.head(submission.standardised_sha)
    except NotFound:
        return "标准化照片文件缺失。"
    try:
        with Image.open(io.BytesIO(header)) as image:  # the header is enough for format and size
            if image.format != "JPEG" or image.size != (WIDTH, HEIGHT):
                return f"照片不是 {WIDTH}×{HEIGHT} 的 JPEG（{image.format} {image.size[0]}×{image.size[1]}）。"
    except (UnidentifiedImageError, OSError):
        return "照片文件无法读取。"
    return None


def _buildable(session: Session, task_id: int, *, lock: bool = False) -> list[Submission]:
    """The newest approved (or failed-upload) photo of each student of the task."""
    query = (select(Submission).where(Submission.task_id == task_id, Submission.state.in_(BUILDABLE))
             .options(selectinload(Submission.roster_record))
             .order_by(Submission.roster_record_id, Submission.id.desc()))
    newest: dict[int, Submission] = {}
    for submission in session.scalars(query.with_for_update() if lock else query):
        newest.setdefault(submission.roster_record_id, submission)
    return list(newest.values())


@allowed(*SCHOOL_DATA_ROLES)
def candidates(session: Session, actor: Actor, task_id: int, store: PhotoStore) -> Candidates:
    """The registrar's list: photos ready for the next batch, and those held back with why."""
    task = schools.task_in_scope(session, actor, task_id)
    failures = dict(session.execute(
        select(BatchItem.submission_id, BatchItem.failure_reason)
        .join(Submission, BatchItem.submission_id == Submission.id)
        .where(Submission.task_id == task.id, BatchItem.result == BatchItemResult.FAILED)
        .order_by(BatchItem.id)).tuples().all())
    found = Candidates()
    for submission in _buildable(session, task.id):
        record = submission.roster_record
        hold = _hold_reason(submission, store)
        entry = Candidate(submission.id, record.id, record.name, record.student_number, record.id_last4,
                          submission.state, hold, failures.get(submission.id))
        (found.held if hold else found.ready).append(entry)
    found.ready.sort(key=lambda c: c.student_number)
    found.held.sort(key=lambda c: c.student_number)
    return found


def _next_sequence(session: Session, school_id: int) -> int:
    """The school's next batch number. Two registrars building batches of the same school at once
    would both count N and collide on the unique number: the school's row is locked first, so the
    second waits for the first to commit and then counts its batch too (SQLite's writers already
    queue behind BEGIN IMMEDIATE)."""
    session.execute(select(School.id).where(School.id == school_id).with_for_update())
    return 1 + (session.scalar(select(func.count(UploadBatch.id)).where(UploadBatch.school_id == school_id)) or 0)


@allowed(*SCHOOL_DATA_ROLES)
def build_batch(session: Session, actor: Actor, task_id: int, store: PhotoStore,
                *, now: datetime | None = None, progress: Progress | None = None) -> BatchView:
    """``progress(done, total)`` is told as each approved photo is checked."""
    task = schools.task_in_scope(session, actor, task_id)
    moment = now or utcnow()
    chosen: list[Submission] = []
    held = 0
    used_names: set[str] = set()
    buildable = list(_buildable(session, task.id, lock=True))
    for done, submission in enumerate(buildable):
        if progress is not None:
            progress(done, len(buildable))
        file_name = f"{submission.roster_record.id_number.upper()}.jpg"
        if _hold_reason(submission, store) or file_name in used_names:
            held += 1
            continue
        used_names.add(file_name)
        chosen.append(submission)
    if progress is not None:
        progress(len(buildable), len(buildable))
    if not chosen:
        raise InvalidInput("没有可以上传学信网的照片（需审核通过，且不是临时拍摄码）。",
                           "No photos can go to CHSI yet (they must be approved and not on a temporary code).")
    sequence = _next_sequence(session, task.school_id)
    batch = UploadBatch(number=f"{task.school_code}-{local_day(moment):%Y%m%d}-{sequence:03d}", school_id=task.school_id,
                        task_id=task.id, created_by_id=actor.id if actor.is_staff else None, created_at=moment)
    session.add(batch)
    session.flush()
    for submission in chosen:
        record = submission.roster_record
        submission.state = transition(submission.state, Event.ADD_TO_BATCH,
                                      on_temporary_code=submission.on_temporary_code)
        session.add(BatchItem(batch_id=batch.id, submission_id=submission.id, roster_record_id=record.id,
                              file_name=f"{record.id_number.upper()}.jpg", sha256=submission.standardised_sha,
                              name=record.name, student_number=record.student_number))
    session.flush()
    audit.record(session, actor, "batch.build", "upload_batch", batch.id, school_id=task.school_id, task_id=task.id,
                 number=batch.number, items=len(chosen), held=held)
    return BatchView.of(batch)


@allowed(*SCHOOL_DATA_ROLES)
def remove_item(session: Session, actor: Actor, item_id: int) -> None:
    """Takes a photo out of a batch that has not been exported yet; it is approved again."""
    item = get_or_raise(session, BatchItem, item_id, "批次中没有这张照片。", "No such batch item.")
    batch = get_batch(session, actor, item.batch_id, lock=True)
    _require_draft(batch)
    item.submission.state = transition(item.submission.state, Event.REMOVE_FROM_BATCH)
    session.delete(item)
    audit.record(session, actor, "batch.remove_item", "upload_batch", batch.id, school_id=batch.school_id,
                 roster_record_id=item.roster_record_id, submission_id=item.submission_id)
    session.flush()


def _require_draft(batch: UploadBatch) -> None:
    if batch.status is not BatchStatus.DRAFT:
        raise Conflict(f"批次 {batch.number} 已导出，不能再修改。",
                       f"Batch {batch.number} has been exported and can no longer change.")


def _items(session: Session, batch: UploadBatch) -> list[BatchItem]:
    return list(session.scalars(select(BatchItem).where(BatchItem.batch_id == batch.id).order_by(BatchItem.file_name)))


class _ForwardOnly:
    """The archive's sink: counts and hashes bytes, never seeks. zipfile then always writes data
    descriptors, so the bytes do not depend on whether the destination could seek."""

    def __init__(self, out: BinaryIO) -> None:
        self._out = out
        self.position = 0
        self.digest = hashlib.sha256()

    def write(self, data: bytes) -> int:
        self._out.write(data)
        self.digest.update(data)
        self.position += len(data)
        return len(data)

    def tell(self) -> int:
        return self.position

    def flush(self) -> None:
        self._out.flush()


def _unavailable(items: list[BatchItem], store: PhotoStore) -> list[tuple[BatchItem, PhotoState]]:
    return [(item, state) for item in items if (state := store.check(item.sha256)) is not PhotoState.OK]


def _refuse_unavailable(batch: UploadBatch, problems: list[tuple[BatchItem, PhotoState]]) -> PhotosUnavailable:
    named = problems[:NAMED_IN_REFUSAL]
    more_zh = f"等 {len(problems)} 人" if len(problems) > len(named) else ""
    more_en = f" and {len(problems) - len(named)} more" if len(problems) > len(named) else ""
    return PhotosUnavailable(
        f"批次 {batch.number} 无法导出：以下学生的照片在照片库中缺失或已损坏——"
        + "、".join(f"{i.name}（学号 {i.student_number}，{state.label_zh}）" for i, state in named) + more_zh
        + "。请管理员运行 python -m core store verify 检查照片库，从备份恢复这些照片后再导出。",
        f"Batch {batch.number} cannot be exported: photos missing from the photo store or damaged there for "
        + ", ".join(f"{i.name} (student number {i.student_number}, {state.label_en})" for i, state in named) + more_en
        + ". An administrator should run python -m core store verify and restore them from the backup.",
        batch=batch.number, students=[i.student_number for i, _ in problems])


@allowed(*SCHOOL_DATA_ROLES)
def write_package(session: Session, actor: Actor, batch_id: int, store: PhotoStore, out: BinaryIO, *,
                  progress: Progress | None = None) -> str:
    """Streams the batch's ZIP into ``out`` and returns its SHA-256. The first export freezes the
    batch; every later one must reproduce the same bytes. Every photo is checked before the first
    byte is written, so a missing or damaged one refuses the export cleanly. The package carries
    its manifest (``<batch number>-清单.csv``) after the photos, so the file that reaches CHSI
    says what is in it. ``progress(done, total)`` is told after each photo."""
    batch = get_batch(session, actor, batch_id, lock=True)
    items = _items(session, batch)
    if not items:
        raise InvalidInput("批次中没有照片。", "The batch is empty.")
    problems = _unavailable(items, store)
    if problems:
        raise _refuse_unavailable(batch, problems)
    sink = _ForwardOnly(out)
    with zipfile.ZipFile(sink, "w", zipfile.ZIP_STORED) as archive:  # type: ignore[call-overload]  # a write/tell/flush sink is all zipfile uses
        for done, item in enumerate(items, start=1):
            info = _entry(item.file_name)
            info.file_size = store.size(item.sha256)
            with archive.open(info, "w") as entry:
                for chunk in store.iter_chunks(item.sha256):
                    entry.write(chunk)
            if progress is not None:
                progress(done, len(items))
        listed = export.csv_bytes(MANIFEST_HEADER, [(i.name, i.student_number, i.file_name.removesuffix(".jpg"),
                                                     i.file_name, i.sha256) for i in items])
        info = _entry(manifest_name(batch))
        info.file_size = len(listed)
        with archive.open(info, "w") as entry:
            entry.write(listed)
    sha = sink.digest.hexdigest()
    if batch.status is BatchStatus.DRAFT:
        batch.status = BatchStatus.EXPORTED
        batch.exported_at = utcnow()
        batch.package_sha256 = sha
    elif sha != batch.package_sha256:
        raise Conflict("重新导出的压缩包与首次导出不一致，请联系管理员。",
                       "The re-exported package differs from the first export.", batch=batch.number)
    audit.record(session, actor, "batch.export", "upload_batch", batch.id, school_id=batch.school_id,
                 number=batch.number, items=len(items), package_sha256=sha)
    session.flush()
    return sha


def _entry(name: str) -> zipfile.ZipInfo:
    info = zipfile.ZipInfo(name, date_time=ZIP_TIMESTAMP)
    info.create_system = 3
    info.external_attr = 0o100644 << 16
    return info


@pure
def manifest_name(batch: UploadBatch) -> str:
    """The manifest's name inside the package, as the download of it is named."""
    return f"{batch.number}-清单.csv"


@allowed(*SCHOOL_DATA_ROLES)
def export_package(session: Session, actor: Actor, batch_id: int, store: PhotoStore, folder: Path, *,
                   retention_days: int, now: datetime | None = None, progress: Progress | None = None) -> Path:
    """Writes the batch's package as ``<folder>/<batch number>.zip`` and returns its path. The
    folder (the data folder's ``exports/``) is private to the service account; a package is
    written under a dot-name of its own and renamed into place only when complete; packages older than
    ``retention_days`` are deleted first."""
    batch = get_batch(session, actor, batch_id)
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    _prune_packages(folder, older_than=timedelta(days=retention_days), now=now)
    target = folder / f"{batch.number}.zip"
    # A name of its own (mode 0600) in the exports folder: two exports of one batch never share a file.
    handle, name = tempfile.mkstemp(dir=folder, prefix=f".{batch.number}.", suffix=".zip.partial")
    partial = Path(name)
    try:
        with os.fdopen(handle, "wb") as out:
            write_package(session, actor, batch_id, store, out, progress=progress)
        os.replace(partial, target)
    finally:
        partial.unlink(missing_ok=True)
    return target


def _prune_packages(folder: Path, *, older_than: timedelta, now: datetime | None = None) -> list[Path]:
    """Deletes exported packages (and half-written ones) last written before ``now - older_than``."""
    cutoff = (now or utcnow()).timestamp() - older_than.total_seconds()
    removed = []
    for path in folder.iterdir():
        if path.name.endswith((".zip", ".zip.partial")) and path.is_file() and path.stat().st_mtime < cutoff:
            path.unlink(missing_ok=True)
            removed.append(path)
    return removed


@allowed(*SCHOOL_DATA_ROLES)
def manifest(session: Session, actor: Actor, batch_id: int) -> list[ManifestRow]:
    batch = get_batch(session, actor, batch_id)
    return [ManifestRow(i.name, i.student_number, i.file_name.removesuffix(".jpg"), i.file_name, i.sha256)
            for i in _items(session, batch)]


@allowed(*SCHOOL_DATA_ROLES)
def manifest_file(session: Session, actor: Actor, batch_id: int, fmt: str) -> bytes:
    """The manifest as CSV or XLSX, byte-identical for the same batch. It holds full ID numbers
    (the files are named by them), so every download is audited."""
    if fmt not in ("csv", "xlsx"):
        raise InvalidInput("清单格式只能是 CSV 或 XLSX。", "The manifest is CSV or XLSX.")
    rows = manifest(session, actor, batch_id)
    batch = get_batch(session, actor, batch_id)
    audit.record(session, actor, "batch.manifest", "upload_batch", batch.id, school_id=batch.school_id,
                 format=fmt, rows=len(rows))
    table = [(r.name, r.student_number, r.id_number, r.file_name, r.sha256) for r in rows]
    return export.table_bytes(fmt, "上传清单", MANIFEST_HEADER, table, holds_id_numbers=True, stamp=batch.created_at)


@allowed(*SCHOOL_DATA_ROLES)
def import_result(session: Session, actor: Actor, batch_id: int, data: bytes, filename: str,
                  *, now: datetime | None = None) -> ResultReport:
    """Applies CHSI's result file. Any row that cannot be matched or read stops the whole import,
    so a wrong file never marks half a batch."""
    batch = get_batch(session, actor, batch_id, lock=True)
    if batch.status is BatchStatus.DRAFT:
        raise Conflict("批次尚未导出，不能导入上网结果。", "The batch has not been exported yet.")
    headers, table = read_table(data, filename)
    key_col = _column(headers, RESULT_KEYS, "文件名或证件号码", "file name or ID number")
    result_col = _column(headers, RESULT_COLUMNS, "结果", "result")
    if not table:
        raise InvalidInput("结果文件只有表头，没有任何结果行，未做任何修改。",
                           "The result file has a header but no rows; nothing was changed.")
    reason_col = next((i for i, h in enumerate(headers) if h.lower() in REASON_COLUMNS), None)
    items = {i.file_name.removesuffix(".jpg").upper(): i for i in _items(session, batch)}
    report = ResultReport()
    outcomes: list[tuple[BatchItem, BatchItemResult, str]] = []
    listed: dict[str, tuple[int, BatchItemResult]] = {}
    for offset, cells in enumerate(table):
        row = offset + 2
        key = normalise_id_number(_cell(cells, key_col)).removesuffix(".JPG").removesuffix(".JPEG")
        word = normalise_text(_cell(cells, result_col)).lower()
        reason = normalise_text(_cell(cells, reason_col)) if reason_col is not None else ""
        item = items.get(key)
        if item is None:
            report.errors.append(ResultError(row, f"第 {row} 行：文件 …{key[-4:]} 不在本批次中。",
                                             f"Row {row}: file …{key[-4:]} is not in this batch."))
            continue
        if word in SUCCESS_WORDS:
            result = BatchItemResult.ON_CHSI
        elif word in FAILURE_WORDS:
            result = BatchItemResult.FAILED
        else:
            report.errors.append(ResultError(row, f"第 {row} 行：无法识别的结果“{word}”（应为成功或失败）。",
                                             f"Row {row}: unknown result '{word}' (success or failed)."))
            continue
        if key in listed:
            first_row, first = listed[key]
            if first is not result:
                report.errors.append(ResultError(
                    row, f"第 {row} 行：文件 …{key[-4:]} 在第 {first_row} 行为“{_result_zh(first)}”，此处又为“{_result_zh(result)}”，"
                         "请向学信网核实后修改结果文件。",
                    f"Row {row}: file …{key[-4:]} is {first.value} in row {first_row} and {result.value} here; "
                    "check with CHSI and correct the file."))
            continue
        listed[key] = (row, result)
        if item.result is not BatchItemResult.PENDING and item.result is not result:
            report.errors.append(ResultError(row, f"第 {row} 行：该照片已记录为“{_result_zh(item.result)}”，不能改为“{_result_zh(result)}”。",
                                             f"Row {row}: already recorded as {item.result.value}."))
            continue
        outcomes.append((item, result, reason))
    if report.errors:
        return report
    for item, result, reason in outcomes:
        if item.result is result:
            report.unchanged += 1
            continue
        item.result = result
        submission = item.submission
        if result is BatchItemResult.ON_CHSI:
            submission.state = transition(submission.state, Event.MARK_ON_CHSI)
            notify(session, item.roster_record_id, "on_chsi", "照片已上传学信网",
                   "您的学历照片已上传至学信网，可登录学信网查看。", submission_id=submission.id, batch=batch.number)
            report.on_chsi += 1
        else:
            item.failure_reason = reason or "学信网未给出原因"
            submission.state = transition(submission.state, Event.MARK_UPLOAD_FAILED)
            report.failed += 1
    report.applied = True
    report.still_pending = sum(1 for i in items.values() if i.result is BatchItemResult.PENDING)
    batch.result_imported_at = now or utcnow()
    if report.still_pending == 0:
        batch.status = BatchStatus.RESULT_IMPORTED
    audit.record(session, actor, "batch.import_result", "upload_batch", batch.id, school_id=batch.school_id,
                 filename=filename, on_chsi=report.on_chsi, failed=report.failed, pending=report.still_pending)
    session.flush()
    return report


def _column(headers: list[str], names: set[str], label_zh: str, label_en: str) -> int:
    for index, header in enumerate(headers):
        if header.lower() in names:
            return index
    raise InvalidInput(f"结果文件缺少“{label_zh}”列。", f"The result file has no '{label_en}' column.")


def _cell(cells: list[str], index: int | None) -> str:
    return cells[index] if index is not None and index < len(cells) else ""


def _result_zh(result: BatchItemResult) -> str:
    return {"pending": "待上网", "on_chsi": "已上网", "failed": "上网失败"}[result.value]


@allowed(*SCHOOL_DATA_ROLES)
def items_of(session: Session, actor: Actor, batch_id: int) -> list[BatchItemView]:
    rows = session.execute(
        select(BatchItem, Submission.state).join(Submission, Submission.id == BatchItem.submission_id)
        .where(BatchItem.batch_id == get_batch(session, actor, batch_id).id).order_by(BatchItem.file_name))
    return [BatchItemView(id=item.id, submission_id=item.submission_id, name=item.name,
                          student_number=item.student_number, file_name=item.file_name, sha256=item.sha256,
                          result=item.result, failure_reason=item.failure_reason, submission_state=state)
            for item, state in rows]
