"""Roster import: CSV or XLSX as schools really send them, validated row by row, up to 200 000 rows.

Excel habits handled: UTF-8 (with or without BOM) or GBK/GB18030, leading zeros in student
numbers kept (every cell is read as text), ID numbers never turned into floats, full-width
characters and stray spaces trimmed. Every value passes ``clean_text`` against its column, so a
70-character name, a 40-digit student number or a NUL byte is a row error in the report, never a
database error. Nothing is imported while any row is invalid unless the user asks to import the
valid rows; a re-import updates records by student number and says what changed.

The file is read as a stream and written in chunks of ``CHUNK_ROWS`` (one lookup of at most that
many student numbers, one bulk insert, one bulk update per chunk), so memory stays bounded and no
statement binds more parameters than any database allows. Only the problems shown on screen and
the downloadable reports (as compact CSV bytes) grow with the file.
"""

from __future__ import annotations

import contextlib
import csv
import io
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from enum import Enum
from typing import Any

from openpyxl import load_workbook
from sqlalchemy import String, any_, bindparam, func, insert, or_, select, update
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Session

from core import export
from core.db import get_or_raise
from core.domain.access import Actor, allowed, pure, require_role, require_school
from core.domain.enums import EducationCategory, Role
from core.domain.identity import id_last4, is_valid_id_number, mask_id, normalise_id_number, normalise_text
from core.domain.text import SEARCH_MAX, Field, clean_text, escape_like, forbidden_character
from core.errors import InvalidInput
from core.models import RosterRecord, School, utcnow
from core.services import audit

FIELDS = ("name", "student_number", "id_number", "category", "cohort", "department", "class_name",
          "has_chsi_photo", "onsite_collected")
