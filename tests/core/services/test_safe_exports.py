"""Every file the product exports, fed hostile roster data, read back with openpyxl and csv: no cell
is a formula or starts like one, and every value is there with its characters intact (issue 13,
finding 2: such names became live formulas in the chase list and the CHSI manifest)."""

from __future__ import annotations

import csv
import io

import pytest

from core.domain.access import Actor
from core.domain.enums import Role
from core.domain.identity import normalise_text
from core.services import audit, batches, chase, roster
from tests import factories as f
from tests.core.hostile import FORMULAS, PLAIN, assert_safe_csv, assert_safe_xlsx
from tests.core.services import registrar_world as w

STORABLE = tuple(v for v in FORMULAS if "\t" not in v and "\r" not in v)
"""Formulas that pass ``clean_text`` (tab and CR are refused on the way in, see test_roster)."""
NAMES = tuple(value[:64] for value in STORABLE) + PLAIN[:1]


@pytest.fixture
def hostile(env, fixtures_dir):
    """A school whose roster names, departments and classes are formulas, each student with an
    approved photo, built into a CHSI batch."""
    db, store = env
    with db.session() as session:
        school = f.make_school(session)
        task = f.make_task(session, school)
        registrar = f.actor_of(f.make_staff(session, Role.REGISTRAR, "reg.whu", school=school))
        admin = f.actor_of(f.make_staff(session, Role.ADMIN, "admin"))
        for n, name in enumerate(NAMES):
            record = f.make_record(session, school, n + 1, name=name, department=STORABLE[n % len(STORABLE)],
                                   class_name=STORABLE[-1 - n % len(STORABLE)])
            w.approved_photo(session, store, task, record, fixtures_dir)
        batch_id = batches.build_batch(session, registrar, task.id, store).id
        task_id = task.id
    return db, registrar, admin, task_id, batch_id


@pytest.mark.parametrize("fmt", ["xlsx", "csv"])
def test_chase_list_export_neutralises_formulas_in_names_departments_and_classes(hostile, fmt):
    db, registrar, _, task_id, _ = hostile
    with db.session() as session:
        data = chase.export_chase_list(session, registrar, task_id, fmt)
    check = assert_safe_xlsx if fmt == "xlsx" else assert_safe_csv
    check(data, NAMES + STORABLE)


@pytest.mark.parametrize("fmt", ["xlsx", "csv"])
def test_chsi_manifest_neutralises_formulas_and_keeps_id_numbers_as_text(hostile, fmt):
    db, registrar, _, _, batch_id = hostile
    with db.session() as session:
        data = batches.manifest_file(session, registrar, batch_id, fmt)
        ids = [r.id_number for r in batches.manifest(session, registrar, batch_id)]
    check = assert_safe_xlsx if fmt == "xlsx" else assert_safe_csv
    check(data, NAMES + tuple(ids))
    with db.session() as session:
        assert batches.manifest_file(session, registrar, batch_id, fmt) == data  # byte-identical again


@pytest.mark.parametrize("fmt", ["xlsx", "csv"])
def test_audit_export_neutralises_formulas_in_actor_names_and_details(hostile, fmt):
    db, _, admin, _, _ = hostile
    with db.session() as session:
        for n, name in enumerate(STORABLE):
            audit.record(session, Actor.student(n + 1, name), "student.note", "roster_record", n + 1, note=name)
    with db.session() as session:
        data = audit.export(session, admin, audit.AuditFilter(action="student."), fmt)
    check = assert_safe_xlsx if fmt == "xlsx" else assert_safe_csv
    check(data, STORABLE)


def roster_csv(rows: list[list[str]]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["姓名", "学号", "身份证号", "学历类别", "届别", "院系", "班级"])
    writer.writerows(rows)
    return out.getvalue().encode("utf-8")


STORED = tuple(dict.fromkeys(normalise_text(v) for v in STORABLE))
"""What the import keeps of them: cells are trimmed, full-width forms made half-width."""


def test_roster_validation_and_change_reports_neutralise_formulas(db):
    with db.session() as session:
        school = f.make_school(session)
        registrar = f.actor_of(f.make_staff(session, Role.REGISTRAR, "reg.whu", school=school))
        school_id = school.id
    first = roster_csv([[f"学生{n}", f"21100{n:05d}", f.id_number(n), "普通本专科", "2025届", "计算机学院", "1班"]
                        for n in range(len(STORABLE))])
    with db.session() as session:
        assert roster.import_roster(session, registrar, school_id, first, "名单.csv").created == len(STORABLE)
    # the same students, now with formulas as departments, and formulas as categories (unknown: errors)
    second = roster_csv([[f"学生{n}", f"21100{n:05d}", f.id_number(n), "普通本专科", "2025届", value, "1班"]
                         for n, value in enumerate(STORABLE)]
                        + [[f"新生{n}", f"21200{n:05d}", f.id_number(n), value, "2025届", "", ""]
                           for n, value in enumerate(STORABLE)])
    with db.session() as session:
        report = roster.import_roster(session, registrar, school_id, second, "名单.csv", import_valid_rows=True)
    assert report.imported and report.updated == len(STORABLE) and report.parsed.invalid_rows == len(STORABLE)
    assert_safe_csv(roster.change_report_csv(report), STORED)
    rows = assert_safe_csv(roster.validation_report_csv(report.parsed), STORED)
    assert rows[0] == ["行号", "字段", "值", "问题"] and len(rows) == len(STORABLE) + 1
