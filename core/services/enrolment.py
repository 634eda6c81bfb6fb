"""Enrolment photos (学籍照片) from a ZIP named by student number or ID number.

The archive is untrusted: an entry that tries to leave the archive (``../x.jpg``, ``/etc/x.jpg``,
``C:\\x.jpg``) refuses the whole upload, sizes are bounded both as declared and as actually read (a
zip bomb stops at the limit), and a file that is not a ZIP is a clear error. Nothing is changed
unless the archive as a whole is acceptable. Each matched photo goes to the photo store and a
background job computes its face embedding once; the job records why a photo has no usable face.
"""

from __future__ import annotations

import io
import posixpath
import re
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import PurePosixPath
from typing import BinaryIO

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.db import get_or_raise
from core.domain.access import Actor, allowed, pure, require_role, require_school
from core.domain.enums import Role
from core.domain.identity import normalise_id_number, normalise_text
from core.errors import InvalidInput
from core.models import RosterRecord, School
from core.services import audit, jobs
from core.storage.photos import PhotoStore

PHOTO_SUFFIXES = (".jpg", ".jpeg", ".png", ".bmp", ".webp", ".heic")
MAX_ENTRIES = 60_000
MAX_PHOTO_BYTES = 20 * 1024 * 1024
MAX_TOTAL_BYTES = 8 * 1024 * 1024 * 1024
MAX_RATIO = 200
"""A photo compresses by a few percent at most; a far higher ratio is a zip bomb, not a photo."""
_DRIVE = re.compile(r"^[A-Za-z]:")


@dataclass(frozen=True)
class SkippedFile:
    file_name: str
    reason_zh: str
    reason_en: str


@dataclass
class EnrolmentImport:
    """What an upload did. Photos without a usable face are known once the jobs ran:
    see ``photo_problems``."""

    matched: list[str] = field(default_factory=list)  # student numbers whose photo was stored
    unchanged: list[str] = field(default_factory=list)  # same photo as before: nothing to recompute
    unmatched: list[SkippedFile] = field(default_factory=list)
    job_ids: list[int] = field(default_factory=list)


@dataclass(frozen=True)
class PhotoProblem:
    roster_record_id: int
    name: str
    student_number: str
    id_last4: str
    error: str


@pure
def safe_member_name(name: str) -> str:
    """The entry's path inside the archive, or InvalidInput if it points outside it."""
    text = name.replace("\\", "/")
    parts = PurePosixPath(text).parts
    if text.startswith("/") or _DRIVE.match(text) or ".." in parts or "\x00" in text:
        raise InvalidInput(
            f"压缩包中的文件名“{name}”指向压缩包之外，已拒绝整个压缩包，未导入任何照片。",
            f"The archive entry '{name}' points outside the archive; the whole archive was refused "
            "and nothing was imported.",
            entry=name,
        )
    return posixpath.normpath(text)


@pure
def open_archive(data: bytes | BinaryIO) -> zipfile.ZipFile:
    source = io.BytesIO(data) if isinstance(data, bytes) else data
    try:
        return zipfile.ZipFile(source)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError, EOFError):
        raise InvalidInput("无法读取压缩包：文件不是有效的 ZIP 或已损坏，请重新压缩后上传。",
                           "The file is not a valid ZIP archive or is damaged; zip the photos again.") from None


@pure
def check_archive(archive: zipfile.ZipFile) -> list[zipfile.ZipInfo]:
    """The photo entries, after refusing traversal, encryption and sizes no photo has."""
    infos = archive.infolist()
    if len(infos) > MAX_ENTRIES:
        raise InvalidInput(f"压缩包内文件过多（超过 {MAX_ENTRIES} 个）。", f"More than {MAX_ENTRIES} files in the archive.")
    declared = 0
    photos: list[zipfile.ZipInfo] = []
    for info in infos:
        safe_member_name(info.filename)
        if info.is_dir() or _is_hidden(info.filename):
            continue
        if info.flag_bits & 0x1:
            raise InvalidInput("压缩包已加密，请去掉密码后重新压缩。", "The archive is encrypted; remove the password.")
        declared += info.file_size
        if info.file_size > MAX_PHOTO_BYTES or declared > MAX_TOTAL_BYTES or \
                info.file_size > MAX_RATIO * max(info.compress_size, 1):
            raise _bomb(info.filename)
        photos.append(info)
    return photos


def _is_hidden(name: str) -> bool:
    parts = PurePosixPath(name.replace("\\", "/")).parts
    return any(p.startswith(".") or p == "__MACOSX" for p in parts)


def _bomb(name: str) -> InvalidInput:
    return InvalidInput(
        f"压缩包中的“{name}”解压后过大（单张照片不超过 20 MB），已拒绝整个压缩包。",
        f"'{name}' is far too large once unpacked (at most 20 MB per photo); the archive was refused.",
        entry=name,
    )