REQUIRED = ("name", "student_number", "id_number", "category", "cohort")
FIELD_LABELS_ZH = {
    "name": "姓名", "student_number": "学号", "id_number": "证件号码", "category": "学历类别",
    "cohort": "届别", "department": "院系", "class_name": "班级",
    "has_chsi_photo": "已有学信网照片", "onsite_collected": "已现场采集",
}
FIELD_LABELS_EN = {
    "name": "Name", "student_number": "Student number", "id_number": "ID number", "category": "Category",
    "cohort": "Cohort", "department": "Department", "class_name": "Class",
    "has_chsi_photo": "Already has a CHSI photo", "onsite_collected": "Photographed on site",
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
CHUNK_ROWS = 1_000
"""Rows per database round trip: the existing-record lookup binds at most this many numbers."""
MAX_LISTED_ERRORS = 1_000
"""Problems kept for the screen; the downloadable validation report has every one."""
MAX_LISTED_CHANGES = 1_000
"""Changes kept for the screen; the downloadable change report has every one."""
MAX_SHOWN_VALUE = 80
_ZERO_PADDED = re.compile(r"0+")
TRUE_WORDS = {"是", "y", "yes", "true", "1", "有"}


def _column_length(column: object) -> int:
    return int(column.type.length)  # type: ignore[attr-defined]  # only String columns are asked


CELL_FIELDS: dict[str, Field] = {
    "name": Field("姓名", "Name", _column_length(RosterRecord.__table__.c.name)),
    "student_number": Field("学号", "Student number", _column_length(RosterRecord.__table__.c.student_number)),
    "id_number": Field("证件号码", "ID number", _column_length(RosterRecord.__table__.c.id_number)),
    "category": Field("学历类别", "Category", 32),
    "cohort": Field("届别", "Cohort", _column_length(RosterRecord.__table__.c.cohort)),
    "department": Field("院系", "Department", _column_length(RosterRecord.__table__.c.department)),
    "class_name": Field("班级", "Class", _column_length(RosterRecord.__table__.c.class_name)),
    "has_chsi_photo": Field("已有学信网照片", "Already has a CHSI photo", 16),
    "onsite_collected": Field("已现场采集", "Photographed on site", 16),
}
"""Each column as the registrar knows it, bounded by the database column it fills."""

Progress = Callable[[int, int], None]
"""``progress(rows_done, rows_expected)``: called once per chunk of rows read."""


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


REPORT_HEADER_ZH = ("行号", "字段", "值", "问题")
CHANGE_HEADER_ZH = ("学号", "字段", "原值", "新值")


@dataclass
class ParsedRoster:
    """What validation found: counts, the first problems for the screen and the whole report."""

    headers: list[str]
    mapping: dict[str, str]  # field -> source header
    errors: list[RowError] = field(default_factory=list)
    """The first ``MAX_LISTED_ERRORS`` problems."""
    error_count: int = 0
    invalid_rows: int = 0
    total_rows: int = 0
    valid_rows: int = 0
    preview: Preview = field(default_factory=lambda: Preview([], []))
    report: export.CsvBuffer = field(default_factory=lambda: export.CsvBuffer(REPORT_HEADER_ZH), repr=False)

    @property
    def header_problem(self) -> bool:
        """A required column is missing: no row can be read."""
        return any(e.row == 1 for e in self.errors)

    def add_error(self, error: RowError) -> None:
        self.error_count += 1
        if len(self.errors) < MAX_LISTED_ERRORS:
            self.errors.append(error)
        self.report.writerow((error.row, FIELD_LABELS_ZH.get(error.field, error.field), error.value, error.message_zh))


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
    """The first ``MAX_LISTED_CHANGES`` changes."""
    change_count: int = 0
    change_report: export.CsvBuffer = field(default_factory=lambda: export.CsvBuffer(CHANGE_HEADER_ZH), repr=False)

    @property
    def errors(self) -> list[RowError]:
        return self.parsed.errors

    def add_change(self, change: FieldChange) -> None:
        self.change_count += 1
        if len(self.changes) < MAX_LISTED_CHANGES:
            self.changes.append(change)
        self.change_report.writerow((change.student_number, FIELD_LABELS_ZH.get(change.field, change.field),
                                     change.old, change.new))


# --- Reading the file ---------------------------------------------------------------------------


@dataclass
class _Table:
    header: list[str]
    rows: Iterator[tuple[int, list[str]]]
    """(row number as the spreadsheet shows it, cells as text); blank rows are skipped."""
    expected_rows: int
    """An estimate of the data rows, for progress bars."""


def _open_table(data: bytes, filename: str) -> _Table:
    """The header and a stream of data rows. Raises InvalidInput for an empty or unreadable file."""
    if not data.strip():
        raise InvalidInput("文件为空。", "The file is empty.")
    lower = filename.lower()
    if lower.endswith((".xlsx", ".xlsm")):
        records, expected = _xlsx_records(data)
    elif lower.endswith((".csv", ".txt")):
        records, expected = _csv_records(data)
    else:
        raise InvalidInput("仅支持 CSV 或 XLSX 文件。", "Only CSV and XLSX files are accepted.")
    numbered = ((number, row) for number, row in records if any(cell.strip() for cell in row))
    first = next(numbered, None)
    if first is None:
        raise InvalidInput("文件为空。", "The file is empty.")
    header = [normalise_text(h) for h in first[1]]
    return _Table(header, _bounded(numbered), max(0, expected - first[0]))


def _bounded(rows: Iterator[tuple[int, list[str]]]) -> Iterator[tuple[int, list[str]]]:
    for count, row in enumerate(rows, start=1):
        if count > MAX_ROWS:
            raise InvalidInput(f"一次最多导入 {MAX_ROWS} 行。", f"At most {MAX_ROWS} rows per import.")
        yield row


def _xlsx_records(data: bytes) -> tuple[Iterator[tuple[int, list[str]]], int]:
    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        sheet = book.worksheets[0]
        expected = sheet.max_row or 0
    except Exception as exc:  # openpyxl raises many kinds for a damaged or mislabelled file
        raise InvalidInput("无法读取 Excel 文件，请另存为 .xlsx 后重试。",
                           f"The Excel file cannot be read ({exc.__class__.__name__}).") from None

    def records() -> Iterator[tuple[int, list[str]]]:
        try:
            for number, row in enumerate(sheet.iter_rows(), start=1):
                yield number, [_cell_text(c.value, getattr(c, "number_format", None)) for c in row]
        finally:
            book.close()

    return records(), expected


def _csv_records(data: bytes) -> tuple[Iterator[tuple[int, list[str]]], int]:
    text = _decode(data)
    dialect: type[csv.Dialect] | csv.Dialect = csv.excel
    with contextlib.suppress(csv.Error):
        dialect = csv.Sniffer().sniff(text[:4096], delimiters=",\t;")
    reader = csv.reader(io.StringIO(text), dialect)
    return ((number, row) for number, row in enumerate(reader, start=1)), data.count(b"\n") + 1


@pure
def read_header(data: bytes, filename: str) -> list[str]:
    """The file's header row (for the column mapping), without reading the rows."""
    return _open_table(data, filename).header


@pure
def read_table(data: bytes, filename: str) -> tuple[list[str], list[list[str]]]:
    """Header and data rows as text (small files such as CHSI result files)."""
    table = _open_table(data, filename)
    return table.header, [row for _, row in table.rows]


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


# --- Validation ---------------------------------------------------------------------------------


def _shown(name: str, value: str) -> str:
    """A problem value as the report may show it: an ID number by its last 4 only, control
    characters made visible, long values cut."""
    if name == "id_number":
        value = value.replace(" ", "")[-4:]
    bad = forbidden_character(value)
    while bad is not None:
        value = value.replace(bad, f"<U+{ord(bad):04X}>")
        bad = forbidden_character(value)
    return value if len(value) <= MAX_SHOWN_VALUE else value[:MAX_SHOWN_VALUE] + "…"


def _row_error(row: int, name: str, value: str, zh: str, en: str) -> RowError:
    return RowError(row, name, value, f"第 {row} 行{zh}", f"Row {row}: {en}")


def _validated(table: _Table, parsed: ParsedRoster, index: dict[str, int],
               progress: Progress | None) -> Iterator[RosterRow]:
    """The valid rows of the stream; problems, preview and counts go into ``parsed``."""
    preview_fields = parsed.preview.fields
    absent = frozenset(e.field for e in parsed.errors if e.row == 1)
    seen: dict[str, int] = {}
    known: dict[tuple[str, str], str] = {}
    for row_number, cells in table.rows:
        parsed.total_rows += 1
        raw = {name: normalise_text(cells[i]) if i < len(cells) else "" for name, i in index.items()}
        if len(parsed.preview.rows) < PREVIEW_ROWS:
            parsed.preview.rows.append([mask_id(raw[f]) if f == "id_number" else _shown(f, raw[f])
                                        for f in preview_fields])
        row, errors = _check_row(row_number, raw, seen, known, absent)
        for error in errors:
            parsed.add_error(error)
        if errors:
            parsed.invalid_rows += 1
        elif row is not None:
            parsed.valid_rows += 1
            seen[row.student_number] = row_number
            yield row
        if progress is not None and parsed.total_rows % CHUNK_ROWS == 0:
            progress(parsed.total_rows, table.expected_rows)
    if progress is not None:
        progress(parsed.total_rows, parsed.total_rows)


_REPEATING = frozenset({"category", "cohort", "department", "class_name", "has_chsi_photo", "onsite_collected"})
"""Columns with a handful of values repeated on every row: each value is cleaned once per file."""


def _check_row(row: int, raw: dict[str, str], seen: dict[str, int], known: dict[tuple[str, str], str],
               absent: frozenset[str] = frozenset()) -> tuple[RosterRow | None, list[RowError]]:
    """The row's problems; a required column missing from the file (``absent``) is reported once
    for the file, not on every row, and the row's other cells are still checked."""
    errors: list[RowError] = []
    values: dict[str, str] = {}
    for name, text in raw.items():
        if (name, text) in known:
            values[name] = known[name, text]
            continue
        try:
            values[name] = clean_text(text, CELL_FIELDS[name])
            if name in _REPEATING:
                known[name, text] = values[name]
        except InvalidInput as refusal:
            values[name] = ""
            errors.append(_row_error(row, name, _shown(name, text), refusal.message_zh, refusal.message_en))
    refused = {e.field for e in errors}
    for name in REQUIRED:
        if not values.get(name) and name not in refused and name not in absent:
            errors.append(_row_error(row, name, "", f"缺少{FIELD_LABELS_ZH[name]}。", f"{name} is missing."))
    number = values.get("student_number", "").replace(" ", "")
    if number and number in seen:
        errors.append(_row_error(row, "student_number", number, f"学号 {number} 与第 {seen[number]} 行重复。",
                                 f"student number {number} repeats row {seen[number]}."))
    id_number = normalise_id_number(values.get("id_number", ""))
    if id_number:
        if "E+" in id_number or "." in id_number:
            errors.append(_row_error(row, "id_number", id_number[-4:],
                                     "证件号码被 Excel 转成了数字，请将该列设为文本后重新导出。",
                                     "the ID number was turned into a number by Excel; "
                                     "format the column as text and export again."))
        elif not is_valid_id_number(id_number):
            errors.append(_row_error(row, "id_number", id_number[-4:],
                                     f"证件号码校验位错误或格式不正确（尾号 {id_number[-4:]}）。",
                                     f"invalid ID number (check digit or format), ending {id_number[-4:]}."))
    category: EducationCategory | None = None
    if values.get("category"):
        try:
            category = EducationCategory.from_label(values["category"])
        except ValueError:
            errors.append(_row_error(row, "category", values["category"],
                                     f"学历类别“{values['category']}”无法识别（应为普通本专科、研究生或成人教育）。",
                                     f"unknown category '{values['category']}'."))
    if errors or category is None or absent:
        return None, errors
    return RosterRow(
        row=row,
        name=values["name"].replace(" ", ""),
        student_number=number,
        id_number=id_number,
        category=category,
        cohort=values["cohort"],
        department=values.get("department", ""),
        class_name=values.get("class_name", ""),
        has_chsi_photo=values.get("has_chsi_photo", "").lower() in TRUE_WORDS,
        onsite_collected=values.get("onsite_collected", "").lower() in TRUE_WORDS,
    ), []


TEMPLATE_EXAMPLE = {
    "name": "张三", "student_number": "2021012345", "id_number": "11010519491231002X", "category": "普通本专科",
    "cohort": "2025届", "department": "计算机学院", "class_name": "计科2101", "has_chsi_photo": "否",
    "onsite_collected": "否",
}
"""One row that passes every check (the ID number is the national standard's own example)."""


@pure
def import_template(fmt: str) -> bytes:
    """The roster file registrars fill in: every column under the header this import recognises,
    and one example row, as CSV (opens in Excel) or XLSX (columns stored as text, so Excel keeps
    ID and student numbers as typed)."""
    header = [FIELD_LABELS_ZH[f] for f in FIELDS]
    return export.table_bytes(fmt, "学籍名单", header, [[TEMPLATE_EXAMPLE[f] for f in FIELDS]])


def _start(data: bytes, filename: str, mapping: dict[str, str] | None) -> tuple[_Table, ParsedRoster, dict[str, int]]:
    table = _open_table(data, filename)
    mapping = dict(mapping or guess_mapping(table.header))
    unknown = sorted(f for f in mapping if f not in FIELDS)
    if unknown:
        raise InvalidInput(f"未知字段：{', '.join(unknown)}。", f"Unknown fields: {', '.join(unknown)}.")
    parsed = ParsedRoster(headers=table.header, mapping=mapping)
    missing = [f for f in REQUIRED if f not in mapping or mapping[f] not in table.header]
    for name in missing:
        parsed.add_error(RowError(1, name, "", f"缺少“{FIELD_LABELS_ZH[name]}”列。",
                                  f"The column for '{name}' is missing."))
    index = {f: table.header.index(h) for f, h in mapping.items() if h in table.header}
    parsed.preview = Preview([f for f in FIELDS if f in index], [])
    return table, parsed, index


@pure
def parse_roster(data: bytes, filename: str, mapping: dict[str, str] | None = None, *,
                 progress: Progress | None = None) -> ParsedRoster:
    """Validates the whole file without touching the database (the page's preview and report).
    A missing required column is reported once and every row is still checked, so the registrar
    fixes the whole file in one round."""
    table, parsed, index = _start(data, filename, mapping)
    for _ in _validated(table, parsed, index, progress):
        pass
    return parsed


# --- Import -------------------------------------------------------------------------------------

_COMPARED = ("name", "id_number", "category", "cohort", "department", "class_name", "has_chsi_photo",
             "onsite_collected")


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
    progress: Progress | None = None,
) -> ImportReport:
    """Validates and imports in one pass over the file, ``CHUNK_ROWS`` rows per round trip, inside
    a savepoint: when a row is invalid and only a clean file may be imported, everything written
    so far is rolled back and the report says why."""
    require_role(actor, Role.REGISTRAR, Role.ADMIN)
    require_school(actor, school_id)
    get_or_raise(session, School, school_id, "学校不存在。", "School not found.")
    table, parsed, index = _start(data, filename, mapping)
    report = ImportReport(parsed=parsed, imported=False)
    if parsed.header_problem:
        return report
    savepoint = session.begin_nested()
    # A school's first roster needs no lookups: every valid row is new (repeats are row errors).
    had_records = session.scalar(select(RosterRecord.id).where(RosterRecord.school_id == school_id).limit(1)) is not None
    chunk: list[RosterRow] = []
    for row in _validated(table, parsed, index, progress):
        if parsed.error_count and not import_valid_rows:
            continue  # keep reading for the report; nothing will be kept
        chunk.append(row)
        if len(chunk) == CHUNK_ROWS:
            _write_chunk(session, school_id, chunk, report, lookup=had_records)
            chunk = []
    if parsed.error_count and not import_valid_rows:
        savepoint.rollback()
        return report
    if chunk:
        _write_chunk(session, school_id, chunk, report, lookup=had_records)
    savepoint.commit()
    report.imported = True
    audit.record(session, actor, "roster.import", "school", school_id, school_id=school_id,
                 filename=filename, created=report.created, updated=report.updated,
                 skipped_rows=parsed.invalid_rows)
    session.flush()
    return report


