"""The review queue at 100 000 submissions on PostgreSQL: claim-next latency and
decide-and-claim-next latency at the service layer (targets: median ≤ 50 ms, p95 ≤ 150 ms).

Run from the project root::

    .venv/bin/python -m bench.bench_queue [--submissions 100000] [--url postgresql+psycopg://root@127.0.0.1:5432/test]

A fresh database is made. Four students' real captures (London fixtures) go through the services
and the real imaging pipeline (standardise, face comparison, submit); then set-based
``INSERT … SELECT generate_series`` adds the other submissions sharing those processed photos (the
issue allows shared photos): 3 schools × 2 tasks, a spread of face bands, quality flags and
resubmission counts, 70 % waiting for review and 30 % already decided (with their decisions).

Each timed call is the whole unit of work a page waits for: open a session, call the service,
commit. Measured for one reviewer, then with 8 reviewers (separate processes) working at once: at a
brisk human pace (one photo a second each, the figure held to the targets) and with no pause at all
(a saturation figure, printed for information: on a small machine it measures the CPU queue).
"""

from __future__ import annotations

import argparse
import statistics
import multiprocessing
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from sqlalchemy import create_engine, func, select, text  # noqa: E402

from bench.bench_dashboard import insert  # noqa: E402
from core.config import fixtures_dir  # noqa: E402
from core import worker  # noqa: E402
from core.db import Database  # noqa: E402
from core.domain.access import Actor  # noqa: E402
from core.domain.enums import Decision, Role  # noqa: E402
from core.models import Base, StaffUser, Submission  # noqa: E402
from core.services import review, staff  # noqa: E402
from core.services.review import QueueFilter  # noqa: E402
from core.storage.photos import LocalPhotoStore, PhotoStore  # noqa: E402

MEDIAN_TARGET_MS, P95_TARGET_MS = 50.0, 150.0
FIXTURES = fixtures_dir("london")
PEOPLE = ("003", "005", "007", "001")
SAMPLES = 400
REVIEWERS = 8


def real_photos(db: Database, store: PhotoStore) -> list[int]:
    """The students' captures through the services and the real pipeline (jobs inline)."""
    from tests import factories as f

    worker.configure(db, store, immediate=True)
    ids = []
    with db.session() as session:
        school = f.make_school(session, "10486", "武汉大学")
        task = f.make_task(session, school)
        for seed, person in enumerate(PEOPLE, start=1):
            record = f.make_record(session, school, seed, name=f"真实{person}")
            f.set_enrolment_photo(session, store, record, FIXTURES / f"{person}_neutral.jpg")
            session.commit()
            student = f.make_linked_student(session, task, record)
            ids.append(f.submit_photo(session, store, student, FIXTURES / f"{person}_smiling.jpg").id)
    worker.configure(None, None)
    return ids


