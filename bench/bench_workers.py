"""Photos standardised per second by 1 and by 2 worker processes on the same Redis queue, each
worker's numeric libraries on one thread (target on this 2-core machine: 2 workers ≥ 1.8× one),
with each worker's peak memory.

Run from the project root::

    .venv/bin/python -m bench.bench_workers [--photos 120] [--url postgresql+psycopg://…]

For each count, a fresh PostgreSQL database gets ``--photos`` linked, paid students, each with a
real enrolment photo and one standardisation requested through the services (a real London
portrait, so every job runs the whole pipeline: standardise, check, compare with the enrolment
photo). The jobs wait as rows; then the workers start (``python -m core worker``, as ``make run``
starts them). The clock starts once every worker holds a job (start-up imports are not photo
work) and stops when the last job is done; photos/s counts the jobs finished in between. Peak RSS
is each worker's VmHWM at the end. The workers run at normal priority here (WORKBENCH_WORKER_NICE=0):
on a machine other work shares, a lowered priority would measure that work, not ours.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from sqlalchemy import func, select  # noqa: E402

from bench import scale_world as sw  # noqa: E402
from core.db import Database  # noqa: E402
from core.domain.enums import JobStatus  # noqa: E402
from core.models import ProcessingJob  # noqa: E402

SPEED_UP_TARGET = 1.8


@dataclass(frozen=True)
class Rate:
    workers: int
    photos: int
    photos_per_s: float
    peak_rss_mb: tuple[float, ...]
    failed: int
    load: str


def _request_standardisations(database_url: str, store_dir: Path, world: sw.World, crowd: list[sw.Person]) -> None:
    """Each student linked and paid, one capture uploaded; its job waits as a row (no worker yet)."""
    from core import worker
    from core.models import CollectionTask, RosterRecord
    from core.services import submissions
    from core.storage.photos import LocalPhotoStore
    from tests import factories as f

    db, store = Database(database_url), LocalPhotoStore(store_dir)
    worker.configure(db, store, immediate=False)
    try:
        with db.session() as session:
            task = session.get(CollectionTask, world.task_id)
            for student in world.students:
                record = session.get(RosterRecord, student.record_id)
                linked = f.make_linked_student(session, task, record)
                submissions.request_standardisation(session, linked.actor, linked.link.id,
                                                    crowd[student.person].capture, store)
    finally:
        worker.configure(None, None)
        db.dispose()


def _counts(db: Database) -> tuple[int, int, int, int]:
    """Jobs done, failed, waiting or running, and distinct workers holding one."""
    with db.session() as session:
        rows = {status: count for status, count in session.execute(
            select(ProcessingJob.status, func.count(ProcessingJob.id))
            .where(ProcessingJob.kind == "process_submission").group_by(ProcessingJob.status))}
        holders = session.scalar(select(func.count(func.distinct(ProcessingJob.lease_owner)))
                                 .where(ProcessingJob.status == JobStatus.RUNNING)) or 0
    pending = rows.get(JobStatus.QUEUED, 0) + rows.get(JobStatus.RUNNING, 0)
    return rows.get(JobStatus.DONE, 0), rows.get(JobStatus.FAILED, 0), pending, int(holders)


def measure(workers: int, photos: int, url: str, crowd: list[sw.Person], *, nice: int = 0,
            timeout: float = 1800) -> Rate:
    database_url, name = sw.fresh_database(url, "workers")
    queue_name = f"scale-workers-{uuid.uuid4().hex[:8]}"
    procs = []
    with tempfile.TemporaryDirectory(prefix="scale-workers-") as work:
        data_dir = Path(work)
        db = Database(database_url)
        try:
            world = sw.seed(database_url, data_dir / "photos", photos, crowd)
            _request_standardisations(database_url, data_dir / "photos", world, crowd)
            env = sw.environment(database_url, data_dir, queue_name, WORKBENCH_WORKER_NICE=str(nice))
            procs = sw.start_workers(workers, env, data_dir / "logs")
            if not sw.wait_until(lambda: _counts(db)[3] >= workers or _counts(db)[2] == 0, timeout, 0.05):
                raise SystemExit("the workers did not start")
            started, (done0, _, _, _) = time.monotonic(), _counts(db)
            if not sw.wait_until(lambda: _counts(db)[2] == 0, timeout, 0.1):
                raise SystemExit("the workers did not finish in time")
            elapsed = time.monotonic() - started
            done, failed, _, _ = _counts(db)
            rss = tuple(sw.peak_rss_mb(p.pid) for p in procs)
            load = sw.load_average()
        finally:
            sw.stop(procs)
            db.dispose()
            sw.forget_queue(queue_name)
            sw.drop_database(url, name)
    return Rate(workers, photos, (done + failed - done0) / elapsed, rss, failed, load)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--photos", type=int, default=120)
    parser.add_argument("--url", default=sw.PG_URL, help="PostgreSQL server (a fresh database is made on it)")
    args = parser.parse_args(argv)
    crowd = sw.people(12)
    rates = [measure(n, args.photos, args.url, crowd) for n in (1, 2)]
    for rate in rates:
        print(f"{rate.workers} worker(s): {rate.photos_per_s:.2f} photos/s over {rate.photos} photos "
              f"({rate.failed} refused), peak RSS per worker "
              + ", ".join(f"{mb:.0f} MB" for mb in rate.peak_rss_mb) + f"; load average {rate.load}")
    ratio = rates[1].photos_per_s / rates[0].photos_per_s
    print(f"2 workers / 1 worker: {ratio:.2f}× (target ≥ {SPEED_UP_TARGET}×) "
          f"{'OK' if ratio >= SPEED_UP_TARGET else 'NOT MET'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
