"""The progress dashboard at 100 000 and 1 000 000 submissions on PostgreSQL (target: the whole
dashboard in ≤ 1 s).

Run from the project root::

    .venv/bin/python -m bench.bench_dashboard [--sizes 100000 1000000] [--url postgresql+psycopg://root@127.0.0.1:5432/test]

Each size gets a fresh database, filled in SQL with set-based ``INSERT … SELECT generate_series``:
40 schools with one task each, 0.4 roster records per submission (80 % linked, 70 % paid), and
submissions in every state over 40 days with review decisions (photo hashes shared from a pool of
1 000, as the store would deduplicate); each student's furthest stage (``PhotoProgress``, which the
services keep on every submission change) is built from them at the end. Then ``dashboard.progress`` runs, as the real page calls
it, for the admin's all-schools view, one school, and one task: 5 runs each. Besides the wall time
it reports the CPU time the database backend spent (parallel workers off for that run), which does
not depend on what else the machine is doing: on a shared, loaded machine that is the figure to read.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from sqlalchemy import Table, create_engine, text  # noqa: E402
from sqlalchemy.engine import Connection  # noqa: E402

from core.db import Database  # noqa: E402
from core.domain.access import Actor  # noqa: E402
from core.domain.enums import ActorKind, Role  # noqa: E402
from core.models import Base, rebuild_progress  # noqa: E402
from core.services import dashboard  # noqa: E402

TARGET_SECONDS = 1.0
SCHOOLS = 40
RUNS = 5
# submission state by g % 20: what a task a few weeks before its deadline looks like
STATES = ("replaced", "replaced", "auto_blocked", "rejected", "rejected", "awaiting_review", "awaiting_review",
          *["approved"] * 9, "in_batch", "in_batch", "on_chsi", "on_chsi")
REASONS = ("blurred", "face_shadow", "eyes_closed", "head_tilted", "background", "glasses_glare", "hair_covers",
           "not_same_person", "rephotographed", "derived_from_admission", "other")


def insert(conn: Connection, table: Table, values: dict[str, str], source: str, **params: object) -> None:
    """INSERT … SELECT with the given SQL expressions; every other NOT NULL column gets its model
    default (so columns other helpers add later do not break the bench)."""
    columns = dict(values)
    for column in table.columns:
        if column.name not in columns and not column.nullable and not column.primary_key:
            columns[column.name] = _default_sql(column)
    names = ", ".join(f'"{n}"' for n in columns)
    conn.execute(text(f'INSERT INTO "{table.name}" ({names}) SELECT {", ".join(columns.values())} {source}'), params)


def _default_sql(column) -> str:
    default = column.default
    if default is None:
        return "''"
    if default.is_callable:
        return {"utcnow": "now()", "list": "'[]'", "dict": "'{}'"}[default.arg.__name__]
    value = getattr(default.arg, "value", default.arg)
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value) if isinstance(value, (int, float)) else f"'{value}'"


def populate(conn: Connection, submissions: int) -> dict[str, int]:
    t = Base.metadata.tables
    records = int(submissions * 0.4) // 10 * 10
    insert(conn, t["school"], {"code": "(10000 + g)::text", "name": "'学校' || g"}, "FROM generate_series(1, :n) g",
           n=SCHOOLS)
    insert(conn, t["collection_task"], {
        "school_id": "g", "category": "'regular'", "cohort": "'2025届'", "title": "'2025届毕业生学历图像采集'",
        "opens_on": "current_date - 40", "closes_on": "current_date + 20", "price_fen": "2500",
        "background": "'blue'", "mailing_mode": "'to_school'", "status": "'open'"},
        "FROM generate_series(1, :n) g", n=SCHOOLS)
    insert(conn, t["staff_user"], {"username": "'reviewer'", "display_name": "'Reviewer'", "role": "'reviewer'",
                                   "password_hash": "'x'"}, "")
    # record g: school 1 + g % SCHOOLS; linked when (g-1) % 10 < 8, paid when < 7
    insert(conn, t["roster_record"], {
        "id": "g", "school_id": f"1 + g % {SCHOOLS}", "name": "'学生' || g", "student_number": "lpad(g::text, 10, '0')",
        "id_number": "'420106200301' || lpad(g::text, 6, '0')", "id_last4": "right(lpad(g::text, 6, '0'), 4)",
        "category": "'regular'", "cohort": "'2025届'", "department": "'学院' || (g % 12)",
        "class_name": "'班' || (g % 60)", "has_chsi_photo": "g % 50 = 0"},
        "FROM generate_series(1, :n) g", n=records)
    insert(conn, t["student_account"], {"id": "g", "wechat_openid": "'o' || g", "nickname": "'同学' || g"},
           "FROM generate_series(1, :n) g WHERE (g - 1) % 10 < 8", n=records)
    insert(conn, t["account_link"], {"account_id": "g", "roster_record_id": "g", "task_id": f"1 + g % {SCHOOLS}",
                                     "active": "true"},
           "FROM generate_series(1, :n) g WHERE (g - 1) % 10 < 8", n=records)
    insert(conn, t["payment"], {
        "order_no": "'P' || g", "account_id": "g", "roster_record_id": "g", "task_id": f"1 + g % {SCHOOLS}",
        "purpose": "'task_fee'", "amount_fen": "2500", "status": "'paid'", "paid_at": "now()"},
        "FROM generate_series(1, :n) g WHERE (g - 1) % 10 < 7", n=records)
    states = "(ARRAY[" + ", ".join(f"'{s}'" for s in STATES) + "])"
    # submission g belongs to a paid record: rid - 1 = 10 * q + d with d in 0..6
    rid = f"(10 * (g % {records // 10}) + (g / {records // 10}) % 7 + 1)"
    insert(conn, t["submission"], {
        "roster_record_id": rid, "task_id": f"1 + {rid} % {SCHOOLS}", "account_id": rid,
        "state": f"{states}[1 + g % 20]", "attempt_number": "1",
        "raw_sha": "lpad(to_hex(g % 1000), 64, '0')", "standardised_sha": "lpad(to_hex(g % 1000 + 5000), 64, '0')",
        "captured_at": "now() - (g % 40) * interval '1 day' - (g % 86400) * interval '1 second'",
        "submitted_at": "now() - (g % 40) * interval '1 day' - (g % 86400) * interval '1 second'",
        "decided_at": "CASE WHEN g % 20 >= 3 AND g % 20 NOT IN (5, 6) THEN now() - (g % 40) * interval '1 day' END"},
        "FROM generate_series(1, :n) g", n=submissions)
    reasons = "(ARRAY[" + ", ".join(f"'{r}'" for r in REASONS) + "])"
    insert(conn, t["review_decision"], {
        "submission_id": "s.id", "reviewer_id": "1",
        "decision": "CASE WHEN s.state = 'rejected' THEN 'reject' ELSE 'approve' END",
        "reason_code": f"CASE WHEN s.state = 'rejected' THEN {reasons}[1 + s.id % 11] END",
        "decided_at": "s.decided_at"},
        "FROM submission s WHERE s.decided_at IS NOT NULL")
    rebuild_progress(conn)  # rows inserted in SQL bypass the session that keeps it
    for table in ("student_account", "roster_record"):
        conn.execute(text(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))"))
    return {"records": records, "decisions": conn.execute(text("SELECT count(*) FROM review_decision")).scalar_one()}


def backend_cpu_seconds(pid: int) -> float:
    """CPU time the PostgreSQL backend has used: what the queries cost, whatever else the machine runs."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def timed(label: str, database: Database, actor: Actor, **scope: int) -> None:
    """Wall time (as configured, parallel workers allowed) and the backend's CPU time (parallel
    workers off, so all the work is counted in one process) of the whole dashboard."""
    walls, cpus = [], []
    for _ in range(RUNS):
        with database.session() as session:
            start = time.perf_counter()
            assert dashboard.progress(session, actor, **scope).funnel.roster > 0
            walls.append(time.perf_counter() - start)
        with database.session() as session:
            session.execute(text("SET LOCAL max_parallel_workers_per_gather = 0"))
            pid = session.execute(text("SELECT pg_backend_pid()")).scalar_one()
            before = backend_cpu_seconds(pid)
            dashboard.progress(session, actor, **scope)
            cpus.append(backend_cpu_seconds(pid) - before)
    wall, cpu = statistics.median(walls), statistics.median(cpus)
    print(f"  {label:<24} wall median {wall * 1000:6.0f} ms (best {min(walls) * 1000:5.0f})   "
          f"database CPU median {cpu * 1000:6.0f} ms   target ≤ {TARGET_SECONDS * 1000:.0f} ms   "
          f"{'OK' if wall <= TARGET_SECONDS else 'wall OVER TARGET'}   load average {os.getloadavg()[0]:.1f}",
          flush=True)