def populate(db: Database, templates: list[int], total: int) -> None:
    """The other submissions, sharing the real ones' photos, in set-based SQL."""
    t = Base.metadata.tables
    with db.session() as session:
        shared = [session.get(Submission, i) for i in templates]
        reviewers = [staff.create_staff(session, Actor.system("bench"), username=f"r{i}", display_name=f"审核员{i}",
                                        role=Role.REVIEWER, password="Bench2025pass", must_change_password=False).id
                     for i in range(REVIEWERS + 3)]
    n = total - len(templates)
    k = len(shared)
    pick = lambda column: "(ARRAY[" + ", ".join(  # noqa: E731
        "NULL" if getattr(s, column) is None else f"'{getattr(s, column)}'" for s in shared) + f"])[1 + g % {k}]"
    with db.engine.begin() as conn:
        insert(conn, t["school"], {"code": "(10486 + g)::text", "name": "'学校' || g"},
               "FROM generate_series(1, 2) g")
        insert(conn, t["collection_task"], {
            "school_id": "1 + g % 3", "category": "CASE WHEN g % 2 = 0 THEN 'regular' ELSE 'graduate' END",
            "cohort": "'2025届'", "title": "'采集任务' || g", "opens_on": "current_date - 40",
            "closes_on": "current_date + 20", "price_fen": "2500", "background": "'blue'",
            "mailing_mode": "'to_school'", "status": "'open'"}, "FROM generate_series(1, 5) g")
        offset = 1000
        insert(conn, t["roster_record"], {
            "id": f"{offset} + g", "school_id": "1 + g % 3", "name": "'学生' || g",
            "student_number": "'23' || lpad(g::text, 8, '0')", "id_number": "'42010620030101' || lpad((g % 10000)::text, 4, '0')",
            "id_last4": "lpad((g % 10000)::text, 4, '0')", "category": "'regular'", "cohort": "'2025届'"},
            "FROM generate_series(1, :n) g", n=n)
        insert(conn, t["submission"], {
            "roster_record_id": f"{offset} + g", "task_id": "1 + g % 6",
            "state": "CASE WHEN g % 10 < 7 THEN 'awaiting_review' WHEN g % 10 < 9 THEN 'approved' ELSE 'rejected' END",
            "version": "1", "attempt_number": "1 + (g % 20 = 0)::int + (g % 100 = 0)::int",
            "on_temporary_code": "false", "raw_sha": pick("raw_sha"), "standardised_sha": pick("standardised_sha"),
            "thumbnail_sha": pick("thumbnail_sha"), "quality_ok": "g % 7 <> 0", "quality_report": "'[]'",
            "quality_flags": "CASE WHEN g % 7 = 0 THEN 'sharpness' WHEN g % 11 = 0 THEN 'hair_top,lighting' ELSE '' END",
            "face_distance": "0.3", "face_similarity": "80 + g % 20",
            "face_verdict": "CASE WHEN g % 13 = 0 THEN 'uncertain' WHEN g % 29 = 0 THEN NULL ELSE 'same' END",
            "captured_at": "now() - interval '10 days' + g * interval '5 seconds'",
            "submitted_at": "now() - interval '10 days' + g * interval '5 seconds'",
            "decided_at": "CASE WHEN g % 10 >= 7 THEN now() - interval '1 day' END",
            "needs_second_review": "g % 10 = 7 AND g % 3 = 0"},
            "FROM generate_series(1, :n) g", n=n)
        insert(conn, t["review_decision"], {
            "submission_id": "s.id", "reviewer_id": f"{reviewers[0]} + s.id % {len(reviewers)}",
            "decision": "CASE WHEN s.state = 'approved' THEN 'approve' ELSE 'reject' END",
            "reason_code": "CASE WHEN s.state = 'rejected' THEN 'blurred' END", "note": "''",
            "is_second_review": "false", "seconds_spent": "5 + s.id % 30", "decided_at": "s.decided_at",
            "local_day": "(s.decided_at AT TIME ZONE 'Asia/Shanghai')::date"},
            "FROM submission s WHERE s.state IN ('approved', 'rejected')")
        conn.execute(text("ANALYZE"))


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(share * (len(ordered) - 1))))]


def report(label: str, seconds: list[float]) -> bool:
    ms = [s * 1000 for s in seconds]
    median, p95 = statistics.median(ms), percentile(ms, 0.95)
    ok = median <= MEDIAN_TARGET_MS and p95 <= P95_TARGET_MS
    print(f"{label:<58} n={len(ms):<5} median {median:7.1f} ms (target ≤ {MEDIAN_TARGET_MS:.0f})   "
          f"p95 {p95:7.1f} ms (target ≤ {P95_TARGET_MS:.0f})   {'OK' if ok else 'MISSED'}", flush=True)
    return ok


def timed(db: Database, call) -> tuple[float, object]:
    began = time.perf_counter()
    with db.session() as session:
        result = call(session)
    return time.perf_counter() - began, result


def claim_id(session, actor: Actor, filters: QueueFilter | None = None) -> int | None:
    claimed = review.claim_next(session, actor, filters or QueueFilter())
    return claimed.submission_id if claimed else None


def decide_and_next_id(session, actor: Actor, current: int, decision: Decision) -> int | None:
    reason = None if decision is Decision.APPROVE else "blurred"
    _, following = review.decide_and_claim_next(session, actor, current, decision, reason_code=reason)
    return following.submission_id if following else None


