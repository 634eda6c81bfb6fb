"""Roster import: CSV or XLSX as schools really send them, validated row by row.

Excel habits handled: UTF-8 (with or without BOM) or GBK/GB18030, leading zeros in student
numbers kept (every cell is read as text), ID numbers never turned into floats, full-width
characters and stray spaces trimmed. Nothing is imported while any row is invalid unless the user
asks to import the valid rows; a re-import updates records by student number and says what changed.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field
from enum import Enum

from openpyxl import load_workbook
from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from core.domain.access import Actor, allowed, pure, require_role, require_school
from core.domain.enums import EducationCategory, Role
from core.domain.identity import id_last4, is_valid_id_number, mask_id, normalise_id_number, normalise_text
from core.domain.text import SEARCH_MAX, Field, clean_text, escape_like
from core.errors import InvalidInput, NotFound
from core.models import RosterRecord, School
from core.services import audit

FIELDS = ("name", "student_number", "id_number", "category", "cohort", "department", "class_name",
          "has_chsi_photo", "onsite_collected")
REQUIRED = ("name", "student_number", "id_number", "category", "cohort")
FIELD_LABELS_ZH = {
    "name": "姓名", "student_number": "学号", "id_number": "证件号码", "category": "学历类别",
    "cohort": "届别", "department": "院系", "class_name": "班级",
    "has_chsi_photo": "已有学信网照片", "onsite_collected": "已现场采集",
}
HEADER_ALIASES: dict[str, str] = {
    alias: name
    for name, aliases in {
        "name": ("姓名", "name", "学生姓名"),
        "student_number": ("学号", "student_number", "学信网学号", "studentno", "student no"),
        "id_number": ("身份证号", "身份证号码", "证件号", "证件号码", "id_number", "idno", "id"),
        "category": ("学历类别", "类别", "category", "层次"),
        "cohort": ("届别", "年级", "届", "cohort", "毕业届别"),
        "department": ("院系", "学院", "department", "系"),
        "class_name": ("班级", "class", "class_name"),
        "has_chsi_photo": ("已有学信网照片", "has_chsi_photo"),
        "onsite_collected": ("已现场采集", "onsite_collected"),
    }.items()
    for alias in aliases
}
MAX_ROWS = 200_000
PREVIEW_ROWS = 20
_ZERO_PADDED = re.compile(r"0+")
TRUE_WORDS = {"是", "y", "yes", "true", "1", "有"}


@dataclass(frozen=True)
class RowError:
    row: int  # as the spreadsheet numbers it: header is row 1
    field: str
    value: str
    message_zh: str
    message_en: str


@dataclass(frozen=True)
class RosterRow:
    row: int
    name: str
    student_number: str
    id_number: str
    category: EducationCategory
    cohort: str
    department: str = ""
    class_name: str = ""
    has_chsi_photo: bool = False
    onsite_collected: bool = False


@dataclass(frozen=True)
class Preview:
    """The first rows as they will be read with the chosen mapping; ID numbers show only their last 4."""

    fields: list[str]
    rows: list[list[str]]


@dataclass
class ParsedRoster:
    headers: list[str]
    mapping: dict[str, str]  # field -> source header
    rows: list[RosterRow] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)
    total_rows: int = 0
    preview: Preview = field(default_factory=lambda: Preview([], []))

    @property
    def invalid_rows(self) -> int:
        return len({e.row for e in self.errors if e.row > 1})


@dataclass
class FieldChange:
    student_number: str
    field: str
    old: str
    new: str


@dataclass
class ImportReport:
    parsed: ParsedRoster
    imported: bool
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    changes: list[FieldChange] = field(default_factory=list)

    @property
    def errors(self) -> list[RowError]:
        return self.parsed.errors


@pure
def read_table(data: bytes, filename: str) -> tuple[list[str], list[list[str]]]:
    """Header and data rows as text. Raises InvalidInput for an empty or unreadable file."""
    if not data.strip():
        raise InvalidInput("文件为空。", "The file is empty.")
    lower = filename.lower()
    if lower.endswith((".xlsx", ".xlsm")):
        try:
            sheet = load_workbook(io.BytesIO(data), read_only=True, data_only=True).worksheets[0]
        except Exception as exc:
            raise InvalidInput("无法读取 Excel 文件，请另存为 .xlsx 后重试。",
                               f"The Excel file cannot be read ({exc.__class__.__name__}).") from None
        table = [[_cell_text(c.value, getattr(c, "number_format", None)) for c in row] for row in sheet.iter_rows()]
    elif lower.endswith((".csv", ".txt")):
        text = _decode(data)
        dialect = csv.excel
        try:
            dialect = csv.Sniffer().sniff(text[:4096], delimiters=",\t;")
        except csv.Error:
            pass
        table = [row for row in csv.reader(io.StringIO(text), dialect)]
    else:
        raise InvalidInput("仅支持 CSV 或 XLSX 文件。", "Only CSV and XLSX files are accepted.")
    table = [row for row in table if any(cell.strip() for cell in row)]
    if not table:
        raise InvalidInput("文件为空。", "The file is empty.")
    if len(table) - 1 > MAX_ROWS:
        raise InvalidInput(f"一次最多导入 {MAX_ROWS} 行。", f"At most {MAX_ROWS} rows per import.")
    header = [normalise_text(h) for h in table[0]]
    return header, table[1:]


def _decode(data: bytes) -> str:
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise InvalidInput("无法识别文件编码，请另存为 UTF-8 或 GBK 编码的 CSV。",
                       "Unknown text encoding; save the CSV as UTF-8 or GBK.")


def _cell_text(value: object, number_format: str | None = None) -> str:
    """A cell as the registrar sees it in Excel. A number shown with a zero-padded format
    ("0000000000") keeps its leading zeros; a float too long to be exact (an 18-digit ID typed as a
    number) stays in E-notation so validation can say what happened instead of importing wrong digits."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        value = int(value)
    if isinstance(value, float) and abs(value) >= 1e15:
        return f"{value:.14E}"
    if isinstance(value, int) and number_format and _ZERO_PADDED.fullmatch(number_format):
        return str(value).zfill(len(number_format))
    return str(value)


