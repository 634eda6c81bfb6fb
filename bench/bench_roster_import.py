"""Roster import of 200 000 rows on PostgreSQL (target: imported in ≤ 60 s, bounded memory).

Run from the project root::

    .venv/bin/python -m bench.bench_roster_import [--rows 200000] [--format csv xlsx]
        [--url postgresql+psycopg://root@127.0.0.1:5432/test | sqlite:///…]

For each format the bench writes a roster file as a school would send it (GBK-free UTF-8 CSV with
a BOM, or an XLSX saved by openpyxl; valid 18-digit ID numbers, Chinese names, departments and
classes), then does what the import page does: validates the whole file (the preview and report
the registrar sees before clicking), then imports it (validated again, written in chunks inside
one transaction) into a fresh database, and finally re-imports it unchanged. It prints rows/s for
each step beside the target, and the process's peak resident memory sampled every 10 ms while the
import runs: "bounded" means the growth stays a small multiple of the file, not of the rows.
"""

from __future__ import annotations

import argparse
import csv
import io
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from openpyxl import Workbook  # noqa: E402
from sqlalchemy import create_engine, func, select, text  # noqa: E402

from bench.bench_export import PeakMemory  # noqa: E402
from core.db import Database  # noqa: E402
from core.domain.access import Actor  # noqa: E402
from core.domain.enums import ActorKind, Role  # noqa: E402
from core.domain.identity import id_check_digit  # noqa: E402
from core.models import Base, RosterRecord, School  # noqa: E402
from core.services import roster  # noqa: E402

TARGET_SECONDS = 60.0
TARGET_ROWS = 200_000
HEADER = ["姓名", "学号", "身份证号", "学历类别", "届别", "院系", "班级"]
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗"
GIVEN = "白云晓明建华丽娜子涵雨欣浩然思远俊杰婉清一鸣"
DEPARTMENTS = ["计算机学院", "外国语学院", "经济与管理学院", "法学院", "数学与统计学院", "化学与分子科学学院"]


def rows(count: int) -> list[list[str]]:
    out = []
    for n in range(count):
        first17 = f"4201062003{n % 12 + 1:02d}{n % 28 + 1:02d}{n % 1000:03d}"
        name = SURNAMES[n % len(SURNAMES)] + GIVEN[n % len(GIVEN)] + GIVEN[(n // 7) % len(GIVEN)]
        out.append([name, f"{2110000000 + n:010d}", first17 + id_check_digit(first17), "普通本专科", "2025届",
                    DEPARTMENTS[n % len(DEPARTMENTS)], f"{n % 40 + 1}班"])
    return out


def csv_file(table: list[list[str]]) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(HEADER)
    writer.writerows(table)
    return buffer.getvalue().encode("utf-8-sig")


def xlsx_file(table: list[list[str]]) -> bytes:
    book = Workbook(write_only=True)
    sheet = book.create_sheet("名单")
    sheet.append(HEADER)
    for row in table:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def fresh_database(url: str) -> tuple[Database, Callable[[], None]]:
    """A new database of its own (PostgreSQL: CREATE DATABASE; SQLite: a temporary file)."""
    if url.startswith("sqlite"):
        folder = tempfile.mkdtemp(prefix="bench-roster-")
        database = Database(f"sqlite:///{folder}/bench.db")
        Base.metadata.create_all(database.engine)
        return database, database.dispose
    name = f"bench_roster_{uuid.uuid4().hex[:8]}"
    admin = create_engine(Database(url).engine.url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    database = Database(Database(url).engine.url.set(database=name).render_as_string(hide_password=False))
    Base.metadata.create_all(database.engine)

    def drop() -> None:
        database.dispose()
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()

    return database, drop


def timed(label: str, count: int, action) -> float:
    with PeakMemory() as memory:
        start = time.perf_counter()
        action()
        seconds = time.perf_counter() - start
    print(f"  {label:<28} {seconds:6.1f} s  {count / seconds:8,.0f} rows/s   "
          f"RSS {memory.start:.0f} → peak {memory.peak:.0f} MB (+{memory.peak - memory.start:.0f})", flush=True)
    return seconds


def run(url: str, fmt: str, table: list[list[str]]) -> bool:
    data = csv_file(table) if fmt == "csv" else xlsx_file(table)
    filename = f"名单.{fmt}"
    count = len(table)
    print(f"{fmt.upper()}: {count:,} rows, file {len(data) / 1e6:.1f} MB", flush=True)
    database, drop = fresh_database(url)
    try:
        with database.session() as session:
            school = School(code="10486", name="武汉大学")
            session.add(school)
            session.flush()
            school_id = school.id
        actor = Actor(kind=ActorKind.STAFF, id=None, name="bench registrar", role=Role.REGISTRAR, school_id=school_id)

        def validate() -> None:
            parsed = roster.parse_roster(data, filename)
            assert parsed.valid_rows == count and not parsed.errors, parsed.errors[:3]

        def import_() -> None:
            with database.session() as session:
                report = roster.import_roster(session, actor, school_id, data, filename)
            assert report.imported and report.created == count, (report.created, report.errors[:3])

        def reimport() -> None:
            with database.session() as session:
                report = roster.import_roster(session, actor, school_id, data, filename)
            assert report.unchanged == count, (report.unchanged, report.updated)

        checked = timed("validate (preview, report)", count, validate)
        imported = timed("import (new records)", count, import_)
        total = checked + imported
        verdict = "OK" if total <= TARGET_SECONDS * count / TARGET_ROWS else "OVER TARGET"
        print(f"  {'validate + import':<28} {total:6.1f} s  {count / total:8,.0f} rows/s   "
              f"target ≤ {TARGET_SECONDS * count / TARGET_ROWS:.0f} s for {count:,} rows: {verdict}", flush=True)
        timed("re-import (all unchanged)", count, reimport)
        with database.session() as session:
            stored = session.scalar(select(func.count(RosterRecord.id)))
        assert stored == count, stored
        return verdict == "OK"
    finally:
        drop()


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=TARGET_ROWS)
    parser.add_argument("--format", nargs="+", choices=("csv", "xlsx"), default=["csv", "xlsx"])
    parser.add_argument("--url", default="postgresql+psycopg://root@127.0.0.1:5432/test")
    args = parser.parse_args(argv)
    print(f"Roster import bench on {Database(args.url).dialect}; target: {TARGET_ROWS:,} rows in ≤ {TARGET_SECONDS:.0f} s "
          f"(validation the registrar waits for + the import)", flush=True)
    table = rows(args.rows)
    results = [run(args.url, fmt, table) for fmt in args.format]
    return 0 if all(results) else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