def claim_loop(db: Database, actor: Actor, filters: QueueFilter, samples: int) -> list[float]:
    """Claim (timed), then decide (not timed): every claim is a real pick of a new photo."""
    out = []
    for _ in range(samples):
        seconds, claimed = timed(db, lambda s: claim_id(s, actor, filters))
        out.append(seconds)
        if claimed is None:
            break
        with db.session() as session:
            review.decide(session, actor, claimed, Decision.APPROVE)
    return out


def decide_loop(db: Database, actor: Actor, samples: int, pause: float = 0.0) -> list[float]:
    """Decide the held photo and take the next, ``samples`` times, ``pause`` seconds apart."""
    out = []
    _, current = timed(db, lambda s: claim_id(s, actor))
    for i in range(samples):
        decision = Decision.APPROVE if i % 5 else Decision.REJECT
        seconds, current = timed(db, lambda s, current=current, decision=decision: decide_and_next_id(s, actor, current, decision))
        out.append(seconds)
        if current is None:
            break
        time.sleep(pause)
    return out


def reviewer_process(url: str, reviewer_id: int, samples: int, start_at: float, pause: float) -> list[float]:
    """One reviewer in its own process (as behind separate app servers): no shared interpreter lock."""
    db = Database(url)
    with db.session() as session:
        actor = staff.actor_for(session.get(StaffUser, reviewer_id))
    time.sleep(max(0.0, start_at - time.time()))
    try:
        return decide_loop(db, actor, samples, pause)
    finally:
        db.dispose()


def together(url: str, reviewer_ids: list[int], samples: int, pause: float, label: str) -> bool:
    """The reviewers working at once, each in its own process, ``pause`` seconds between photos."""
    start_at = time.time() + 5
    with multiprocessing.get_context("spawn").Pool(len(reviewer_ids)) as pool:
        series = pool.starmap(reviewer_process, [(url, r, samples, start_at, pause) for r in reviewer_ids])
    return report(f"decide-and-claim-next ({len(reviewer_ids)} reviewers, {label})", [s for one in series for s in one])


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--submissions", type=int, default=100_000)
    parser.add_argument("--url", default="postgresql+psycopg://root@127.0.0.1:5432/test")
    parser.add_argument("--keep", action="store_true", help="keep the bench database afterwards")
    args = parser.parse_args(argv)

    name = f"bench_queue_{uuid.uuid4().hex[:8]}"
    admin = create_engine(Database(args.url).engine.url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = Database(args.url).engine.url.set(database=name).render_as_string(hide_password=False)
    db = Database(url)
    try:
        Base.metadata.create_all(db.engine)
        began = time.perf_counter()
        with tempfile.TemporaryDirectory() as folder:
            templates = real_photos(db, LocalPhotoStore(Path(folder)))
            populate(db, templates, args.submissions)
        with db.session() as session:
            total = session.scalar(select(func.count(Submission.id)))
            actors = [staff.actor_for(u) for u in session.scalars(
                select(StaffUser).where(StaffUser.username.like("r%")).order_by(StaffUser.id))]
            waiting = review.queue_depth(session, actors[0]).waiting
        print(f"database {name}: {total:,} submissions, {waiting:,} waiting for review "
              f"(built in {time.perf_counter() - began:.0f} s)", flush=True)

        results = [
            report("claim-next (1 reviewer)", claim_loop(db, actors[0], QueueFilter(), SAMPLES)),
            report("claim-next, filtered school+band (1 reviewer)",
                   claim_loop(db, actors[1], QueueFilter(school_id=2, band="uncertain"), SAMPLES // 4)),
            report("decide-and-claim-next (1 reviewer)", decide_loop(db, actors[2], SAMPLES)),
        ]
        team = [a.id for a in actors[3:3 + REVIEWERS]]
        results.append(together(url, team, 30, 1.0, "1 photo/s each"))
        together(url, team, SAMPLES // 2, 0.0, "no pause: saturation")
        return 0 if all(results) else 1
    finally:
        db.dispose()
        if not args.keep:
            with admin.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