@pure
def read_member(archive: zipfile.ZipFile, info: zipfile.ZipInfo) -> bytes:
    """Reads at most the photo limit, whatever the header claims."""
    try:
        with archive.open(info) as fh:
            data = fh.read(MAX_PHOTO_BYTES + 1)
    except (zipfile.BadZipFile, OSError, EOFError, NotImplementedError) as exc:
        raise InvalidInput(f"压缩包中的“{info.filename}”已损坏，无法解压。",
                           f"'{info.filename}' in the archive is damaged ({exc.__class__.__name__}).") from None
    if len(data) > MAX_PHOTO_BYTES:
        raise _bomb(info.filename)
    return data


@allowed(Role.REGISTRAR, Role.ADMIN)
def import_enrolment_photos(
    session: Session, actor: Actor, school_id: int, data: bytes | BinaryIO, store: PhotoStore, *,
    progress: Callable[[int, int], None] | None = None,
) -> EnrolmentImport:
    """Matches the archive's photos to the roster; ``progress(done, total)`` is told after each file."""
    require_role(actor, Role.REGISTRAR, Role.ADMIN)
    require_school(actor, school_id)
    get_or_raise(session, School, school_id, "学校不存在。", "School not found.")
    archive = open_archive(data)
    entries = check_archive(archive)
    if not entries:
        raise InvalidInput("压缩包中没有照片。", "The archive holds no photos.")
    by_key = _records_by_key(session, school_id)
    report = EnrolmentImport()
    stored: list[tuple[int, str]] = []
    claimed: dict[int, str] = {}
    for done, info in enumerate(sorted(entries, key=lambda i: i.filename)):
        if progress is not None:
            progress(done, len(entries))
        base = PurePosixPath(info.filename.replace("\\", "/")).name
        stem, suffix = posixpath.splitext(base)
        if suffix.lower() not in PHOTO_SUFFIXES:
            report.unmatched.append(SkippedFile(info.filename, "不是照片文件（应为 .jpg/.png 等）",
                                                "Not a photo file (.jpg, .png, ...)"))
            continue
        record_id = by_key.get(normalise_text(stem).replace(" ", "")) or by_key.get(normalise_id_number(stem))
        if record_id is None:
            report.unmatched.append(SkippedFile(info.filename, "文件名与本校名单中的学号或证件号码都不匹配",
                                                "The name matches no student number or ID number on the roster"))
            continue
        if record_id in claimed:
            report.unmatched.append(SkippedFile(info.filename, f"与“{claimed[record_id]}”是同一学生的照片，已忽略",
                                                f"Same student as '{claimed[record_id]}'; ignored"))
            continue
        claimed[record_id] = info.filename
        stored.append((record_id, store.put(read_member(archive, info))))

    if progress is not None:
        progress(len(entries), len(entries))
    # Only now, with every entry read, does the roster change (a refused archive changes nothing;
    # photos already stored are unreferenced content, harmless in a content-addressed store).
    ids = [record_id for record_id, _ in stored]
    records = {r.id: r for start in range(0, len(ids), 900)
               for r in session.scalars(select(RosterRecord).where(RosterRecord.id.in_(ids[start:start + 900])))}
    for record_id, sha in stored:
        record = records[record_id]
        if sha == record.enrolment_photo_sha and (record.enrolment_embedding is not None or record.enrolment_error):
            report.unchanged.append(record.student_number)
            continue
        record.enrolment_photo_sha = sha
        record.enrolment_embedding = None
        record.enrolment_phash = None
        record.enrolment_error = None
        report.matched.append(record.student_number)
        report.job_ids.append(jobs.enqueue_after_commit(session, jobs.PROCESS_ENROLMENT, record.id).id)
    session.flush()
    audit.record(session, actor, "enrolment.import", "school", school_id, school_id=school_id,
                 matched=len(report.matched), unchanged=len(report.unchanged), unmatched=len(report.unmatched))
    return report


def _records_by_key(session: Session, school_id: int) -> dict[str, int]:
    """Student number and ID number → record id, for the school's roster only."""
    keys: dict[str, int] = {}
    rows = session.execute(select(RosterRecord.id, RosterRecord.student_number, RosterRecord.id_number)
                           .where(RosterRecord.school_id == school_id))
    for record_id, student_number, id_number in rows:
        keys[student_number] = record_id
        keys.setdefault(id_number.upper(), record_id)
    return keys


@allowed(Role.REGISTRAR, Role.ADMIN)
def photo_problems(session: Session, actor: Actor, school_id: int) -> list[PhotoProblem]:
    """Enrolment photos the worker found no usable face in, with its reason."""
    require_role(actor, Role.REGISTRAR, Role.ADMIN)
    require_school(actor, school_id)
    rows = session.execute(
        select(RosterRecord.id, RosterRecord.name, RosterRecord.student_number, RosterRecord.id_last4,
               RosterRecord.enrolment_error)
        .where(RosterRecord.school_id == school_id, RosterRecord.enrolment_error.is_not(None))
        .order_by(RosterRecord.student_number)
    )
    return [PhotoProblem(*row) for row in rows]