def _write_chunk(session: Session, school_id: int, rows: list[RosterRow], report: ImportReport, *,
                 lookup: bool) -> None:
    """One lookup of the chunk's student numbers, one bulk insert, one bulk update."""
    existing = _existing(session, school_id, [row.student_number for row in rows]) if lookup else {}
    now = utcnow()
    new: list[dict[str, object]] = []
    changed: list[dict[str, object]] = []
    for row in rows:
        values: dict[str, object] = {name: getattr(row, name) for name in _COMPARED}
        record = existing.get(row.student_number)
        if record is None:
            new.append({**values, "school_id": school_id, "student_number": row.student_number,
                        "id_last4": id_last4(row.id_number), "created_at": now, "updated_at": now})
            continue
        differs = False
        for name in _COMPARED:
            old, value = getattr(record, name), values[name]
            if old != value:
                shown_old, shown_new = (old[-4:], str(value)[-4:]) if name == "id_number" else (old, value)
                report.add_change(FieldChange(row.student_number, name, _show(shown_old), _show(shown_new)))
                differs = True
        if differs:
            changed.append({**values, "id": record.id, "id_last4": id_last4(row.id_number), "updated_at": now})
        else:
            report.unchanged += 1
    if new:
        session.execute(insert(RosterRecord), new)
        report.created += len(new)
    if changed:
        session.execute(update(RosterRecord), changed)
        report.updated += len(changed)