@pure
def guess_mapping(headers: list[str]) -> dict[str, str]:
    mapping: dict[str, str] = {}
    for header in headers:
        name = HEADER_ALIASES.get(header.strip().lower()) or HEADER_ALIASES.get(header.strip())
        if name and name not in mapping:
            mapping[name] = header
    return mapping


@pure
def parse_roster(data: bytes, filename: str, mapping: dict[str, str] | None = None) -> ParsedRoster:
    headers, table = read_table(data, filename)
    mapping = mapping or guess_mapping(headers)
    parsed = ParsedRoster(headers=headers, mapping=mapping, total_rows=len(table))
    unknown = sorted(f for f in mapping if f not in FIELDS)
    if unknown:
        raise InvalidInput(f"未知字段：{', '.join(unknown)}。", f"Unknown fields: {', '.join(unknown)}.")
    missing = [f for f in REQUIRED if f not in mapping or mapping[f] not in headers]
    if missing:
        for name in missing:
            parsed.errors.append(RowError(1, name, "", f"缺少“{FIELD_LABELS_ZH[name]}”列。",
                                          f"The column for '{name}' is missing."))
        return parsed
    index = {f: headers.index(h) for f, h in mapping.items() if h in headers and f in FIELDS}
    preview_fields = [f for f in FIELDS if f in index]
    parsed.preview = Preview(preview_fields, [])
    seen: dict[str, int] = {}
    for offset, cells in enumerate(table):
        row_number = offset + 2
        values = {f: normalise_text(cells[i]) if i < len(cells) else "" for f, i in index.items()}
        if offset < PREVIEW_ROWS:
            parsed.preview.rows.append([mask_id(values[f]) if f == "id_number" else values[f] for f in preview_fields])
        errors = _validate_row(row_number, values, seen)
        parsed.errors.extend(errors)
        if errors:
            continue
        seen[values["student_number"]] = row_number
        parsed.rows.append(RosterRow(
            row=row_number,
            name=values["name"].replace(" ", ""),
            student_number=values["student_number"].replace(" ", ""),
            id_number=normalise_id_number(values["id_number"]),
            category=EducationCategory.from_label(values["category"]),
            cohort=values["cohort"],
            department=values.get("department", ""),
            class_name=values.get("class_name", ""),
            has_chsi_photo=values.get("has_chsi_photo", "").lower() in TRUE_WORDS,
            onsite_collected=values.get("onsite_collected", "").lower() in TRUE_WORDS,
        ))
    return parsed