def run(url: str, submissions: int) -> None:
    name = f"wb_bench_dashboard_{submissions}"
    admin_engine = create_engine(Database(url).engine.url, isolation_level="AUTOCOMMIT")
    with admin_engine.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    database = Database(Database(url).engine.url.set(database=name).render_as_string(hide_password=False))
    try:
        Base.metadata.create_all(database.engine)
        start = time.perf_counter()
        with database.engine.begin() as conn:
            sizes = populate(conn, submissions)
        with database.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("VACUUM ANALYZE"))
        print(f"\n{submissions:,} submissions, {sizes['records']:,} roster records, {sizes['decisions']:,} decisions, "
              f"{SCHOOLS} schools (generated in {time.perf_counter() - start:.1f} s)", flush=True)
        admin = Actor(kind=ActorKind.STAFF, id=1, name="admin", role=Role.ADMIN)
        registrar = Actor(kind=ActorKind.STAFF, id=2, name="registrar", role=Role.REGISTRAR, school_id=7)

        timed("admin, all schools", database, admin)
        timed("registrar, own school", database, registrar)
        timed("registrar, one task", database, registrar, task_id=7)
    finally:
        database.dispose()
        with admin_engine.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin_engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[100_000, 1_000_000])
    parser.add_argument("--url", default="postgresql+psycopg://root@127.0.0.1:5432/test")
    args = parser.parse_args()
    print(f"Dashboard bench on PostgreSQL; target: whole dashboard ≤ {TARGET_SECONDS:.0f} s")
    for size in args.sizes:
        run(args.url, size)


if __name__ == "__main__":
    main()