def _existing(session: Session, school_id: int, numbers: list[str]) -> dict[str, Any]:
    """The school's records with these student numbers. On PostgreSQL the numbers go as one array
    (``= ANY``, a hashed filter), not as a thousand parameters the server compares one by one."""
    if session.get_bind().dialect.name == "postgresql":
        wanted = RosterRecord.student_number == any_(bindparam("numbers", numbers, type_=ARRAY(String)))
    else:
        wanted = RosterRecord.student_number.in_(numbers)
    query = select(RosterRecord.id, RosterRecord.student_number, *[getattr(RosterRecord, n) for n in _COMPARED])
    return {found.student_number: found
            for found in session.execute(query.where(RosterRecord.school_id == school_id, wanted))}


def _show(value: object) -> str:
    if isinstance(value, EducationCategory):
        return value.label_zh
    if isinstance(value, bool):
        return "是" if value else "否"
    return str(value)


@pure
def validation_report_csv(parsed: ParsedRoster) -> bytes:
    """The row-by-row validation report, every problem, as a CSV Excel opens directly."""
    return parsed.report.getvalue()


@pure
def change_report_csv(report: ImportReport) -> bytes:
    """What a re-import changed, one line per changed field (ID numbers as their last 4 only)."""
    return report.change_report.getvalue()


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