def _validate_row(row: int, values: dict[str, str], seen: dict[str, int]) -> list[RowError]:
    errors: list[RowError] = []
    for name in REQUIRED:
        if not values.get(name):
            errors.append(RowError(row, name, "", f"第 {row} 行缺少{FIELD_LABELS_ZH[name]}。",
                                   f"Row {row}: {name} is missing."))
    number = values.get("student_number", "").replace(" ", "")
    if number and number in seen:
        errors.append(RowError(row, "student_number", number,
                               f"第 {row} 行学号 {number} 与第 {seen[number]} 行重复。",
                               f"Row {row}: student number {number} repeats row {seen[number]}."))
    id_number = normalise_id_number(values.get("id_number", ""))
    if id_number:
        if "E+" in id_number or "." in id_number:
            errors.append(RowError(row, "id_number", id_number,
                                   f"第 {row} 行证件号码被 Excel 转成了数字，请将该列设为文本后重新导出。",
                                   f"Row {row}: the ID number was turned into a number by Excel; "
                                   "format the column as text and export again."))
        elif not is_valid_id_number(id_number):
            errors.append(RowError(row, "id_number", id_number[-4:],
                                   f"第 {row} 行证件号码校验位错误或格式不正确（尾号 {id_number[-4:]}）。",
                                   f"Row {row}: invalid ID number (check digit or format), ending {id_number[-4:]}."))
    category = values.get("category", "")
    if category:
        try:
            EducationCategory.from_label(category)
        except ValueError:
            errors.append(RowError(row, "category", category,
                                   f"第 {row} 行学历类别“{category}”无法识别（应为普通本专科、研究生或成人教育）。",
                                   f"Row {row}: unknown category '{category}'."))
    return errors


@allowed(Role.REGISTRAR, Role.ADMIN)
def import_roster(
    session: Session,
    actor: Actor,
    school_id: int,
    data: bytes,
    filename: str,
    *,
    mapping: dict[str, str] | None = None,
    import_valid_rows: bool = False,
) -> ImportReport:
    require_role(actor, Role.REGISTRAR, Role.ADMIN)
    require_school(actor, school_id)
    if session.get(School, school_id) is None:
        raise NotFound("学校不存在。", "School not found.")
    parsed = parse_roster(data, filename, mapping)
    report = ImportReport(parsed=parsed, imported=False)
    if parsed.errors and (not import_valid_rows or any(e.row == 1 for e in parsed.errors)):
        return report
    existing = {
        r.student_number: r
        for r in session.scalars(
            select(RosterRecord).where(
                RosterRecord.school_id == school_id,
                RosterRecord.student_number.in_([row.student_number for row in parsed.rows]),
            )
        )
    }
    for row in parsed.rows:
        record = existing.get(row.student_number)
        values = {
            "name": row.name, "id_number": row.id_number, "category": row.category, "cohort": row.cohort,
            "department": row.department, "class_name": row.class_name,
            "has_chsi_photo": row.has_chsi_photo, "onsite_collected": row.onsite_collected,
        }
        if record is None:
            session.add(RosterRecord(school_id=school_id, student_number=row.student_number,
                                     id_last4=id_last4(row.id_number), **values))
            report.created += 1
            continue
        changed = False
        for name, new in values.items():
            old = getattr(record, name)
            if old != new:
                shown_old, shown_new = (old[-4:], new[-4:]) if name == "id_number" else (old, new)
                report.changes.append(FieldChange(row.student_number, name, _show(shown_old), _show(shown_new)))
                setattr(record, name, new)
                changed = True
        if changed:
            record.id_last4 = id_last4(row.id_number)
            report.updated += 1
        else:
            report.unchanged += 1
    report.imported = True
    session.flush()
    audit.record(session, actor, "roster.import", "school", school_id, school_id=school_id,
                 filename=filename, created=report.created, updated=report.updated,
                 skipped_rows=len({e.row for e in parsed.errors}))
    return report


def _show(value: object) -> str:
    return value.label_zh if isinstance(value, EducationCategory) else str(value)


REPORT_HEADER_ZH = ("行号", "字段", "值", "问题")


