"""Support lookup at 1 000 000 roster records on PostgreSQL (target: every lookup ≤ 300 ms).

Run from the project root::

    .venv/bin/python -m bench.bench_lookup [--records 1000000] [--url postgresql+psycopg://root@127.0.0.1:5432/test]

A fresh database is filled in SQL with set-based ``INSERT … SELECT generate_series``: 100 schools,
the records with generated Chinese names (surname + two given-name characters), 18-character ID
numbers, 80 % linked to a WeChat account, 50 000 tickets; plus the guide's demo student 丁白云
(2110216052, ID ending 2414) with a payment and a ticket. Then ``support.search`` and
``support.student_view`` run as the lookup page calls them: best and median of 5 runs each, with
the plan PostgreSQL chose for a fragment inside names, the one lookup no btree index can serve:
it is opt-in on the page and timed separately.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from sqlalchemy import create_engine, select, text  # noqa: E402

from bench.bench_dashboard import insert  # noqa: E402
from core.db import Database  # noqa: E402
from core.domain.access import Actor  # noqa: E402
from core.domain.enums import ActorKind, Role  # noqa: E402
from core.models import Base, RosterRecord  # noqa: E402
from core.services import support  # noqa: E402

TARGET_MS = 300.0
RUNS = 5
SCHOOLS = 100
TICKETS = 50_000
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕任沈姚卢"
GIVEN = "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超兰霞平刚桂华宇浩然子涵欣怡梓萱一诺雨轩思远嘉俊"
DEMO_ID = "420106200303152414"


def sql_array(chars: str) -> str:
    return "(ARRAY[" + ", ".join(f"'{c}'" for c in chars) + "])"


def populate(conn, records: int) -> None:
    t = Base.metadata.tables
    insert(conn, t["school"], {"code": "(10000 + g)::text", "name": "'学校' || g"}, "FROM generate_series(1, :n) g",
           n=SCHOOLS)
    insert(conn, t["collection_task"], {
        "school_id": "g", "category": "'regular'", "cohort": "'2025届'", "title": "'2025届毕业生学历图像采集'",
        "opens_on": "current_date - 40", "closes_on": "current_date + 20", "price_fen": "2500",
        "background": "'blue'", "mailing_mode": "'to_school'", "status": "'open'"},
        "FROM generate_series(1, :n) g", n=SCHOOLS)
    s, g_ = sql_array(SURNAMES), sql_array(GIVEN)
    ns, ng = len(SURNAMES), len(GIVEN)
    id_number = ("'420106' || (1995 + g % 10)::text || lpad((1 + g % 12)::text, 2, '0') "
                 "|| lpad((1 + g % 28)::text, 2, '0') || lpad((g % 10000)::text, 4, '0')")
    insert(conn, t["roster_record"], {
        "id": "g", "school_id": f"1 + g % {SCHOOLS}",
        "name": f"{s}[1 + g % {ns}] || {g_}[1 + (g / {ns}) % {ng}] || {g_}[1 + (g / {ns * ng}) % {ng}]",
        "student_number": "'21' || lpad(g::text, 8, '0')", "id_number": id_number,
        "id_last4": "right(lpad((g % 10000)::text, 4, '0'), 4)", "category": "'regular'", "cohort": "'2025届'"},
        "FROM generate_series(1, :n) g", n=records)
    linked = "FROM generate_series(1, :n) g WHERE g % 10 < 8"
    insert(conn, t["student_account"], {"id": "g", "wechat_openid": "'oWX' || md5(g::text)",
                                        "nickname": "'同学' || g"}, linked, n=records)
    insert(conn, t["account_link"], {"account_id": "g", "roster_record_id": "g",
                                     "task_id": f"1 + g % {SCHOOLS}", "active": "true"}, linked, n=records)
    insert(conn, t["support_ticket"], {
        "number": "'T261101' || lpad(g::text, 5, '0')", "roster_record_id": f"1 + (g * 7919) % {records}",
        "school_id": f"1 + ((g * 7919) % {records} + 1) % {SCHOOLS}", "channel": "'hotline'",
        "category": "'payment'", "priority": "'normal'", "status": "CASE WHEN g % 5 = 0 THEN 'open' ELSE 'resolved' END",
        "subject": "'来电'", "due_at": "now() + interval '1 day'"},
        "FROM generate_series(1, :n) g", n=TICKETS)
    demo = records + 1
    insert(conn, t["roster_record"], {
        "id": str(demo), "school_id": "1", "name": "'丁白云'", "student_number": "'2110216052'",
        "id_number": f"'{DEMO_ID}'", "id_last4": "'2414'", "category": "'regular'", "cohort": "'2025届'"}, "")
    insert(conn, t["student_account"], {"id": str(demo), "wechat_openid": "'oWX-dingbaiyun'", "nickname": "'丁同学'"}, "")
    insert(conn, t["account_link"], {"account_id": str(demo), "roster_record_id": str(demo), "task_id": "1",
                                     "active": "true"}, "")
    insert(conn, t["payment"], {"order_no": "'WBDEMO1'", "account_id": str(demo), "roster_record_id": str(demo),
                                "task_id": "1", "purpose": "'task_fee'", "amount_fen": "2500", "status": "'paid'",
                                "paid_at": "now()"}, "")
    insert(conn, t["support_ticket"], {
        "number": "'T26110199999'", "roster_record_id": str(demo), "school_id": "1", "channel": "'hotline'",
        "category": "'quota_exceeded'", "priority": "'high'", "status": "'open'", "subject": "'次数用完'",
        "due_at": "now() + interval '8 hours'"}, "")
    for table in ("student_account", "roster_record", "support_ticket"):
        conn.execute(text(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))"))


def timed(label: str, call) -> float:
    times, found = [], 0
    for _ in range(RUNS):
        start = time.perf_counter()
        found = call()
        times.append((time.perf_counter() - start) * 1000)
    best, median = min(times), statistics.median(times)
    verdict = "OK" if median <= TARGET_MS else "OVER TARGET"
    print(f"  {label:<44} {found:>3} hits   best {best:6.1f} ms   median {median:6.1f} ms   "
          f"target ≤ {TARGET_MS:.0f} ms   {verdict}", flush=True)
    return median


def run(url: str, records: int) -> None:
    name = f"wb_bench_lookup_{records}"
    admin_engine = create_engine(Database(url).engine.url, isolation_level="AUTOCOMMIT")
    with admin_engine.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    database = Database(Database(url).engine.url.set(database=name).render_as_string(hide_password=False))
    try:
        Base.metadata.create_all(database.engine)
        start = time.perf_counter()
        with database.engine.begin() as conn:
            populate(conn, records)
        with database.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("VACUUM ANALYZE"))
        print(f"\n{records:,} roster records, {SCHOOLS} schools, {TICKETS:,} tickets "
              f"(generated in {time.perf_counter() - start:.1f} s)", flush=True)
        agent = Actor(kind=ActorKind.STAFF, id=1, name="agent", role=Role.SUPPORT)
        with database.session() as session:
            sample = session.get(RosterRecord, records // 2)
            full_name, number = sample.name, sample.student_number

        def lookup(query: str, anywhere: bool = False) -> int:
            with database.session() as session:
                return len(support.search(session, agent, query, anywhere_in_name=anywhere))

        def view() -> int:
            with database.session() as session:
                demo = session.scalar(select(RosterRecord.id).where(RosterRecord.student_number == "2110216052"))
                result = support.student_view(session, agent, demo)
                return len(result.links) + len(result.payments) + len(result.tickets)

        timed("ID last 4 (2414)", lambda: lookup("2414"))
        timed(f"student number, exact ({number})", lambda: lookup(number))
        timed(f"student number, prefix ({number[:8]})", lambda: lookup(number[:8]))
        timed(f"full name ({full_name})", lambda: lookup(full_name))
        timed(f"name prefix ({full_name[:2]})", lambda: lookup(full_name[:2]))
        timed("name that does not exist (欧阳修远)", lambda: lookup("欧阳修远"))
        timed("WeChat nickname (丁同学)", lambda: lookup("丁同学"))
        timed("WeChat openid", lambda: lookup("oWX-dingbaiyun"))
        timed("ticket number (T26110199999)", lambda: lookup("T26110199999"))
        timed("360° view of the demo student", view)
        print("  opt-in scans (the agent ticks 'also match inside names'; not held to the target):")
        timed("inside names, rare (白云: 1 match, full scan)", lambda: lookup("白云", True))
        timed("inside names, common (杰桂: stops at 20)", lambda: lookup("杰桂", True))
        with database.engine.connect() as conn:
            plan = conn.execute(text("EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF) SELECT id FROM roster_record "
                                     "WHERE name LIKE '%白云%' LIMIT 20")).scalars().all()
        print("  plan of the name fragment (no btree index can serve '%…%'):")
        for line in plan:
            print(f"    {line}")
    finally:
        database.dispose()
        with admin_engine.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin_engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, nargs="+", default=[1_000_000])
    parser.add_argument("--url", default="postgresql+psycopg://root@127.0.0.1:5432/test")
    args = parser.parse_args()
    print(f"Support lookup bench on PostgreSQL; target: each lookup ≤ {TARGET_MS:.0f} ms (median of {RUNS})")
    for size in args.records:
        run(args.url, size)


if __name__ == "__main__":
    main()