@pure
def validation_report_csv(parsed: ParsedRoster) -> bytes:
    """The row-by-row validation report as a CSV Excel opens directly (UTF-8 with BOM)."""
    return _csv_bytes(REPORT_HEADER_ZH, [(e.row, FIELD_LABELS_ZH.get(e.field, e.field), e.value, e.message_zh)
                                         for e in parsed.errors])


@pure
def change_report_csv(report: ImportReport) -> bytes:
    """What a re-import changed, one line per changed field (ID numbers as their last 4 only)."""
    return _csv_bytes(("学号", "字段", "原值", "新值"),
                      [(c.student_number, FIELD_LABELS_ZH.get(c.field, c.field), c.old, c.new) for c in report.changes])


def _csv_bytes(header: tuple[str, ...], rows: list[tuple[object, ...]]) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(header)
    writer.writerows(rows)
    return buffer.getvalue().encode("utf-8-sig")


class EnrolmentPhotoStatus(str, Enum):
    MISSING = "missing"
    PROCESSING = "processing"
    USABLE = "usable"
    UNUSABLE = "unusable"

    @property
    def label_zh(self) -> str:
        return {"missing": "未上传", "processing": "处理中", "usable": "可用", "unusable": "不可用"}[self.value]

    @property
    def label_en(self) -> str:
        return {"missing": "Missing", "processing": "Processing", "usable": "Usable", "unusable": "Unusable"}[self.value]


@dataclass(frozen=True)
class RosterEntry:
    """A roster record as staff screens show it: the ID number reduced to its last 4."""

    id: int
    name: str
    student_number: str
    id_last4: str
    category: EducationCategory
    cohort: str
    department: str
    class_name: str
    enrolment_photo: EnrolmentPhotoStatus
    enrolment_error: str | None


@pure
def photo_status_of(photo_sha: str | None, has_embedding: bool, error: str | None) -> EnrolmentPhotoStatus:
    if photo_sha is None:
        return EnrolmentPhotoStatus.MISSING
    if has_embedding:
        return EnrolmentPhotoStatus.USABLE
    return EnrolmentPhotoStatus.UNUSABLE if error else EnrolmentPhotoStatus.PROCESSING


SEARCH = Field("搜索（姓名、学号或证件号后4位）", "Search (name, student number or ID last 4)", SEARCH_MAX)


@allowed(Role.REGISTRAR, Role.ADMIN)
def list_records(
    session: Session,
    actor: Actor,
    school_id: int,
    *,
    without_usable_photo: bool = False,
    search: str = "",
    limit: int = 500,
) -> list[RosterEntry]:
    """The roster view; ``without_usable_photo`` keeps those whose face comparison cannot run."""
    require_role(actor, Role.REGISTRAR, Role.ADMIN)
    require_school(actor, school_id)
    query = (
        select(RosterRecord.id, RosterRecord.name, RosterRecord.student_number, RosterRecord.id_last4,
               RosterRecord.category, RosterRecord.cohort, RosterRecord.department, RosterRecord.class_name,
               RosterRecord.enrolment_photo_sha, RosterRecord.enrolment_embedding.is_not(None),
               RosterRecord.enrolment_error)
        .where(RosterRecord.school_id == school_id)
        .order_by(RosterRecord.student_number)
        .limit(limit)
    )
    if without_usable_photo:
        query = query.where(RosterRecord.enrolment_embedding.is_(None))
    term = normalise_text(clean_text(search, SEARCH)).replace(" ", "")
    if term:
        pattern = escape_like(term)
        query = query.where(or_(RosterRecord.name.contains(pattern, escape="\\"),
                                RosterRecord.student_number.contains(pattern, escape="\\"),
                                RosterRecord.id_last4 == term.upper()))
    return [
        RosterEntry(id=r[0], name=r[1], student_number=r[2], id_last4=r[3], category=r[4], cohort=r[5],
                    department=r[6], class_name=r[7], enrolment_photo=photo_status_of(r[8], bool(r[9]), r[10]),
                    enrolment_error=r[10])
        for r in session.execute(query)
    ]


@allowed(Role.REGISTRAR, Role.ADMIN)
def count_without_usable_photo(session: Session, actor: Actor, school_id: int) -> int:
    require_role(actor, Role.REGISTRAR, Role.ADMIN)
    require_school(actor, school_id)
    return int(session.scalar(select(func.count(RosterRecord.id)).where(
        RosterRecord.school_id == school_id, RosterRecord.enrolment_embedding.is_(None))) or 0)
